// Switching profiles prunes what the new configuration no longer has (never CRDs); a canary
// revision installs beside the default one without pruning it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestCluster } from '../cluster/server.js';
import type { TestCluster } from '../cluster/types.js';
import { linesStarting, meshctl, rendered, stored } from './support.js';

vi.setConfig({ testTimeout: 30_000 });

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster.close();
});

const deployment = (name: string, ns = 'istio-system') => cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: ns, name });

describe('profile switch demo -> minimal', () => {
  it('prunes the gateway objects, listed first, and keeps the CRDs', async () => {
    expect((await meshctl(cluster, ['install', '--set', 'profile=demo', '-y'])).code).toBe(0);
    // an object the user asked to keep
    const keepMe = cluster.store.get({ group: '', kind: 'Service', namespace: 'istio-system', name: 'istio-egressgateway' })!;
    cluster.store.put({ ...keepMe, metadata: { ...keepMe.metadata, labels: { ...keepMe.metadata.labels, 'install.operator.istio.io/owning-resource-not-pruned': 'true' } } });

    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y']);
    expect(r.code).toBe(0);
    const demo = await rendered(['--set', 'profile=demo']);
    const minimal = await rendered(['--set', 'profile=minimal']);
    const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const gone = demo.filter((o) => !minimal.some((m) => key(m) === key(o)));
    expect(gone.map((o) => o.metadata.labels?.['operator.istio.io/component'])).not.toContain('Base');
    expect(gone.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);

    const lines = r.stderr.split('\n');
    const start = lines.indexOf('- Pruning removed resources');
    expect(start).toBeGreaterThan(lines.indexOf('✔ Istiod installed'));
    const listed = lines.slice(start + 1).filter((l) => l.startsWith('  ')).map((l) => l.trim());
    const expected = gone.map(key).filter((k) => k !== 'Service/istio-system/istio-egressgateway');
    expect(listed.sort()).toEqual(expected.sort());
    expect(listed).toContain('Deployment/istio-system/istio-egressgateway');
    expect(listed).toContain('Deployment/istio-system/istio-ingressgateway');
    expect(r.stderr).toContain('keeping Service/istio-system/istio-egressgateway: it is labelled install.operator.istio.io/owning-resource-not-pruned=true');
    expect(r.stderr).toMatch(new RegExp(`, ${expected.length} pruned\\.`));

    for (const o of gone) {
      const s = stored(cluster, o);
      if (key(o) === 'Service/istio-system/istio-egressgateway') expect(s).toBeDefined();
      else expect(s, key(o)).toBeUndefined();
    }
    for (const o of demo.filter((d) => d.kind === 'CustomResourceDefinition')) expect(stored(cluster, o)).toBeDefined();
    expect(linesStarting(r.stderr, '✔')).toEqual(['✔ Istio core installed', '✔ Istiod installed', `✔ Pruned ${expected.length} objects`, '✔ Installation complete']);
  });
});

describe('install -r canary', () => {
  it('installs istiod-canary beside the default revision and prunes nothing of it', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-r', 'canary', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('Pruning');
    const canary = deployment('istiod-canary');
    expect(canary).toBeDefined();
    expect(canary!.metadata.labels).toMatchObject({ 'istio.io/rev': 'canary', 'install.operator.istio.io/owning-resource': 'meshctl-installed-state-canary' });
    expect(deployment('istiod')?.metadata.labels?.['istio.io/rev']).toBe('default');
    expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state-canary' })).toBeDefined();
    expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' })).toBeDefined();
  });
});
