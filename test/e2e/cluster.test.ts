/**
 * End to end against a real control plane (test/control-plane/), as a user follows Istio's
 * getting-started flow: the built `bin/meshctl` and the kubectl of the same Kubernetes release, run
 * with execa, share one cluster.
 * install demo → install again (no change) → kubectl sees every object → create and label a
 * namespace → kube-inject Bookinfo from the cluster's configuration, apply it with kubectl and wait
 * until it is Available → version → analyze the cluster → verify-install → switch to minimal
 * (gateways pruned) → uninstall → purge. Last, what the flow dialled: every connection of the
 * control plane, meshctl and kubectl stayed on loopback, and the API server's calls into the
 * cluster (the injection webhook) reached only the loopback stand-in.
 *
 * The steps share state, so they run in order in one describe block.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { isLoopback, procAddress, startSocketSampler, tcpConnectionsOf, type SocketSampler } from './sockets.js';
import { eventually } from './support.js';

const bin = join(repoRoot, 'bin/meshctl');
const KUBECTL = process.env.MESHCTL_KUBECTL || kubectlPath();
const COMPONENT = 'operator.istio.io/component';
const BOOKINFO = ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3'];

let cp: ControlPlane;
let dir: string;
let env: Record<string, string>;
let sockets: SocketSampler;
/** The istiod Service's ClusterIP, read while it exists. */
let istiodClusterIp = '';

/** Runs a command with its sockets sampled while it runs. */
function tracked(name: string, p: ResultPromise<{ env: Record<string, string>; reject: false; timeout: number }>) {
  const untrack = sockets.track(p.pid, name);
  return p.finally(untrack);
}

function meshctl(...args: string[]) {
  return tracked(`meshctl ${args[0]}`, execa(bin, args, { env, reject: false, timeout: 120_000 }));
}

function kubectl(...args: string[]) {
  return tracked(`kubectl ${args[0]}`, execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), ...args], { env, reject: false, timeout: 120_000 }));
}

