/**
 * `meshctl kube-inject --from-cluster` against the Kubernetes API test server: the injection
 * configuration comes from the cluster's ConfigMaps and gives exactly what the locally rendered
 * configuration of the same profile and revision gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/types.js';
import { startTestCluster, type TestCluster } from '../cluster/server.js';
import { run } from '../helpers.js';
import { applyAll, BOOKINFO, clientFor, clusterEnv, rendered } from './seed.js';

/** The ConfigMaps istiod reads its injection configuration from, as a rendering holds them. */
async function injectionConfigMaps(args: string[]) {
  return (await rendered(args)).filter((o) => o.kind === 'ConfigMap' && /^istio(-sidecar-injector)?(-canary)?$/.test(o.metadata.name));
}

describe('kube-inject --from-cluster', () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const inject = (...args: string[]) => run(['kube-inject', '-f', BOOKINFO, ...args], { env: clusterEnv(cluster) });

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = await clientFor(cluster);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('names the missing ConfigMaps and the namespace, and hints at -i and -r (exit 1)', async () => {
    const r = await inject('--from-cluster');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: ConfigMap "istio-sidecar-injector" and ConfigMap "istio" not found in namespace "istio-system" (or without the injector\'s "config" key): '
      + 'is Istio installed there? Pass -i with the control-plane namespace, or -r when only a revision is installed\n');
  });

  it('injects exactly as the locally rendered default profile does', async () => {
    const maps = await injectionConfigMaps([]);
    expect(maps.map((m) => m.metadata.name).sort()).toStrictEqual(['istio', 'istio-sidecar-injector']);
    await applyAll(client, maps);
    const fromCluster = await inject('--from-cluster');
    const local = await run(['kube-inject', '-f', BOOKINFO]);
    expect(fromCluster.code).toBe(0);
    expect(fromCluster.stdout).toContain('image: docker.io/istio/proxyv2:1.30.3');
    expect(fromCluster).toStrictEqual(local);
  });

  it('reads a revision\'s ConfigMaps with -r, and still lets files replace their part', async () => {
    const missing = await inject('--from-cluster', '-r', 'canary');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ConfigMap "istio-sidecar-injector-canary" and ConfigMap "istio-canary" not found in namespace "istio-system"');
    expect(missing.stderr).toContain('is revision "canary" installed there?');

    await applyAll(client, await injectionConfigMaps(['-r', 'canary']));
    const fromCluster = await inject('--from-cluster', '-r', 'canary');
    expect(fromCluster.code).toBe(0);
    expect(fromCluster.stdout).toContain('istio.io/rev: canary');
    expect(fromCluster).toStrictEqual(await run(['kube-inject', '-f', BOOKINFO, '-r', 'canary']));
    // The default revision's ConfigMaps have no suffix, whichever way it is named.
    expect((await inject('--from-cluster', '-r', 'default')).code).toBe(0);
  });

  it('looks in -i and refuses flags that only shape a rendering', async () => {
    const elsewhere = await inject('--from-cluster', '-i', 'mesh-system');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('not found in namespace "mesh-system"');
    const withSet = await inject('--from-cluster', '--set', 'values.global.proxy.resources.requests.cpu=50m');
    expect(withSet.code).toBe(64);
    expect(withSet.stderr).toBe('Error: --set and --operatorFileName shape a rendered configuration; they cannot be combined with --from-cluster\n');
  });

  it('never touches a cluster without --from-cluster', async () => {
    cluster.resetRequests();
    const r = await inject();
    expect(r.code).toBe(0);
    expect(cluster.requests).toStrictEqual([]);
  });
});

describe('kube-inject --from-cluster without a cluster', () => {
  it('fails with the configuration problem (exit 1)', async () => {
    const r = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: kubeconfig file /nonexistent/kubeconfig (--kubeconfig) does not exist\n');
  });
});
