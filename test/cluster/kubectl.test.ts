/**
 * The test API server against the real kubectl, as an outside check that it speaks the
 * protocol: discovery, server-side apply of the demo profile, get, label and delete, compared
 * with what the store holds. No extra flags are needed: kubectl 1.24 and later find the
 * `fieldValidation` parameter in the server's OpenAPI documents and leave validation to the
 * server, and kubectl 1.20 validates on the client against an OpenAPI v2 document without
 * schemas (see openapi.ts). `--cache-dir` keeps kubectl's discovery cache out of the home directory.
 *
 * Environment:
 * - `MESHCTL_KUBECTL`: the kubectl binary to run (default `kubectl` on PATH). Checked with
 *   kubectl 1.32 and with Debian bookworm's 1.20.2 (package kubernetes-client, which CI
 *   installs when no kubectl is present).
 * - `MESHCTL_REQUIRE_KUBECTL=1`: a missing kubectl fails the suite instead of skipping it
 *   (CI sets it, so that the fidelity check cannot silently disappear).
 */
import { execaSync, execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../helpers.js';
import { groupOf } from './resources.js';
import { startTestCluster, type KObject, type TestCluster } from './server.js';

const KUBECTL = process.env.MESHCTL_KUBECTL || 'kubectl';
const REQUIRED = process.env.MESHCTL_REQUIRE_KUBECTL === '1';

/**
 * The client's minor version (20 for 1.20.2), or undefined when the binary does not run.
 * `version --client -o json` works from 1.20 on; distributions may write the minor as `20+`.
 */
function clientMinor(): number | undefined {
  const res = execaSync(KUBECTL, ['version', '--client', '-o', 'json'], { reject: false, timeout: 15_000 });
  if (res.exitCode !== 0) return undefined;
  try {
    const minor = Number.parseInt(String(JSON.parse(String(res.stdout)).clientVersion?.minor), 10);
    return Number.isNaN(minor) ? undefined : minor;
  } catch {
    return undefined;
  }
}

/** kubectl is optional on developer machines; CI installs it and requires the suite to run. */
const minor = clientMinor();
const hasKubectl = minor !== undefined;

describe.skipIf(!hasKubectl && !REQUIRED)(`kubectl (${KUBECTL}) against the test server`, () => {
  let cluster: TestCluster;
  let dir: string;
  let manifest: KObject[];
  let demoPath: string;

  /** Runs kubectl with the cluster's kubeconfig; never throws, returns exit code and output. */
  async function kubectl(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const res = await execa(KUBECTL, ['--cache-dir', join(dir, 'cache'), ...args], {
      // `kubectl diff` runs KUBECTL_EXTERNAL_DIFF when set; the tests expect plain `diff -u -N`.
      env: { KUBECONFIG: cluster.kubeconfigPath, KUBECTL_EXTERNAL_DIFF: '' }, reject: false, timeout: 15_000,
    });
    return { exitCode: res.exitCode ?? -1, stdout: String(res.stdout), stderr: String(res.stderr) };
  }

  /**
   * Writes YAML documents to a file in the test directory and returns its path. YAML, not JSON
   * documents between `---` lines: kubectl 1.20 decodes a file that starts with `{` as a JSON
   * stream, so the first `---` is a syntax error, and beyond the first 4 KiB reporting that
   * error panics (slice bounds out of range in apimachinery's YAMLOrJSONDecoder).
   */
  async function manifestFile(name: string, docs: KObject[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, docs.map((d) => stringify(d)).join('---\n'));
    return path;
  }

  function stored(obj: KObject): KObject | undefined {
    return cluster.store.get({ group: groupOf(obj.apiVersion), kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  }

  // Only reached without kubectl when MESHCTL_REQUIRE_KUBECTL=1: then every test fails with this.
  beforeEach(() => {
    if (!hasKubectl) throw new Error(`MESHCTL_REQUIRE_KUBECTL=1 but ${KUBECTL} does not run (\`${KUBECTL} version --client -o json\` failed)`);
  });

  beforeAll(async () => {
    if (!hasKubectl) return;
    cluster = await startTestCluster();
    dir = await mkdtemp(join(tmpdir(), 'meshctl-kubectl-test-'));
    const generated = await run(['manifest', 'generate', '--set', 'profile=demo']);
    expect(generated.code).toBe(0);
    manifest = parseAllDocuments(generated.stdout).map((d) => d.toJS() as KObject).filter((o) => o);
    demoPath = await manifestFile('demo.yaml', manifest);
  });

  afterAll(async () => {
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the server version', async () => {
    const res = await kubectl('version', '-o', 'json');
    expect(res.exitCode).toBe(0);
    expect(JSON.parse(res.stdout).serverVersion).toMatchObject({ major: '1', minor: '33', gitVersion: 'v1.33.2' });
  });

  it('lists API resources from legacy discovery', async () => {
    const res = await kubectl('api-resources', '--no-headers');
    expect(res.exitCode).toBe(0);
    const rows = res.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(rows).toContainEqual(['customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition']);
    expect(rows).toContainEqual(['selfsubjectaccessreviews', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview']);
  });

  it('applies the demo profile server-side, and re-applying changes nothing', async () => {
    const ns = await manifestFile('ns.yaml', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } }]);
    const nsRes = await kubectl('apply', '--server-side', '-f', ns);
    expect(nsRes.stderr).toBe('');
    expect(nsRes.stdout.trim()).toBe('namespace/istio-system serverside-applied');

    const seen = cluster.requests.length;
    const res = await kubectl('apply', '--server-side', '-f', demoPath);
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(manifest.length);
    // Where validation happened: kubectl 1.24 and later find `fieldValidation` in the OpenAPI
    // documents (v3 from 1.27, v2 before) and ask the server to validate. Older ones validate
    // on the client with the OpenAPI v2 document, whose answer they must be able to parse.
    const patches = cluster.requests.slice(seen).filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(manifest.length);
    if (minor! >= 24) {
      for (const p of patches) expect(p.query).toMatchObject({ fieldManager: 'kubectl', fieldValidation: 'Strict' });
    } else {
      for (const p of patches) expect(p.query).toEqual({ fieldManager: 'kubectl', force: 'false' });
      expect(cluster.requests.slice(seen)).toContainEqual(expect.objectContaining({ method: 'GET', path: '/openapi/v2', status: 200 }));
    }
    for (const obj of manifest) {
      const live = stored(obj);
      expect(live, `${obj.kind} ${obj.metadata.name}`).toBeDefined();
      expect(live!.metadata.labels).toEqual(expect.objectContaining(obj.metadata.labels ?? {}));
      expect((live!.metadata.managedFields as any[]).find((m) => m.manager === 'kubectl')).toMatchObject({ operation: 'Apply' });
    }
    const versions = manifest.map((o) => stored(o)!.metadata.resourceVersion);
    const again = await kubectl('apply', '--server-side', '-f', demoPath);
    expect(again.exitCode).toBe(0);
    // The simulated controllers may still be writing workload status; compare the rest.
    const unchanged = manifest.filter((o) => !['Deployment'].includes(o.kind));
    expect(unchanged.map((o) => stored(o)!.metadata.resourceVersion)).toEqual(unchanged.map((o) => versions[manifest.indexOf(o)]));
  });

  it('gets deployments and CRDs as the store holds them', async () => {
    const deploys = await kubectl('get', 'deploy', '-n', 'istio-system', '-o', 'name');
    expect(deploys.exitCode).toBe(0);
    const expected = cluster.store.list('apps', 'Deployment', 'istio-system').map((d) => `deployment.apps/${d.metadata.name}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(deploys.stdout.trim().split('\n')).toEqual(expected);

    const table = await kubectl('get', 'deploy', '-n', 'istio-system');
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    expect(table.stdout).toMatch(/\nistiod\s+\d\/1\s/);

    const crds = await kubectl('get', 'crd', '-o', 'name');
    expect(crds.stdout.trim().split('\n').sort()).toEqual(
      cluster.store.list('apiextensions.k8s.io', 'CustomResourceDefinition').map((c) => `customresourcedefinition.apiextensions.k8s.io/${c.metadata.name}`).sort());
    expect(crds.stdout).toContain('virtualservices.networking.istio.io');

    const json = await kubectl('get', 'deploy', 'istiod', '-n', 'istio-system', '-o', 'json');
    const live = JSON.parse(json.stdout);
    expect(live.metadata.uid).toBe(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' })!.metadata.uid);
  });

  const reviewsRef = { group: 'networking.istio.io', kind: 'VirtualService', namespace: 'default', name: 'reviews' };
  const reviews = (hosts: string[]): KObject => ({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' },
    spec: { hosts, http: [{ route: [{ destination: { host: 'reviews' } }] }] },
  });

  it('serves custom resources of the applied CRDs', async () => {
    const vs = await manifestFile('vs.yaml', [reviews(['reviews'])]);
    const applied = await kubectl('apply', '--server-side', '-f', vs);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('virtualservice.networking.istio.io/reviews serverside-applied');
    const got = await kubectl('get', 'vs', '-n', 'default', '-o', 'name');
    expect(got.stdout.trim()).toBe('virtualservice.networking.istio.io/reviews');
    expect(cluster.store.get(reviewsRef)).toBeDefined();
  });

  it('previews a change with a server-side dry run and stores nothing', async () => {
    // kubectl 1.20 first checks in OpenAPI v2 that the kind's PATCH declares `dryRun`.
    const before = cluster.store.get(reviewsRef)!.metadata.resourceVersion;
    const changed = await manifestFile('vs-changed.yaml', [reviews(['reviews', 'reviews.default.svc.cluster.local'])]);
    const seen = cluster.requests.length;
    const diff = await kubectl('diff', '--server-side', '-f', changed);
    expect(diff.stderr).toBe('');
    expect(diff.exitCode).toBe(1); // 1: differences found
    expect(diff.stdout).toMatch(/^\+\s*- reviews\.default\.svc\.cluster\.local$/m);
    const dryRun = await kubectl('apply', '--server-side', '--dry-run=server', '-f', changed);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.stdout.trim()).toBe('virtualservice.networking.istio.io/reviews serverside-applied (server dry run)');
    const patches = cluster.requests.slice(seen).filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(2);
    for (const p of patches) expect(p.query.dryRun).toBe('All');
    expect(cluster.store.get(reviewsRef)!.metadata.resourceVersion).toBe(before);
    expect((cluster.store.get(reviewsRef)!.spec as { hosts: string[] }).hosts).toEqual(['reviews']);
  });

  it('creates objects from its typed commands, which send protobuf', async () => {
    expect((await kubectl('create', 'namespace', 'typed')).stdout.trim()).toBe('namespace/typed created');
    const cm = await kubectl('create', 'configmap', 'settings', '-n', 'typed', '--from-literal=a=1', '--from-literal=b=2');
    expect(cm.stderr).toBe('');
    expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'typed', name: 'settings' })).toMatchObject({ data: { a: '1', b: '2' } });
    await kubectl('create', 'secret', 'generic', 'creds', '-n', 'typed', '--from-literal=token=abc');
    expect(cluster.store.get({ group: '', kind: 'Secret', namespace: 'typed', name: 'creds' })).toMatchObject({
      type: 'Opaque', data: { token: Buffer.from('abc').toString('base64') },
    });
    expect(cluster.store.get({ group: '', kind: 'Namespace', name: 'typed' })).toMatchObject({ status: { phase: 'Active' } });
  });

  it('waits for conditions with a watch', async () => {
    const res = await kubectl('wait', '--for=condition=Available', 'deployment/istiod', '-n', 'istio-system', '--timeout=10s');
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('deployment.apps/istiod condition met');
  });

  it('labels a namespace', async () => {
    const res = await kubectl('label', 'ns', 'istio-system', 'foo=bar');
    expect(res.exitCode).toBe(0);
    expect(res.stdout.trim()).toBe('namespace/istio-system labeled');
    expect(cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })!.metadata.labels).toMatchObject({ foo: 'bar' });
  });

  it('deletes what it applied', async () => {
    // kubectl throttles itself to about five requests a second, and `delete` waits with one GET
    // per object: the workloads go with waiting, the rest without, to keep the test short.
    const workloads = manifest.filter((o) => o.kind === 'Deployment' || o.kind === 'Service');
    const waited = await kubectl('delete', '-f', await manifestFile('workloads.yaml', workloads));
    expect(waited.stderr).toBe('');
    expect(waited.exitCode).toBe(0);
    expect(waited.stdout).toContain('deployment.apps "istiod" deleted');
    // The Deployments' ReplicaSets and Pods went with them.
    expect(cluster.store.list('', 'Pod', 'istio-system')).toEqual([]);
    expect(cluster.store.list('apps', 'ReplicaSet', 'istio-system')).toEqual([]);

    const rest = await kubectl('delete', '-f', demoPath, '--wait=false', '--ignore-not-found');
    expect(rest.exitCode).toBe(0);
    for (const obj of manifest) expect(stored(obj), `${obj.kind} ${obj.metadata.name}`).toBeUndefined();
    // Deleting the VirtualService CRD took the custom resource with it.
    expect(cluster.store.list('networking.istio.io', 'VirtualService')).toEqual([]);
  });
});