/** The kinds an installation consists of, as [group, kind]. */
const KINDS: [string, string][] = [
  ['apiextensions.k8s.io', 'CustomResourceDefinition'], ['', 'ServiceAccount'], ['', 'ConfigMap'], ['', 'Service'], ['', 'Secret'],
  ['rbac.authorization.k8s.io', 'ClusterRole'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io', 'Role'],
  ['rbac.authorization.k8s.io', 'RoleBinding'], ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'], ['apps', 'Deployment'], ['policy', 'PodDisruptionBudget'],
  ['autoscaling', 'HorizontalPodAutoscaler'],
];

/** Kinds only the installer writes: no controller updates them, so their resourceVersion moves only when meshctl changes them. */
const UNCONTROLLED = new Set(['ServiceAccount', 'ConfigMap', 'Service', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

function key(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/** Every object of the installation kinds, keyed `Kind/namespace/name` (or `Kind/name`). */
async function storeObjects(filter: (o: KObject) => boolean = () => true): Promise<Map<string, KObject>> {
  const lists = await Promise.all(KINDS.map(([group, kind]) => cp.store.list(group, kind)));
  return new Map(lists.flat().filter(filter).map((o) => [key(o), o]));
}

async function storeKeys(filter: (o: KObject) => boolean = () => true): Promise<string[]> {
  return [...(await storeObjects(filter)).keys()].sort();
}

function deployment(name: string, namespace = 'istio-system'): Promise<KObject | undefined> {
  return cp.store.get({ group: 'apps', kind: 'Deployment', namespace, name });
}

const labelled = (o: KObject): boolean => o.metadata.labels?.[COMPONENT] !== undefined;

/**
 * What an object is apart from what controllers write: without status, the managedFields entries
 * of status writers, and resourceVersion. A change by meshctl shows in the content, in
 * `generation`, or in the time of its managedFields entry.
 */
function content(o: KObject): string {
  const { status: _status, ...rest } = o;
  const { resourceVersion: _rv, managedFields, ...metadata } = o.metadata;
  const entries = ((managedFields ?? []) as { subresource?: string }[]).filter((m) => m.subresource !== 'status');
  return JSON.stringify({ ...rest, metadata: { ...metadata, managedFields: entries } });
}

async function rendered(profile: string): Promise<{ kind: string; metadata: { name: string; namespace?: string } }[]> {
  const r = await execa(bin, ['manifest', 'generate', '--set', `profile=${profile}`]);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

/** Every listable kind the server serves, as kubectl names them. */
async function listableKinds(): Promise<string[]> {
  const r = await kubectl('api-resources', '--verbs=list', '-o', 'name');
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('socket sampling (sockets.ts)', () => {
  it('decodes the kernel\'s address forms and tells loopback from the rest', () => {
    expect(procAddress('0100007F')).toBe('127.0.0.1');
    expect(procAddress('0260607F')).toBe('127.96.96.2');
    expect(procAddress('017100CB')).toBe('203.0.113.1');
    expect(procAddress('00000000000000000000000001000000')).toBe('::1');
    expect(procAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(procAddress('B80D0120000000000000000001000000')).toBe('2001:db8:0:0:0:0:0:1');
    expect(['127.0.0.1', '127.96.3.4', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['203.0.113.1', '192.0.2.1', '::ffff:192.0.2.1', '2001:db8:0:0:0:0:0:1', '::'].some(isLoopback)).toBe(false);
  });

  it('finds a connection of this process with both ends', async () => {
    const server = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    const port = (server.address() as net.AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((res) => socket.once('connect', () => res()));
    try {
      const mine = (await tcpConnectionsOf([process.pid], new Map([[process.pid, 'self']])))
        .filter((c) => c.remotePort === port || c.local === `127.0.0.1:${port}`);
      expect(mine.map((c) => [c.process, c.state, c.remoteAddress])).toEqual([['self', 'ESTABLISHED', '127.0.0.1'], ['self', 'ESTABLISHED', '127.0.0.1']]);
      expect(mine.map((c) => c.remote).sort()).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${socket.localPort}`].sort());
    } finally {
      socket.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});

describe('getting started against a real control plane (bin/meshctl + kubectl)', () => {
  beforeAll(async () => {
    cp = await startControlPlane();
    dir = await mkdtemp(join(tmpdir(), 'meshctl-e2e-'));
    env = { KUBECONFIG: cp.kubeconfigPath, NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '' };
    // The control plane's processes and this one; meshctl and kubectl are added while they run.
    sockets = startSocketSampler(() => cp.pids());
    sockets.track(process.pid, 'test process (fault proxy, egress proxy, webhook stand-in)');
  });
  afterAll(async () => {
    await sockets?.stop();
    await cp?.close();
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
    const have = await storeKeys(labelled);
    for (const k of want) expect(have, k).toContain(k);
    // meshctl waited for the rollout: the control plane's Deployments are Available when it returns.
    for (const name of ['istiod', 'istio-ingressgateway', 'istio-egressgateway']) {
      const d = await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name });
      const available = ((d?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Available');
      expect(available?.status, name).toBe('True');
    }
    const svc = await cp.store.get({ group: '', kind: 'Service', namespace: 'istio-system', name: 'istiod' });
    istiodClusterIp = (svc?.spec as { clusterIP?: string }).clusterIP ?? '';
    expect(istiodClusterIp).toMatch(/^127\.96\.\d+\.\d+$/);
  });

  it('changes nothing when run again', async () => {
    const before = await storeObjects();
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    const after = await storeObjects();
    expect([...after.keys()]).toEqual([...before.keys()]);
    const changed = [...after].filter(([k, o]) => {
      const was = before.get(k)!;
      return content(o) !== content(was) || (UNCONTROLLED.has(o.kind) && o.metadata.resourceVersion !== was.metadata.resourceVersion);
    }).map(([k]) => k);
    expect(changed).toEqual([]);
    expect(r.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
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
    expect(pods.exitCode, pods.stderr).toBe(0);
    const ready = (JSON.parse(pods.stdout) as { items: KObject[] }).items
      .filter((p) => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.map((p) => p.metadata.labels?.app).sort()).toEqual(['istio-egressgateway', 'istio-ingressgateway', 'istiod']);
  });

  it('runs Bookinfo injected with the cluster\'s own injection configuration, until every Deployment is Available', async () => {
    const created = await kubectl('create', 'namespace', 'bookinfo');
    expect(created.exitCode, created.stderr).toBe(0);
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
    const deployments = await cp.store.list('apps', 'Deployment', 'bookinfo');
    expect(deployments.map((d) => d.metadata.name)).toEqual(BOOKINFO);
    for (const d of deployments) {
      const spec = (d.spec as { template: { spec: { containers: { name: string }[]; initContainers?: { name: string }[] } } }).template.spec;
      expect([...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.name), d.metadata.name).toContain('istio-proxy');
    }
    // The real controllers roll the Deployments out and the kubelet stand-in runs their Pods.
    const wait = await kubectl('wait', '--for=condition=Available', 'deployment', '--all', '-n', 'bookinfo', '--timeout=90s');
    expect(wait.exitCode, wait.stderr).toBe(0);
    expect(wait.stdout.split('\n').filter(Boolean).sort()).toEqual(BOOKINFO.map((n) => `deployment.apps/${n} condition met`));
    const pods = await cp.store.list('', 'Pod', 'bookinfo');
    expect(pods.length).toBe(BOOKINFO.length);
    for (const p of pods) {
      const containers = (p.spec as { containers: { name: string }[]; initContainers?: { name: string }[] });
      expect([...containers.containers, ...(containers.initContainers ?? [])].map((c) => c.name), p.metadata.name).toContain('istio-proxy');
    }
  });

  it('reports control plane and data plane versions', async () => {
    const r = await meshctl('version');
    expect(r.exitCode, r.stderr).toBe(0);
    // Six Bookinfo Pods and the two gateways, all Running and Ready.
    expect(r.stdout).toMatch(/^client version: \S+ \(Istio 1\.30\.3\)\ncontrol plane version: 1\.30\.3\ndata plane version: 1\.30\.3 \(8 proxies\)$/);
  });

  it('analyzes the live cluster: Bookinfo is clean, a broken Service is found', async () => {
    const clean = await meshctl('analyze', '-n', 'bookinfo');
    expect(clean.exitCode, `${clean.stdout}\n${clean.stderr}`).toBe(0);
    expect(clean.stdout).not.toMatch(/Error|Warning/);
    expect(clean.stdout).not.toContain('IST0118');
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
    const live = await cp.store.get({ group: '', kind: 'Service', namespace: 'bookinfo', name: 'details' });
    expect((live?.spec as { ports: { name?: string }[] }).ports[0]?.name).toBeUndefined();
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
    expect(r.stderr).toContain('Deployment/istio-system/istio-ingressgateway');
    // Pruning deletes with foreground propagation, as istioctl does: a Deployment stays, Terminating,
    // until the garbage collector has removed its ReplicaSets and Pods, so its removal is waited for.
    for (const name of ['istio-egressgateway', 'istio-ingressgateway']) {
      expect(await eventually(async () => !(await deployment(name))), name).toBe(true);
    }
    const istiod = await deployment('istiod');
    expect(istiod).toBeDefined();
    expect(istiod?.metadata.deletionTimestamp).toBeUndefined();
    expect((await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).length).toBeGreaterThanOrEqual(15);
    const want = (await rendered('minimal')).map(key).sort();
    // Pruned Services, too, wait for their EndpointSlices.
    let owned: string[] = [];
    await eventually(async () => {
      owned = await storeKeys((o) => labelled(o) && !o.metadata.name.startsWith('meshctl-installed-state'));
      return owned.length === want.length;
    });
    expect(owned).toEqual(want);
    // The garbage collector removes the gateways' ReplicaSets and Pods after their Deployments.
    expect(await eventually(async () => (await cp.store.list('', 'Pod', 'istio-system')).every((p) => p.metadata.labels?.app === 'istiod'))).toBe(true);
  });

  it('uninstalls the revision, warning about the proxies still using it; the CRDs stay', async () => {
    const r = await meshctl('uninstall', '-r', 'default', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/proxies/);
    const istiod = await deployment('istiod');
    // Deleted: gone, or Terminating until its Pods are.
    expect(istiod === undefined || istiod.metadata.deletionTimestamp !== undefined).toBe(true);
    expect(await eventually(async () => !(await deployment('istiod')))).toBe(true);
    expect((await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).length).toBeGreaterThanOrEqual(15);
  });

  it('purges everything, leaving the install namespace and the applications', async () => {
    const r = await meshctl('uninstall', '--purge', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    // Deletes finish asynchronously: CRDs once their custom resources (Bookinfo's Gateway and
    // VirtualService) are gone, Pods and ReplicaSets through the garbage collector.
    expect(await eventually(async () => (await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).length === 0)).toBe(true);
    const crds = await kubectl('get', 'crd', '-o', 'name');
    expect(crds.exitCode, crds.stderr).toBe(0);
    expect(crds.stdout.trim()).toBe('');
    // Nothing of any listable kind carries the owner label any more.
    const kinds = (await listableKinds()).join(',');
    let left = '';
    const gone = await eventually(async () => {
      const l = await kubectl('get', kinds, '-A', '-l', COMPONENT, '-o', 'name');
      left = `${l.stdout}${l.stderr}`.trim();
      return l.exitCode === 0 && l.stdout.trim() === '';
    });
    expect(gone, left).toBe(true);
    expect(await storeKeys(labelled)).toEqual([]);
    const ns = await cp.store.get({ group: '', kind: 'Namespace', name: 'istio-system' });
    expect(ns?.metadata.deletionTimestamp).toBeUndefined();
    expect((await cp.store.list('apps', 'Deployment', 'bookinfo')).map((d) => d.metadata.name)).toEqual(BOOKINFO);
    expect((await cp.store.list('', 'Pod', 'bookinfo')).length).toBe(BOOKINFO.length);
  });

  it('dialled nothing outside loopback: the API server reached only the webhook stand-in, every socket stayed on 127.0.0.0/8', async () => {
    // The API server's calls into the cluster: the istiod Service (a ClusterIP from the loopback
    // service range), answered by the stand-in.
    const targets = [...new Set(cp.egressTargets)].sort();
    expect(targets).toEqual([`${istiodClusterIp}:443`]);
    expect(cp.admissions.length).toBeGreaterThan(0);
    expect(new Set(cp.admissions.map((a) => a.serverName))).toEqual(new Set(['istiod.istio-system.svc']));
    // The injection webhook saw every Bookinfo Pod being created.
    const podCreates = cp.admissions.filter((a) => a.kind === 'Pod' && a.operation === 'CREATE' && a.namespace === 'bookinfo');
    expect(podCreates.length).toBeGreaterThanOrEqual(BOOKINFO.length);
    expect(podCreates.every((a) => a.path.startsWith('/inject'))).toBe(true);
    for (const name of BOOKINFO) expect(podCreates.some((a) => a.name.startsWith(`${name}-`)), name).toBe(true);

    const connections = await sockets.stop();
    expect(sockets.count).toBeGreaterThan(10);
    const outside = connections.filter((c) => !isLoopback(c.remoteAddress));
    expect(outside.map((c) => `${c.process} (${c.pid}) ${c.local} -> ${c.remote} ${c.state}`)).toEqual([]);
    // The samples are not vacuous: they caught meshctl and kubectl talking to the fault proxy, and
    // the API server talking to etcd.
    const proxyPort = Number(new URL(cp.url).port);
    const byProcess = (prefix: string) => connections.filter((c) => c.process.startsWith(prefix));
    expect(byProcess('meshctl install').some((c) => c.remotePort === proxyPort)).toBe(true);
    expect(byProcess('kubectl').some((c) => c.remotePort === proxyPort)).toBe(true);
    expect(byProcess('kube-apiserver').length).toBeGreaterThan(0);
  });
});
