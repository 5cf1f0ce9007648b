/**
 * `--set` into the gateway lists: an index past the end is a usage error naming the list's length,
 * and no two entries may render the same gateway (an entry without a name is the default one),
 * so no object is ever rendered twice.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run } from '../helpers.js';

const generate = (...sets: string[]) => run(['manifest', 'generate', ...sets.flatMap((s) => ['--set', s])]);

describe('--set components.ingressGateways[i]', () => {
  it('refuses an index past the end with exit 64, the path and the length, and prints nothing', async () => {
    const r = await generate('components.ingressGateways[99].enabled=true');
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('"components.ingressGateways[99].enabled": index 99 is past the end of components.ingressGateways, which has 1 element (use [1] to add one)');
  });

  it('refuses a second entry that is the default gateway again', async () => {
    const r = await generate('components.ingressGateways[1].enabled=true');
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('components.ingressGateways[0] and components.ingressGateways[1] are both gateway "istio-ingressgateway" in namespace "istio-system"');
  });

  it('adds a named gateway at the end, every object once', async () => {
    const r = await generate('components.ingressGateways[1].name=gw2', 'components.ingressGateways[1].enabled=true');
    expect(r.code, r.stderr).toBe(0);
    const ids = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string; name: string } })
      .filter((o) => o !== null).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('Deployment/istio-system/gw2');
    expect(ids).toContain('Deployment/istio-system/istio-ingressgateway');
  });
});
