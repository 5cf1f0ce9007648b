/**
 * End to end against the Kubernetes API test server, as a user follows Istio's getting-started
 * flow: the built `bin/meshctl` and the real kubectl, run with execa, share one cluster.
 * install demo → install again (no change) → kubectl sees every object → label a namespace →
 * kube-inject Bookinfo from the cluster's configuration and apply it with kubectl → version →
 * analyze the cluster → verify-install → switch to minimal (gateways pruned) → uninstall → purge.
 *
 * The steps share state, so they run in order in one describe block.
 */
import { execa, execaSync } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { startTestCluster, type KObject, type TestCluster } from '../cluster/server.js';

const bin = join(repoRoot, 'bin/meshctl');
const KUBECTL = process.env.MESHCTL_KUBECTL || 'kubectl';
const REQUIRED = process.env.MESHCTL_REQUIRE_KUBECTL === '1';
const hasKubectl = execaSync(KUBECTL, ['version', '--client'], { reject: false, timeout: 15_000 }).exitCode === 0;
const COMPONENT = 'operator.istio.io/component';

let cluster: TestCluster;
let dir: string;
let env: Record<string, string>;

function meshctl(...args: string[]) {
  return execa(bin, args, { env, reject: false, timeout: 60_000 });
}

function kubectl(...args: string[]) {
  return execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), ...args], { env, reject: false, timeout: 60_000 });
}

/** Every object in the store, as `Kind/namespace/name` (or `Kind/name`). */
function storeKeys(filter: (o: KObject) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const [group, kind] of KINDS) {
    for (const o of cluster.store.list(group, kind)) if (filter(o)) out.push(key(o));
  }
  return out.sort();
}

