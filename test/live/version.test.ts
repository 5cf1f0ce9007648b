/**
 * `meshctl version` against the real test control plane: control plane from the istiod pods,
 * data plane from the proxies of injected workloads, skew warnings, and a cluster that cannot be
 * reached.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { run } from '../helpers.js';
import { applyAll, clientFor, clusterEnv, injectedBookinfo, proxyDeployment, readyPods, rendered, waitUntil } from './seed.js';

const CLIENT_LINE = 'client version: 0.0.0-test (Istio 1.30.3)\n';

// One control plane for the file; the unreachable-cluster test reuses its credentials.
let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ readyDelayMs: 0 });
});
afterAll(async () => {
  await cluster?.close();
});

describe('version against a cluster', () => {
  let client: KubeClient;
  let controlPlane: K8sObject[];
  const version = (...args: string[]) => run(['version', ...args], { env: clusterEnv(cluster) });

  beforeAll(async () => {
    client = await clientFor(cluster);
    // The default profile without its CRDs: istiod, the ingress gateway and what they need.
    controlPlane = (await rendered([])).filter((o) => o.kind !== 'CustomResourceDefinition');
  });

  it('says there is no control plane and no proxy in an empty cluster (exit 0)', async () => {
    const r = await version();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CLIENT_LINE}control plane version: none\ndata plane version: none\n`);
    expect(r.stderr).toBe('Istio is not present in the cluster: no running, ready istiod pods in "istio-system" (another namespace: -i; a revision: -r)\n');
    const json = JSON.parse((await version('-o', 'json')).stdout);
    expect(json).toStrictEqual({ clientVersion: { version: '0.0.0-test', istioVersion: '1.30.3' }, meshVersion: [], dataPlaneVersion: [] });
  });

  it('does not contact the cluster with --remote=false, --no-remote or --short', async () => {
    cluster.resetRequests();
    for (const args of [['--remote=false'], ['--no-remote'], ['--remote', 'false']]) {
      const r = await version(...args);
      expect(r, args.join(' ')).toStrictEqual({ code: 0, stdout: CLIENT_LINE, stderr: '' });
    }
    expect((await version('--short')).stdout).toBe('0.0.0-test\n');
    expect(JSON.parse((await version('--no-remote', '-o', 'json')).stdout)).toStrictEqual({ clientVersion: { version: '0.0.0-test', istioVersion: '1.30.3' } });
    expect(cluster.requests).toStrictEqual([]);
    expect((await version('--remote=maybe')).code).toBe(64);
  });

  it('reports istiod and the proxies of the gateway and injected Bookinfo', async () => {
    await applyAll(cluster, client, controlPlane);
    await applyAll(cluster, client, await injectedBookinfo(), 'bookinfo');
    await waitUntil('istiod, the gateway and 6 Bookinfo pods ready', async () => await readyPods(cluster) === 8);
    cluster.resetRequests();
    const r = await version();
    expect(r).toStrictEqual({
      code: 0,
      stdout: `${CLIENT_LINE}control plane version: 1.30.3\ndata plane version: 1.30.3 (7 proxies)\n`,
      stderr: '',
    });
    // Pods are listed page by page, never fetched one by one.
    expect(cluster.requests.filter((q) => q.path.endsWith('/pods')).every((q) => q.query.limit !== undefined)).toBe(true);

    const json = JSON.parse((await version('-o', 'json')).stdout);
    expect(json.meshVersion).toStrictEqual([{ Component: 'pilot', Revision: 'default', Info: { version: '1.30.3' } }]);
    expect(json.dataPlaneVersion).toHaveLength(7);
    expect(json.dataPlaneVersion.filter((p: { Type: string }) => p.Type === 'gateway').map((p: { ID: string }) => p.ID))
      .toStrictEqual([expect.stringMatching(/^istio-ingressgateway-[a-z0-9-]+\.istio-system$/)]);
    expect(json.dataPlaneVersion.map((p: { ID: string }) => p.ID)).toContainEqual(expect.stringMatching(/^productpage-v1-[a-z0-9-]+\.bookinfo$/));
    const yaml = parse((await version('-o', 'yaml')).stdout);
    expect(yaml).toStrictEqual(json);
  });

  it('counts proxies per version and stays quiet inside the skew policy', async () => {
    await applyAll(cluster, client, [proxyDeployment('old-a', 'docker.io/istio/proxyv2:1.29.1'), proxyDeployment('old-b', 'docker.io/istio/proxyv2:1.29.1-distroless')], 'legacy');
    await waitUntil('two 1.29 pods', async () => await readyPods(cluster, 'legacy') === 2);
    const r = await version();
    expect(r.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3\ndata plane version: 1.30.3 (7 proxies), 1.29.1 (2 proxies)\n`);
    expect(r.stderr).toBe('');
  });

  it('warns about proxies newer than istiod or more than one minor version behind, saying what to do', async () => {
    await applyAll(cluster, client, [proxyDeployment('ancient', 'docker.io/istio/proxyv2:1.28.0'), proxyDeployment('future', 'docker.io/istio/proxyv2:1.31.0')], 'skewed');
    await waitUntil('two skewed pods', async () => await readyPods(cluster, 'skewed') === 2);
    const r = await version();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3\ndata plane version: 1.30.3 (7 proxies), 1.29.1 (2 proxies), 1.31.0 (1 proxy), 1.28.0 (1 proxy)\n`);
    const warnings = r.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings).toContainEqual(expect.stringMatching(/^Warning: 1 proxy runs 1\.28\.0 \(ancient-[a-z0-9-]+\.skewed\), more than 1 minor version behind the control plane \(1\.30\.3\);.*Restart these workloads/));
    expect(warnings).toContainEqual(expect.stringMatching(/^Warning: 1 proxy runs 1\.31\.0 \(future-[a-z0-9-]+\.skewed\), newer than the control plane \(1\.30\.3\);.*Upgrade the control plane first/));
    // Machine output is unchanged by warnings, which stay on stderr.
    expect(JSON.parse((await version('-o', 'json')).stdout).dataPlaneVersion).toHaveLength(11);
  });

  it('judges proxies against their own revision and filters by -r', async () => {
    // The canary istiod's Deployment and its ServiceAccount: a real API server refuses Pods whose
    // ServiceAccount does not exist, so the Deployment alone would never run.
    const canary = (await rendered(['-r', 'canary'])).filter((o) => (o.kind === 'Deployment' || o.kind === 'ServiceAccount') && o.metadata.name === 'istiod-canary');
    expect(canary.map((o) => o.kind).sort()).toStrictEqual(['Deployment', 'ServiceAccount']);
    const spec = (canary.find((o) => o.kind === 'Deployment')!.spec as any).template.spec;
    expect(spec.serviceAccountName).toBe('istiod-canary');
    spec.containers[0].image = 'docker.io/istio/pilot:1.31.0';
    await applyAll(cluster, client, canary);
    await applyAll(cluster, client, [proxyDeployment('canary-app', 'docker.io/istio/proxyv2:1.31.0', { 'istio.io/rev': 'canary' })], 'canary-apps');
    await waitUntil('canary istiod and app ready', async () => await readyPods(cluster, 'canary-apps') === 1 && await readyPods(cluster, 'istio-system') === 3);

    const all = await version();
    expect(all.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3 (revision default), 1.31.0 (revision canary)\n`
      + 'data plane version: 1.30.3 (7 proxies), 1.31.0 (2 proxies), 1.29.1 (2 proxies), 1.28.0 (1 proxy)\n');
    // The canary proxy matches its 1.31 istiod; the unlabelled 1.31 proxy is still ahead of the default revision.
    expect(all.stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(all.stderr).not.toContain('canary-app-');

    const onlyCanary = await version('-r', 'canary');
    expect(onlyCanary.stdout).toBe(`${CLIENT_LINE}control plane version: 1.31.0\ndata plane version: 1.31.0 (1 proxy)\n`);
    expect(onlyCanary.stderr).toBe('');
    const missing = await version('-r', 'nope', '-i', 'istio-system');
    expect(missing.code).toBe(0);
    expect(missing.stdout).toBe(`${CLIENT_LINE}control plane version: none\ndata plane version: none\n`);
    expect(missing.stderr).toContain('no running, ready istiod pods of revision "nope" in "istio-system"');
    const otherNs = await version('-i', 'elsewhere');
    expect(otherNs.stdout).toContain('control plane version: none\n');
  });
});

describe('version without a reachable cluster', () => {
  it('prints the client version and a one-line note when no kubeconfig exists, without any network', async () => {
    const r = await run(['version'], { env: { HOME: mkdtempSync(join(tmpdir(), 'meshctl-home-')) } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(CLIENT_LINE);
    expect(r.stderr).toBe('control plane version: unknown (no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config)\n');
  });

  it('prints the client version and the reason when the server refuses connections, never the token', async () => {
    // The control plane's own kubeconfig (CA, token, context), pointed at a port nothing listens
    // on any more: a cluster that went away, without starting and stopping a second one.
    const closedPort = await new Promise<number>((resolve, reject) => {
      const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-gone-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const config = parse(readFileSync(cluster.kubeconfigPath, 'utf8'));
    config.clusters[0].cluster.server = `https://127.0.0.1:${closedPort}`;
    writeFileSync(kubeconfig, stringify(config));
    const token = cluster.token;
    expect(readFileSync(kubeconfig, 'utf8')).toContain(token);
    for (const env of [{ KUBECONFIG: kubeconfig }]) {
      const r = await run(['version'], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(CLIENT_LINE);
      expect(r.stderr).toMatch(new RegExp(`^control plane version: unknown \\(cluster unreachable: cannot reach the cluster at https://127\\.0\\.0\\.1:${closedPort} \\(context "test-cluster"\\)[^\\n]*\\)\\n$`));
      expect(r.stderr + r.stdout).not.toContain(token);
      const json = await run(['version', '-o', 'json'], { env });
      expect(JSON.parse(json.stdout)).toStrictEqual({ clientVersion: { version: '0.0.0-test', istioVersion: '1.30.3' } });
      expect(json.stderr).toContain('cluster unreachable');
      const flag = await run(['version', '--kubeconfig', kubeconfig]);
      expect(flag.stderr).toContain('cluster unreachable');
    }
  });

  it('names a bad --kubeconfig or --context instead of failing', async () => {
    const r = await run(['version', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('control plane version: unknown (no cluster configured: kubeconfig file /nonexistent/kubeconfig (--kubeconfig) does not exist)\n');
    // Bad flags are still usage errors.
    expect((await run(['version', '--request-timeout', 'soon'])).code).toBe(64);
  });
});
