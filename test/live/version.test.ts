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
    // Two revisions: both planes per revision (the unlabelled proxies are the default revision's).
    expect(all.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3 (revision default), 1.31.0 (revision canary)\n`
      + 'data plane version: 1.30.3 (7 proxies, revision default), 1.29.1 (2 proxies, revision default), 1.31.0 (1 proxy, revision canary), '
      + '1.31.0 (1 proxy, revision default), 1.28.0 (1 proxy, revision default)\n');
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

  it('lists the tags pointing at each revision, resolves -r TAG, reads a proxy\'s revision from its label or injection status, and warns about dangling tags', async () => {
    // Tags as `tag set` leaves them (webhooks left out: they would take part in every pod create).
    const tag = (name: string, revision: string): K8sObject => ({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
      metadata: { name: `istio-revision-tag-${name}`, labels: { 'istio.io/tag': name, 'istio.io/rev': revision } },
    });
    await applyAll(cluster, client, [tag('prod', 'canary'), tag('old', 'stable')]);
    const status = (revision: string) => ({ 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], revision }) });
    await applyAll(cluster, client, [
      // Injected through the tag's webhook: the pod's label names the tag, its status the revision that injected it.
      withPod(proxyDeployment('via-tag', 'docker.io/istio/proxyv2:1.31.0', { 'istio.io/rev': 'prod' }), status('canary')),
      // A tag label without a status: the revision the tag points at now.
      proxyDeployment('tag-only', 'docker.io/istio/proxyv2:1.31.0', { 'istio.io/rev': 'prod' }),
      // No label: the injection status names the revision; 1.29 is two minor versions behind the canary's 1.31.
      withPod(proxyDeployment('stale-canary', 'docker.io/istio/proxyv2:1.29.1'), status('canary')),
    ], 'tagged');
    await waitUntil('three tagged pods', async () => await readyPods(cluster, 'tagged') === 3);

    const all = await version();
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3 (revision default), 1.31.0 (revision canary, tag: prod)\n`
      + 'data plane version: 1.30.3 (7 proxies, revision default), 1.31.0 (3 proxies, revision canary), 1.29.1 (2 proxies, revision default), '
      + '1.31.0 (1 proxy, revision default), 1.29.1 (1 proxy, revision canary), 1.28.0 (1 proxy, revision default)\n');
    const warnings = all.stderr.trimEnd().split('\n');
    // Skew per revision: 1.29.1 is fine beside the default revision's 1.30.3, two minors behind the canary's 1.31.0.
    expect(warnings).toContainEqual(expect.stringMatching(/^Warning: 1 proxy runs 1\.29\.1 \(stale-canary-[a-z0-9-]+\.tagged\), more than 1 minor version behind the control plane of revision canary \(1\.31\.0\);/));
    expect(warnings.filter((w) => w.includes('legacy'))).toStrictEqual([]);
    expect(warnings).toContainEqual('Warning: revision tag "old" points at revision "stable", which has no running, ready istiod in "istio-system"; '
      + 'pods created in namespaces labelled istio.io/rev=old get no working sidecar. '
      + 'Point it at a running revision (meshctl tag set old -r <revision> --overwrite) or remove it (meshctl tag remove old).');
    expect(warnings.filter((w) => w.includes('revision tag "prod"'))).toStrictEqual([]);
    // The skew warnings of the previous test, the stale canary proxy and the dangling tag.
    expect(warnings).toHaveLength(4);

    const json = JSON.parse((await version('-o', 'json')).stdout);
    expect(json.meshVersion).toStrictEqual([
      { Component: 'pilot', Revision: 'default', Info: { version: '1.30.3' } },
      // A revision's istiod pods are labelled istio=istiod (Istio 1.30.3 istio-discovery deployment.yaml).
      { Component: 'istiod', Revision: 'canary', Info: { version: '1.31.0' }, Tags: ['prod'] },
    ]);
    const byPod = (prefix: string) => json.dataPlaneVersion.find((p: { ID: string }) => p.ID.startsWith(prefix));
    expect(byPod('via-tag-')).toMatchObject({ IstioVersion: '1.31.0', Type: 'sidecar', Revision: 'canary' });
    expect(byPod('tag-only-')).toMatchObject({ Revision: 'canary' });
    expect(byPod('stale-canary-')).toMatchObject({ IstioVersion: '1.29.1', Revision: 'canary' });
    expect(byPod('productpage-v1-')).toMatchObject({ Revision: 'default' });
    expect(parse((await version('-o', 'yaml')).stdout)).toStrictEqual(json);

    // -r names a tag: the revision it points at, with the tag named.
    const viaTag = await version('-r', 'prod');
    expect(viaTag.stdout).toBe(`${CLIENT_LINE}control plane version: 1.31.0 (revision canary, tag: prod)\n`
      + 'data plane version: 1.31.0 (3 proxies, revision canary), 1.29.1 (1 proxy, revision canary)\n');
    expect(viaTag.stderr).toMatch(/^Warning: 1 proxy runs 1\.29\.1 \(stale-canary-[a-z0-9-]+\.tagged\)/);
    expect(viaTag.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await version('-r', 'canary')).toStrictEqual({ ...viaTag });
    // A tag whose revision runs no istiod: nothing runs, and the note names both.
    const dangling = await version('-r', 'old');
    expect(dangling.stdout).toBe(`${CLIENT_LINE}control plane version: none\ndata plane version: none\n`);
    expect(dangling.stderr).toBe('Istio is not present in the cluster: no running, ready istiod pods of revision "stable" (tag "old") in "istio-system" (another namespace: -i; a revision: -r)\n');

    // The default revision alone, with the default tag pointing at it, stays one short line per plane.
    await applyAll(cluster, client, [tag('default', 'default')]);
    const defaultOnly = await version('-r', 'default');
    expect(defaultOnly.stdout).toBe(`${CLIENT_LINE}control plane version: 1.30.3\ndata plane version: 1.30.3 (7 proxies), 1.29.1 (2 proxies), 1.31.0 (1 proxy), 1.28.0 (1 proxy)\n`);
    expect(JSON.parse((await version('-r', 'default', '-o', 'json')).stdout).meshVersion)
      .toStrictEqual([{ Component: 'pilot', Revision: 'default', Info: { version: '1.30.3' }, Tags: ['default'] }]);
    // The default tag moved to canary: -r default still means the default revision, which exists.
    await applyAll(cluster, client, [tag('default', 'canary')]);
    expect((await version('-r', 'default')).stdout).toBe(defaultOnly.stdout);
    expect((await version()).stdout).toContain('1.31.0 (revision canary, tags: default, prod)');
  });
});

/** Returns the Deployment with `annotations` added to its pod template. */
function withPod(deployment: K8sObject, annotations: Record<string, string>): K8sObject {
  const copy = structuredClone(deployment);
  (copy.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations = annotations;
  return copy;
}

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