function key(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/** The kinds an installation consists of, as [group, kind]. */
const KINDS: [string, string][] = [
  ['apiextensions.k8s.io', 'CustomResourceDefinition'], ['', 'ServiceAccount'], ['', 'ConfigMap'], ['', 'Service'], ['', 'Secret'],
  ['rbac.authorization.k8s.io', 'ClusterRole'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io', 'Role'],
  ['rbac.authorization.k8s.io', 'RoleBinding'], ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'], ['apps', 'Deployment'], ['policy', 'PodDisruptionBudget'],
  ['autoscaling', 'HorizontalPodAutoscaler'],
];

async function rendered(profile: string): Promise<{ kind: string; metadata: { name: string; namespace?: string } }[]> {
  const r = await execa(bin, ['manifest', 'generate', '--set', `profile=${profile}`]);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

describe.skipIf(!hasKubectl && !REQUIRED)('getting started against the test cluster (bin/meshctl + kubectl)', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ readyDelayMs: 20 });
    dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-'));
    env = { KUBECONFIG: cluster.kubeconfigPath, NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '' };
  });
  afterAll(async () => {
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs the demo profile, waits, and reports like istioctl', async () => {
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('✔'));
    // Trailing emoji, if any, are decoration.
    expect(lines.map((l) => l.replace(/[\s\p{Extended_Pictographic}\u{FE0F}]+$/u, ''))).toEqual([
      '✔ Istio core installed', '✔ Istiod installed', expect.stringMatching(/^✔ (Ingress|Egress) gateways installed$/),
      expect.stringMatching(/^✔ (Ingress|Egress) gateways installed$/), '✔ Installation complete',
    ]);
    expect(r.stderr).not.toMatch(/\u001b\[/); // no ANSI escapes when not a terminal
    const want = (await rendered('demo')).map(key).sort();
    const have = storeKeys((o) => o.metadata.labels?.[COMPONENT] !== undefined);
    for (const k of want) expect(have, k).toContain(k);
  });

  it('changes nothing when run again', async () => {
    const before = new Map(storeKeys().map((k) => [k, version(k)]));
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    const after = new Map(storeKeys().map((k) => [k, version(k)]));
    expect(after).toEqual(before);
    expect(r.stderr).toMatch(/unchanged/);
  });

  it('kubectl sees every installed object', async () => {
    const want = (await rendered('demo')).map(key);
    const kinds = 'crd,sa,cm,svc,clusterrole,clusterrolebinding,role,rolebinding,mutatingwebhookconfiguration,validatingwebhookconfiguration,deploy';
    const r = await kubectl('get', kinds, '-A', '-l', COMPONENT, '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: KObject[] }).items;
    const seen = new Set(items.map(key));
    for (const k of want) expect(seen, k).toContain(k);
    const pods = await kubectl('get', 'pods', '-n', 'istio-system', '-o', 'json');
    const ready = (JSON.parse(pods.stdout) as { items: KObject[] }).items
      .filter((p) => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.map((p) => p.metadata.labels?.app).sort()).toEqual(['istio-egressgateway', 'istio-ingressgateway', 'istiod']);
  });

  it('runs Bookinfo injected with the cluster\'s own injection configuration', async () => {
    expect((await kubectl('create', 'namespace', 'bookinfo')).exitCode).toBe(0);
    const label = await kubectl('label', 'namespace', 'bookinfo', 'istio-injection=enabled');
    expect(label.exitCode, label.stderr).toBe(0);
    // The upstream samples, as copied into the analyze test data.
    const sample = join(repoRoot, 'test/testdata/analyze/output/bookinfo');
    const injected = await meshctl('kube-inject', '--from-cluster', '-f', join(sample, 'bookinfo.yaml'));
    expect(injected.exitCode, injected.stderr).toBe(0);
    const file = join(dir, 'bookinfo-injected.yaml');
    await writeFile(file, injected.stdout);
    const applied = await kubectl('apply', '--server-side', '-n', 'bookinfo', '-f', file);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const gw = await kubectl('apply', '--server-side', '-n', 'bookinfo', '-f', join(sample, 'bookinfo-gateway.yaml'));
    expect(gw.exitCode, gw.stderr).toBe(0);
    const deployments = cluster.store.list('apps', 'Deployment', 'bookinfo');
    expect(deployments).toHaveLength(6);
    for (const d of deployments) {
      const containers = ((d.spec as any).template.spec.containers as { name: string }[]).map((c) => c.name);
      const init = (((d.spec as any).template.spec.initContainers ?? []) as { name: string }[]).map((c) => c.name);
      expect([...containers, ...init], d.metadata.name).toContain('istio-proxy');
    }
  });

  it('reports control plane and data plane versions', async () => {
    // Pods become ready a moment after they are created.
    let r = await meshctl('version');
    for (let i = 0; i < 50 && !r.stdout.includes('(8 proxies)'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await meshctl('version');
    }
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^client version: \S+ \(Istio 1\.30\.3\)\ncontrol plane version: 1\.30\.3\ndata plane version: 1\.30\.3 \(8 proxies\)$/);
  });

  it('analyzes the live cluster: Bookinfo is clean, a broken Service is found', async () => {
    const clean = await meshctl('analyze', '-n', 'bookinfo');
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).not.toMatch(/Error|Warning/);
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: details\n  namespace: bookinfo\nspec:\n  selector:\n    app: details\n  ports:\n  - port: 9080\n');
    const applied = await kubectl('apply', '--server-side', '--force-conflicts', '-f', broken);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const found = await meshctl('analyze', '-n', 'bookinfo');
    expect(found.stdout).toContain('Info [IST0118] (Service bookinfo/details) Port name  (port: 9080, targetPort: 9080) doesn\'t follow the naming convention of Istio port.');
    // A file overlays the live object: the fixed copy hides the finding without touching the cluster.
    const fixed = join(dir, 'fixed.yaml');
    await writeFile(fixed, (await readFile(broken, 'utf8')).replace('  - port: 9080', '  - name: http\n    port: 9080'));
    const overlaid = await meshctl('analyze', '--use-kube', '-n', 'bookinfo', fixed);
    expect(overlaid.stdout).not.toContain('IST0118');
  });

  it('verifies the installation', async () => {
    const r = await meshctl('verify-install');
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('✔ Istio is installed and verified successfully');
  });

  it('switches to the minimal profile: the gateways are pruned, the CRDs stay', async () => {
    const r = await meshctl('install', '--set', 'profile=minimal', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Deployment/istio-system/istio-egressgateway');
    expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-egressgateway' })).toBeUndefined();
    expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-ingressgateway' })).toBeUndefined();
    expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' })).toBeDefined();
    expect(cluster.store.list('apiextensions.k8s.io', 'CustomResourceDefinition').length).toBeGreaterThanOrEqual(15);
    const want = (await rendered('minimal')).map(key).sort();
    const owned = storeKeys((o) => o.metadata.labels?.[COMPONENT] !== undefined && !o.metadata.name.startsWith('meshctl-installed-state'));
    expect(owned).toEqual(want);
  });

  it('uninstalls the revision, warning about the proxies still using it; the CRDs stay', async () => {
    const r = await meshctl('uninstall', '-r', 'default', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/proxies/);
    expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' })).toBeUndefined();
    expect(cluster.store.list('apiextensions.k8s.io', 'CustomResourceDefinition').length).toBeGreaterThanOrEqual(15);
  });

  it('purges everything, leaving the namespace and the applications', async () => {
    const r = await meshctl('uninstall', '--purge', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(storeKeys((o) => o.metadata.labels?.[COMPONENT] !== undefined)).toEqual([]);
    expect(cluster.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).toEqual([]);
    const crds = await kubectl('get', 'crd', '-o', 'name');
    expect(crds.stdout.trim()).toBe('');
    expect(cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeDefined();
    expect(cluster.store.list('apps', 'Deployment', 'bookinfo')).toHaveLength(6);
  });
});

function version(k: string): string | undefined {
  const parts = k.split('/');
  const [kind, ns, name] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
  const group = KINDS.find(([, kd]) => kd === kind)?.[0] ?? '';
  return cluster.store.get({ group, kind: kind!, namespace: ns, name: name! })?.metadata.resourceVersion as string | undefined;
}
