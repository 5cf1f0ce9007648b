/**
 * `meshctl analyze` in cluster mode against the real test control plane: live resources, files
 * laid over them, namespaces as istioctl chooses them, paginated and slimmed reads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveResources, MAX_CONFIGMAP_VALUE_CHARS } from '../../src/kube/live-resources.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { run } from '../helpers.js';
import { applyAll, clientFor, clusterEnv, ensureNamespace, proxyDeployment, readyPods, rendered, waitUntil } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'meshctl-live-analyze-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const unnamedPortService: K8sObject = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: 'shop', labels: { app: 'legacy' } },
  spec: { selector: { app: 'legacy' }, ports: [{ port: 8080, targetPort: 8080 }] },
};

const IST0118 = 'Info [IST0118] (Service shop/legacy) Port name  (port: 8080, targetPort: 8080) doesn\'t follow the naming convention of Istio port.\n';

describe('analyze --use-kube', () => {
  let cluster: ControlPlane;
  let client: KubeClient;
  const analyze = (...args: string[]) => run(['analyze', ...args], { env: clusterEnv(cluster) });

  beforeAll(async () => {
    cluster = await startControlPlane({ readyDelayMs: 0 });
    client = await clientFor(cluster);
    await ensureNamespace(client, 'shop', { 'istio-injection': 'enabled' });
    await applyAll(cluster, client, [unnamedPortService]);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('finds IST0118 on a live Service with an unnamed port when given no files, with no file position', async () => {
    const r = await analyze('-n', 'shop');
    expect(r).toStrictEqual({ code: 0, stdout: IST0118, stderr: '1 finding: 1 info\n' });
    const json = JSON.parse((await analyze('-n', 'shop', '-o', 'json')).stdout);
    expect(json).toStrictEqual([expect.objectContaining({ code: 'IST0118', origin: 'Service shop/legacy' })]);
    expect(json[0]).not.toHaveProperty('reference');
    const sarif = JSON.parse((await analyze('-n', 'shop', '-o', 'sarif')).stdout);
    expect(sarif.runs[0].results[0].locations).toStrictEqual([{ logicalLocations: [{ fullyQualifiedName: 'Service shop/legacy', kind: 'resource' }] }]);
    expect((await analyze('-k', '-n', 'shop')).stdout).toBe(IST0118);
  });

  it('lets a file fix the live object: the file replaces it by kind, namespace and name', async () => {
    const fixed = file('fixed.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: legacy\nspec:\n  selector:\n    app: legacy\n  ports:\n  - name: http\n    port: 8080\n');
    const r = await analyze('--use-kube', '-n', 'shop', fixed);
    expect(r).toStrictEqual({ code: 0, stdout: '', stderr: '\u2714 No validation issues found when analyzing namespace: shop.\n' });
    // A file with a new problem is reported with its position, beside the live one.
    const broken = file('broken.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n  namespace: shop\nspec:\n  ports:\n  - name: foo\n    port: 81\n');
    const both = await analyze('-k', '-n', 'shop', broken);
    expect(both.stdout).toBe(`Info [IST0118] (Service shop/extra ${broken}:8:11) Port name foo (port: 81, targetPort: 81) doesn't follow the naming convention of Istio port.\n${IST0118}`);
    // Without --use-kube, files are analyzed alone as before.
    expect((await analyze('-n', 'shop', fixed)).stderr).toBe(`\u2714 No validation issues found when analyzing namespace: shop.\n`);
  });

  it('reports on the context namespace by default, every namespace with -A, and refuses a -n that does not exist (64)', async () => {
    await applyAll(cluster, client, [{ ...unnamedPortService, metadata: { name: 'other', namespace: 'default' } }]);
    const byDefault = await analyze();
    expect(byDefault.stdout).toContain('(Service default/other)');
    expect(byDefault.stdout).not.toContain('shop/');
    // Namespace findings follow the namespace they are about, as istioctl's origin does.
    expect(byDefault.stdout).toContain('[IST0102] (Namespace default)');
    expect(byDefault.stdout).not.toContain('(Namespace shop)');

    const all = await analyze('-A');
    expect(all.stdout).toContain('(Service default/other)');
    expect(all.stdout).toContain('(Service shop/legacy)');
    const none = await analyze('-A', '--analyzer', 'schema.ValidationAnalyzer');
    expect(none.stderr).toBe('\u2714 No validation issues found when analyzing all namespaces.\n');

    const ghost = await analyze('-n', 'ghost');
    // istioctl says so and exits 0; meshctl refuses (64), so a mistyped -n cannot pass a CI gate.
    expect(ghost.code).toBe(64);
    expect(ghost.stdout).toBe('');
    expect(ghost.stderr).toMatch(/^Error: namespace "ghost" not found in context "[^"]+"; pass an existing namespace with -n, or -A for all\n$/);
  });

  it('reads live Istio resources once their CRDs are served, and fails on an Error finding (exit 79)', async () => {
    const verbose = await analyze('-n', 'shop', '--verbose');
    expect(verbose.stderr).toMatch(/Not served by the cluster \(skipped\): [^\n]*VirtualService\.networking\.istio\.io/);

    await applyAll(cluster, client, (await rendered([])).filter((o) => o.kind === 'CustomResourceDefinition'));
    await applyAll(cluster, client, [{
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'legacy', namespace: 'shop' },
      spec: { hosts: ['legacy'], gateways: ['shop/missing'], http: [{ route: [{ destination: { host: 'legacy' } }] }] },
    }]);
    const r = await analyze('-n', 'shop');
    expect(r.code).toBe(79);
    // A live object has no file position; a schema-valid live object (server fields and all) raises no IST0106.
    expect(r.stdout).toBe('Error [IST0101] (VirtualService shop/legacy) Referenced gateway not found: "shop/missing"\n'
      + 'Warning [IST0132] (VirtualService shop/legacy) one or more host [legacy] defined in VirtualService shop/legacy not found in Gateway shop/missing.\n'
      + IST0118);
    expect(r.stderr).toContain('Analyzers found issues when analyzing namespace: shop.');
    expect((await analyze('-n', 'shop', '-S', 'IST0101=VirtualService shop/legacy')).code).toBe(0);
    // The exit code does not depend on -o.
    expect((await analyze('-n', 'shop', '-o', 'json')).code).toBe(79);
  });

  it('lists every kind in pages (limit and continue) and slims objects as they stream in', async () => {
    await ensureNamespace(client, 'bulk');
    const big = 'x'.repeat(MAX_CONFIGMAP_VALUE_CHARS + 1);
    const maps: K8sObject[] = Array.from({ length: 23 }, (_, i) => ({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: 'bulk',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', 'note': 'kept' } },
      data: { small: 'kept', blob: big, values: big },
    }));
    await applyAll(cluster, client, maps);
    // A real namespace also gets the cluster's CA bundle as a ConfigMap (root-ca-certificate-publisher),
    // a moment after it is created: 24 ConfigMaps in all, read in pages of 5.
    await waitUntil('kube-root-ca.crt in bulk', async () => (await cluster.store.list('', 'ConfigMap', 'bulk')).length === 24);

    cluster.resetRequests();
    const live = await liveResources(client, { kinds: ['ConfigMap', 'Service', 'NoSuchKind.example.com'], namespace: 'bulk', pageSize: 5 });
    const pages = cluster.requests.filter((q) => q.path === '/api/v1/namespaces/bulk/configmaps');
    expect(pages).toHaveLength(5);
    expect(pages.every((q) => q.query.limit === '5')).toBe(true);
    expect(pages[0]!.query.continue).toBeUndefined();
    expect(pages.slice(1).every((q) => q.query.continue)).toBe(true);
    expect(live.unserved).toStrictEqual(['NoSuchKind.example.com']);
    const cms = live.resources.filter((r) => r.kind === 'ConfigMap');
    expect(cms.map((r) => r.name)).toStrictEqual([...maps.map((m) => m.metadata.name), 'kube-root-ca.crt']);
    const first = cms[0]!.object as any;
    expect(first.metadata.managedFields).toBeUndefined();
    expect(first.metadata.annotations).toStrictEqual({ note: 'kept' });
    expect(first.data).toStrictEqual({ small: 'kept', values: big });
    expect(cms[0]!.source).toBeUndefined();

    // The CLI reads with pages too, in every namespace.
    cluster.resetRequests();
    await analyze('-n', 'bulk');
    const lists = cluster.requests.filter((q) => q.method === 'GET' && /^\/api\/v1\/(configmaps|services|pods|namespaces)$/.test(q.path));
    expect(lists.map((q) => q.path).sort()).toStrictEqual(['/api/v1/configmaps', '/api/v1/namespaces', '/api/v1/pods', '/api/v1/services']);
    expect(lists.every((q) => q.query.limit === '500')).toBe(true);
    // Kinds no analyzer reads are never listed; Secrets are (gateway.SecretAnalyzer and the mesh
    // networks check read them, as istioctl's do), and slimLiveObject keeps no private value.
    expect(cluster.requests.some((q) => /\/(persistentvolumeclaims|events|leases)$/.test(q.path))).toBe(false);
    expect(cluster.requests.some((q) => q.path === '/api/v1/secrets')).toBe(true);
  });
});

describe('analyze --use-kube on revisions side by side', () => {
  // Two revisions installed by meshctl, the revision tag prod set on canary with `meshctl tag`, a
  // namespace labelled for a revision that does not exist, and a pod injected by stable in a
  // namespace whose tag points at canary.
  let cluster: ControlPlane;
  let client: KubeClient;
  const env = () => clusterEnv(cluster);
  const kubectl = (...args: string[]) => execa(kubectlPath(), args, { env: env(), reject: false });
  const analyze = (...args: string[]) => run(['analyze', ...args], { env: env() });
  const ours = (stdout: string) => stdout.split('\n').filter((l) => /\[MSH000[45]\]/.test(l));
  let pod = '';

  beforeAll(async () => {
    cluster = await startControlPlane({ readyDelayMs: 0 });
    client = await clientFor(cluster);
    for (const revision of ['stable', 'canary']) {
      const r = await run(['install', '--set', 'profile=minimal', '-r', revision, '-y', '--poll-interval', '100ms'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
    }
    const tag = await run(['tag', 'set', 'prod', '-r', 'canary', '-y'], { env: env() });
    expect(tag.code, tag.stderr).toBe(0);
    await ensureNamespace(client, 'ghost', { 'istio.io/rev': 'gone' });
    await ensureNamespace(client, 'shop', { 'istio.io/rev': 'prod' });
    // What injection by stable leaves on a pod: the status annotation and the revision annotation.
    const web = proxyDeployment('web', 'docker.io/istio/proxyv2:1.30.3') as any;
    web.spec.template.metadata.annotations = {
      'istio.io/rev': 'stable',
      'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null, revision: 'stable' }),
    };
    await applyAll(cluster, client, [web], 'shop');
    await waitUntil('the web pod runs', async () => (await readyPods(cluster, 'shop')) === 1);
    pod = (await cluster.store.list('', 'Pod', 'shop'))[0]!.metadata.name;
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('the cluster holds what the findings are about (read with kubectl)', async () => {
    const hooks = await kubectl('get', 'mutatingwebhookconfigurations', '-l', 'istio.io/rev', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.istio\\.io/rev} {.metadata.labels.istio\\.io/tag}{"\\n"}{end}');
    expect(hooks.stdout.split('\n').sort()).toStrictEqual(['istio-revision-tag-prod canary prod', 'istio-sidecar-injector-canary canary ', 'istio-sidecar-injector-stable stable ']);
  });

  it('reports the namespace labelled for a missing revision (MSH0004) and the pod on the wrong revision (MSH0005)', async () => {
    const r = await analyze('-A');
    // Warning and Info stay under the default failure threshold (Error).
    expect(r.code, r.stderr).toBe(0);
    expect(ours(r.stdout)).toStrictEqual([
      'Warning [MSH0004] (Namespace ghost) The namespace label istio.io/rev=gone selects "gone", which is neither a control plane revision nor a revision tag (revisions [canary stable], tags [prod]): pods created in namespace ghost start without a sidecar. Point it at one that exists: kubectl label namespace ghost istio.io/rev=<revision-or-tag> --overwrite',
      `Info [MSH0005] (Pod shop/${pod}) The pod runs the sidecar of revision "stable", but namespace shop selects revision "canary" (istio.io/rev=prod, tag "prod"); restarting the workload moves it there: kubectl rollout restart deployment/web -n shop`,
    ]);
    const json = JSON.parse((await analyze('-A', '-o', 'json')).stdout) as { code: string; origin: string; documentationUrl: string }[];
    expect(json.filter((f) => f.code.startsWith('MSH000')).map((f) => [f.code, f.origin, f.documentationUrl])).toStrictEqual([
      ['MSH0004', 'Namespace ghost', 'https://istio.io/v1.30/docs/setup/upgrade/canary/'],
      ['MSH0005', `Pod shop/${pod}`, 'https://istio.io/v1.30/docs/setup/upgrade/canary/'],
    ]);
    // -n shows a namespace's own findings; the revisions are read cluster-wide either way.
    expect(ours((await analyze('-n', 'shop')).stdout)).toHaveLength(1);
    expect(ours((await analyze('-n', 'ghost')).stdout)).toHaveLength(1);
  });

  it('follows the tag when it moves, and says nothing once the namespace is relabelled with kubectl', async () => {
    // prod now points at stable, which the pod runs: only the namespace finding is left.
    const moved = await run(['tag', 'set', 'prod', '-r', 'stable', '--overwrite', '-y'], { env: env() });
    expect(moved.code, moved.stderr).toBe(0);
    expect(ours((await analyze('-A')).stdout).map((l) => l.slice(0, 36))).toStrictEqual(['Warning [MSH0004] (Namespace ghost) ']);
    expect((await kubectl('label', 'namespace', 'ghost', 'istio.io/rev=prod', '--overwrite')).exitCode).toBe(0);
    const r = await analyze('-A', '--analyzer', 'injection.NamespaceRevisionAnalyzer', '--analyzer', 'injection.PodRevisionAnalyzer');
    expect(r).toStrictEqual({ code: 0, stdout: '', stderr: '\u2714 No validation issues found when analyzing all namespaces.\n' });
  });
});

describe('analyze without a cluster', () => {
  it('is a usage error (64) to give no files when no cluster is configured', async () => {
    const r = await run(['analyze'], { env: { HOME: dir } });
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: no files given, and the cluster cannot be used (no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config); pass files, directories or - for stdin\n');
  });
  it('is a usage error (64) when --use-kube is asked for and no cluster is configured', async () => {
    const f = file('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports:\n  - name: http\n    port: 80\n');
    const r = await run(['analyze', '--use-kube', f], { env: { HOME: dir } });
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config\n');
  });
});
