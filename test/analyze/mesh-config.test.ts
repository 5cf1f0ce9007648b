import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMeshConfig, meshConfigFromText, meshNetworksFromText } from '../../src/analyze/mesh-config.js';
import { liveMeshTexts } from '../../src/cli/analyze-impl.js';
import type { KubeClient } from '../../src/kube/types.js';
import { run, testDeps } from '../helpers.js';
import { analyzeTestdata } from './harness.js';

describe('mesh config for analysis', () => {
  it('applies a mesh config over the defaults as istiod does', () => {
    const mc = applyMeshConfig({
      ingress_service: 'my-ingress',
      defaultConfig: { proxyMetadata: { A: '1' }, concurrency: 2 },
      extensionProviders: [{ name: 'envoy', envoyFileAccessLog: { path: '/dev/stderr' } }, { name: 'zipkin', zipkin: { service: 'z', port: 9411 } }],
      trustDomainAliases: ['b', 'a', 'b'],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
    expect(mc.ingressService).toBe('my-ingress');
    expect(mc.ingressControllerMode).toBe('STRICT');
    expect(mc.defaultConfig).toMatchObject({ proxyMetadata: { A: '1' }, concurrency: 2, statusPort: 15020, discoveryAddress: 'istiod.istio-system.svc:15012' });
    expect(mc.extensionProviders).toEqual([
      { name: 'prometheus', prometheus: {} },
      { name: 'stackdriver', stackdriver: {} },
      { name: 'envoy', envoyFileAccessLog: { path: '/dev/stderr' } },
      { name: 'zipkin', zipkin: { service: 'z', port: 9411 } },
    ]);
    expect(mc.trustDomainAliases).toEqual(['a', 'b']);
    expect(mc.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
  });

  it('merges proxyMetadata keys and keeps the rest of defaultConfig', () => {
    const mc = meshConfigFromText('defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"\n', 'm.yaml');
    expect(mc.defaultConfig).toMatchObject({ proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' }, proxyAdminPort: 15000 });
    expect(meshConfigFromText('', 'm.yaml').enableAutoMtls).toBe(true);
  });

  it('refuses a mesh config or mesh networks that is not a map', () => {
    expect(() => meshConfigFromText('- a\n', 'm.yaml')).toThrow(/m.yaml: mesh config must be a YAML map/);
    expect(() => meshNetworksFromText('networks: [a]\n', 'n.yaml')).toThrow(/"networks" must be a map/);
    expect(meshNetworksFromText('networks:\n  n1: {}\n', 'n.yaml').networks).toEqual({ n1: {} });
  });

  it('analyze takes --meshConfigFile and --meshNetworksFile, and fails on a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-meshcfg-'));
    const svc = join(dir, 'svc.yaml');
    writeFileSync(svc, 'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\nspec: {ports: [{name: http, port: 80}]}\n');
    writeFileSync(join(dir, 'mesh.yaml'), 'ingressControllerMode: "OFF"\n');
    writeFileSync(join(dir, 'net.yaml'), 'networks: {}\n');
    const ok = await run(['analyze', '--meshConfigFile', join(dir, 'mesh.yaml'), '--meshNetworksFile', join(dir, 'net.yaml'), svc]);
    expect(ok.code).toBe(0);
    const networks = await run(['analyze', '--analyzer', 'meshnetworks.MeshNetworksAnalyzer', '--meshNetworksFile',
      join(analyzeTestdata, 'mesh-networks.yaml'), join(analyzeTestdata, 'meshnetworks-remote.yaml')]);
    expect(networks.code).toBe(79);
    expect(networks.stdout).toContain('Error [IST0126] (MeshNetworks istio-system/meshnetworks ');
    expect(networks.stdout).toContain('mesh-networks.yaml:7:21) Unknown service registry kubernetes in network network-a\n');
    const missing = await run(['analyze', '--meshConfigFile', join(dir, 'nope.yaml'), svc]);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain('--meshConfigFile');
  });

  it('reads the mesh config and mesh networks of the istio ConfigMap, falling back to the defaults with a warning', async () => {
    // A client of which only `get` is used, answering with one ConfigMap.
    const configMap = (data: Record<string, string>): Pick<KubeClient, 'get'> =>
      ({ get: (async () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio' }, data })) as KubeClient['get'] });
    const { deps, out } = testDeps();
    expect(await liveMeshTexts(deps, configMap({ mesh: 'rootNamespace: mesh-root\n', meshNetworks: 'networks: {n1: {}}\n' }), 'istio-system'))
      .toEqual({ mesh: 'rootNamespace: mesh-root\n', meshNetworks: 'networks: {n1: {}}\n', source: 'ConfigMap istio-system/istio' });
    expect(out().stderr).toBe('');
    // Absent ConfigMap: the defaults, quietly.
    expect(await liveMeshTexts(deps, { get: async () => undefined }, 'istio-system')).toEqual({ source: 'ConfigMap istio-system/istio' });
    expect(out().stderr).toBe('');
    // Unreadable ConfigMap, or texts that do not parse: the defaults, with a warning.
    const refused = await liveMeshTexts(deps, { get: async () => { throw new Error('forbidden'); } }, 'istio-system');
    expect(refused).toEqual({ source: 'ConfigMap istio-system/istio' });
    expect(out().stderr).toContain('Warning: could not read ConfigMap istio-system/istio, using the default mesh config: forbidden');
    expect(await liveMeshTexts(deps, configMap({ mesh: '- not a map\n', meshNetworks: 'networks: [x]\n' }), 'mesh')).toEqual({ source: 'ConfigMap mesh/istio' });
    expect(out().stderr).toContain('Warning: using the default mesh config: ConfigMap mesh/istio mesh: mesh config must be a YAML map');
    expect(out().stderr).toContain('Warning: using no mesh networks: ');
  });

  it('refuses hostile or broken mesh config and mesh networks files with exit 65 and a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-meshcfg-bad-'));
    const svc = join(dir, 'svc.yaml');
    writeFileSync(svc, 'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\nspec: {ports: [{name: http, port: 80}]}\n');
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x6b, 0x3a, 0x00, 0xff, 0x0a]));
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    writeFileSync(join(dir, 'dup.yaml'), 'trustDomain: a\ntrustDomain: b\n');
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    writeFileSync(join(dir, 'bomb.yaml'), bomb);
    writeFileSync(join(dir, 'deep.yaml'), `networks: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    const cases: [string, RegExp][] = [
      ['binary.yaml', /binary\.yaml:1:\d+: binary file/],
      ['list.yaml', /list\.yaml: mesh networks must be a YAML map|list\.yaml:1:1: the mesh config: must be a map of MeshConfig fields, found a list/],
      ['dup.yaml', /dup\.yaml:2:1: YAML syntax error: Map keys must be unique/],
      ['bomb.yaml', /bomb\.yaml:\d+:\d+: YAML error: Excessive alias count/],
      ['deep.yaml', /deep\.yaml:1:\d+: YAML error: collections are nested too deeply to read/],
      ['.', /--mesh(Config|Networks)File .*: /],
    ];
    for (const flag of ['--meshConfigFile', '--meshNetworksFile']) {
      for (const [name, message] of cases) {
        const r = await run(['analyze', flag, join(dir, name), svc]);
        expect(r.code, `${flag} ${name}`).toBe(65);
        expect(r.stdout, `${flag} ${name}`).toBe('');
        expect(r.stderr, `${flag} ${name}`).toMatch(message);
        expect(r.stderr, `${flag} ${name}`).not.toMatch(/\n\s+at |RangeError|TypeError/);
      }
    }
  });
});
