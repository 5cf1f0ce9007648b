/**
 * Bookinfo as shipped (platform/kube/bookinfo.yaml and networking/bookinfo-gateway.yaml, copied
 * byte for byte) passes the Gateway and Sidecar analyzers: its Gateway selects the default
 * profile's ingress gateway, assumed in file mode, on the port that gateway's Service targets, and
 * the port-80 Gateway of older releases (the Service's own port) passes `analyze` as a whole.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/analyze/engine.js';
import { selectAnalyzers } from '../../src/analyze/registry.js';
import { ResourceStore } from '../../src/analyze/store.js';
import { loadFiles, profileIngressGateway } from '../../src/cli/analyze-impl.js';
import { run, testDeps } from '../helpers.js';
import { analyzeTestFiles, analyzeTestdata } from './harness.js';

const BOOKINFO = ['bookinfo/bookinfo.yaml', 'bookinfo/bookinfo-gateway.yaml'];
const ANALYZERS = ['gateway.ConflictingGatewayAnalyzer', 'gateway.IngressGatewayPortAnalyzer', 'sidecar.SelectorAnalyzer'];

describe('Bookinfo', () => {
  it('raises no Gateway or Sidecar finding', async () => {
    const result = await analyzeTestFiles(BOOKINFO, ANALYZERS);
    expect(result.problems).toEqual([]);
    expect(result.analyzers).toEqual(ANALYZERS);
    expect(result.findings.map((f) => `${f.type.code} ${f.message}`)).toEqual([]);
  });

  it('with the port-80 Gateway of older releases, analyze reports nothing', async () => {
    // Releases before 1.22 shipped bookinfo-gateway.yaml with port 80, the ingress gateway Service's
    // port (which targets 8080); Istio accepts the Service port as well as the target.
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-bookinfo80-'));
    const text = readFileSync(join(analyzeTestdata, 'bookinfo/bookinfo-gateway.yaml'), 'utf8');
    const old = text.replace(/number: 8080\n/, 'number: 80\n');
    expect(old).not.toBe(text);
    writeFileSync(join(dir, 'bookinfo-gateway.yaml'), old);
    const r = await run(['analyze', join(analyzeTestdata, 'bookinfo/bookinfo.yaml'), join(dir, 'bookinfo-gateway.yaml')]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('No validation issues found');
    expect(r.code).toBe(0);
  });

  it('is checked against the assumed ingress gateway, not skipped', async () => {
    // The same Gateway moved off the ingress gateway's target ports is reported.
    const { deps } = testDeps();
    const loaded = await loadFiles(deps, BOOKINFO.map((f) => join(analyzeTestdata, f)), 'default');
    const gateway = loaded.resources.find((r) => r.kind === 'Gateway')!;
    const moved = structuredClone(gateway.object) as { spec: { servers: { port: { number: number } }[] } };
    moved.spec.servers[0]!.port.number = 9080;
    const resources = loaded.resources.map((r) => (r === gateway ? { ...r, object: moved as unknown as Record<string, unknown> } : r));
    const synthetic = await profileIngressGateway(deps, resources);
    const result = runAnalysis(new ResourceStore([...resources, ...synthetic], true), {
      analyzers: selectAnalyzers(['gateway.IngressGatewayPortAnalyzer']).analyzers, istioNamespace: 'istio-system',
    });
    expect(result.findings.map((f) => f.message)).toEqual([
      'The gateway is listening on a target port (port 9080) that is not defined in the Service associated with its workload instances '
        + '(Pod selector istio=ingressgateway). If you need to access the gateway port through the gateway Service, it will not be available.',
    ]);
  });
});
