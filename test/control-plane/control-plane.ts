/**
 * The real Kubernetes control plane the cluster tests run against, in the way controller-runtime's
 * envtest runs real binaries: etcd, kube-apiserver (TLS, token and client-certificate auth, RBAC),
 * kube-controller-manager (the controllers meshctl relies on), kube-scheduler, and kwok as the
 * kubelet stand-in on one or more fake Nodes. Binaries come from `test/control-plane/go.mod`
 * (`npm run build:control-plane`). Everything listens on and dials 127.0.0.1 only: the API server's
 * traffic into the cluster goes through the egress proxy (egress.ts), and meshctl reaches the API
 * server through the fault-injecting proxy (fault-proxy.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startEgress, type Egress } from './egress.js';
import { podInjection } from './injection.js';
import { startFaultProxy, type FaultProxy, type KubeVersion } from './fault-proxy.js';
import { newCertificateAuthority } from './pki.js';
import { restClient, type Rest } from './rest.js';
import { objectStore, type ObjectStore } from './objects.js';
import { kwokConfig, type WorkloadBehaviour } from './stages.js';
import type { FaultPlan, RequestRecord } from './types.js';

export type { WorkloadBehaviour } from './stages.js';
export type { KubeVersion } from './fault-proxy.js';

/** The Kubernetes release the binaries are built from (test/control-plane/go.mod). */
export const KUBERNETES_VERSION = 'v1.35.3';

/** Controllers kube-controller-manager runs: what Deployments, DaemonSets, StatefulSets, Jobs, namespaces and deletes need. */
export const CONTROLLERS = [
  'deployment-controller', 'replicaset-controller', 'daemonset-controller', 'statefulset-controller', 'job-controller',
  'namespace-controller', 'garbage-collector-controller', 'serviceaccount-controller', 'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller', 'endpointslice-controller', 'disruption-controller',
];

/** The repository: the first folder up from this file (or its bundle under node_modules) holding test/control-plane/go.mod. */
const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test', 'control-plane', 'go.mod'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
})();

/** Returns the folder holding the built binaries: `MESHCTL_CONTROL_PLANE_BIN`, else `.cache/control-plane/bin`. */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MESHCTL_CONTROL_PLANE_BIN ?? join(repoRoot, '.cache', 'control-plane', 'bin');
}

const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok'] as const;

/** Returns the binaries that are missing, [] when the control plane can start. */
export function missingBinaries(env: NodeJS.ProcessEnv = process.env): string[] {
  return BINARIES.filter((b) => !existsSync(join(binDir(env), b)));
}

/** Returns the path of the kubectl built with the control plane (the same Kubernetes release). */
export function kubectlPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(binDir(env), 'kubectl');
}

/** Options of `startControlPlane`. Every field has a default suitable for tests. */
export interface ControlPlaneOptions {
  /** Delay before a Pod becomes Ready, ms. Default 0. */
  readyDelayMs?: number;
  /** Per-workload kubelet behaviour, keyed `namespace/name` of the owning workload. */
  workloads?: Record<string, WorkloadBehaviour>;
  /** Kubelet version of the Nodes (drives native-sidecar detection). Default the control plane's release. */
  kubeletVersion?: string;
  /** Number of Nodes. Default 1. */
  nodes?: number;
  /** Answer `/version` through the proxy with this version (the server's own otherwise). */
  version?: KubeVersion;
  /** Folder for the control plane's files; default a new temp folder, removed by close(). */
  dir?: string;
  /**
   * Let the webhook stand-in inject Pods as istiod of the dialed revision would (injection.ts).
   * Default false: every admission request is admitted unchanged.
   */
  injection?: boolean;
}

/** A running control plane. */
export interface ControlPlane {
  /** URL of the fault proxy in front of the API server; what meshctl and kubectl use. */
  readonly url: string;
  /** URL of kube-apiserver itself. */
  readonly apiServerUrl: string;
  /** Kubeconfig (context `test-cluster`, namespace `default`, cluster-admin token) through the fault proxy. */
  readonly kubeconfigPath: string;
  /** The same user, straight to kube-apiserver (no proxy, no faults, no request log). */
  readonly directKubeconfigPath: string;
  /** Kubeconfig of user `restricted`: authenticated, with no RBAC rights beyond discovery and self reviews. */
  readonly restrictedKubeconfigPath: string;
  /** Kubeconfig authenticating with a client certificate (user `cert-admin`, group system:masters). */
  readonly certKubeconfigPath: string;
  readonly token: string;
  readonly caPem: string;
  /** The control plane's folder: kubeconfigs, certificates, each process's log. */
  readonly dir: string;
  /** Admin client straight to the API server, for the tests' own reads and writes. */
  readonly rest: Rest;
  /** Objects by group and kind, straight to the API server (admin). */
  readonly store: ObjectStore;
  /** Requests that went through the fault proxy since start or the last resetRequests(). */
  readonly requests: RequestRecord[];
  resetRequests(): void;
  setFaults(plan: FaultPlan | undefined): void;
  setVersion(version: KubeVersion | undefined): void;
  /** Every `host:port` the API server dialled into the cluster (all answered on loopback). */
  readonly egressTargets: string[];
  /** Admission requests the webhook stand-in answered. */
  readonly admissions: Egress['admissions'];
  /** Changes how the kubelet stand-in treats a workload's Pods from now on (restarts kwok). */
  setWorkload(key: string, behaviour: WorkloadBehaviour): Promise<void>;
  /** Wall time from start to a usable cluster, ms. */
  readonly startupMs: number;
  /** Process ids of every process started (for the tests that check none outlives close()). */
  pids(): number[];
  close(): Promise<void>;
}

/** Returns a free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

const setpriv = ((): string | undefined => {
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('pdeathsig') ? 'setpriv' : undefined;
})();

/** A started process with its log file. */
interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

/**
 * Starts `bin` with its output in `<dir>/<name>.log`. Under setpriv the process gets SIGKILL when
 * its parent dies, so a crashed test run leaves no control plane behind.
 */
function startProcess(dir: string, name: string, bin: string, args: string[]): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, GOMAXPROCS: process.env.GOMAXPROCS ?? '2' } });
  closeSync(fd);
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code) => res(code));
    child.once('error', () => res(-1));
  });
  return { name, child, log, exited };
}

async function stopProcess(p: Proc, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls `check` every 50 ms until it returns true; throws after `timeoutMs` or when `proc` exits. */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, procs: Proc[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(`control plane: ${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) while waiting for ${what}:\n${await tail(p.log)}`);
      }
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = await Promise.all(procs.map(async (p) => `--- ${p.name}\n${await tail(p.log, 15)}`));
      throw new Error(`control plane: timed out after ${timeoutMs} ms waiting for ${what}\n${logs.join('\n')}`);
    }
    await sleep(50);
  }
}

/** Returns a kubeconfig (context `test-cluster`, namespace `default`) for `server` as `user`. */
function kubeconfig(server: string, caPem: string, user: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test-cluster', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'test-user', user }],
    contexts: [{ name: 'test-cluster', context: { cluster: 'test-cluster', user: 'test-user', namespace: 'default' } }],
    'current-context': 'test-cluster',
  });
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Starts a control plane and returns once it is usable: the API server ready, the Nodes Ready
 * through kwok, and the `default` ServiceAccount made by the controller manager. Throws with the
 * failing process's log tail when a process exits or a step takes over 60 s; whatever started is
 * stopped again.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const missing = missingBinaries();
  if (missing.length > 0) {
    throw new Error(`control plane: ${missing.join(', ')} not built in ${binDir()}: run \`npm run build:control-plane\` (needs Go and the Go module proxy)`);
  }
  const bin = (name: string): string => join(binDir(), name);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? await mkdtemp(join(tmpdir(), 'meshctl-cp-'));
  const procs: Proc[] = [];
  let egress: Egress | undefined;
  let proxy: FaultProxy | undefined;
  let rest: Rest | undefined;
  const stopWatches: (() => void)[] = [];
  let closing = false;
  const cleanup = async (): Promise<void> => {
    closing = true;
    for (const s of stopWatches) s();
    rest?.close();
    for (const p of [...procs].reverse()) await stopProcess(p);
    await proxy?.close();
    await egress?.close();
    if (ownDir && !process.env.MESHCTL_KEEP_CONTROL_PLANE) await rm(dir, { recursive: true, force: true });
  };

  try {
    const ca = await newCertificateAuthority();
    const [apiCert, proxyCert, clientCert, saKeys] = await Promise.all([
      ca.issue({ commonName: 'kube-apiserver', dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'], ips: ['127.0.0.1'], usage: 'server' }),
      ca.issue({ commonName: 'fault-proxy', dnsNames: ['localhost'], ips: ['127.0.0.1'], usage: 'server' }),
      ca.issue({ commonName: 'cert-admin', organizations: ['system:masters'], usage: 'client' }),
      generateKeyPairAsync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }),
    ]);
    const token = `admin-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const restrictedToken = `restricted-${Math.random().toString(36).slice(2)}`;
    const f = (name: string): string => join(dir, name);
    await Promise.all([
      writeFile(f('ca.crt'), ca.caPem),
      writeFile(f('apiserver.crt'), apiCert.certPem),
      writeFile(f('apiserver.key'), apiCert.keyPem, { mode: 0o600 }),
      writeFile(f('sa.key'), saKeys.privateKey, { mode: 0o600 }),
      writeFile(f('sa.pub'), saKeys.publicKey),
      writeFile(f('tokens.csv'), `${token},admin,uid-admin,"system:masters"\n${restrictedToken},restricted,uid-restricted\n`, { mode: 0o600 }),
      writeFile(f('egress.yaml'), stringify({
        apiVersion: 'apiserver.k8s.io/v1beta1',
        kind: 'EgressSelectorConfiguration',
        egressSelections: [{ name: 'cluster', connection: { proxyProtocol: 'HTTPConnect', transport: { uds: { udsName: f('egress.sock') } } } }],
      })),
    ]);

    egress = await startEgress(ca, f('egress.sock'));

    const [etcdPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcd = startProcess(dir, 'etcd', bin('etcd'), ['-data-dir', f('etcd-data'), '-client-url', `http://127.0.0.1:${etcdPort}`, '-peer-url', `http://127.0.0.1:${etcdPeerPort}`]);
    procs.push(etcd);
    await waitUntil('etcd', 60_000, async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, procs);

    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    procs.push(startProcess(dir, 'kube-apiserver', bin('kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      `--tls-cert-file=${f('apiserver.crt')}`, `--tls-private-key-file=${f('apiserver.key')}`,
      `--client-ca-file=${f('ca.crt')}`, `--token-auth-file=${f('tokens.csv')}`,
      '--authorization-mode=RBAC',
      // Services get addresses from a loopback range: nothing ever dials them (egress.ts), and a
      // stray dial would stay on this machine.
      '--service-cluster-ip-range=127.96.0.0/16',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${f('sa.pub')}`, `--service-account-signing-key-file=${f('sa.key')}`,
      `--egress-selector-config-file=${f('egress.yaml')}`,
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true', '--profiling=false',
      `--cert-dir=${f('apiserver-certs')}`,
    ]));
    rest = restClient(apiServerUrl, ca.caPem, token);
    const r = rest;
    if (opts.injection) egress.setInjection(podInjection(r));
    await waitUntil('kube-apiserver /readyz', 60_000, async () => (await r.request('/readyz', { timeoutMs: 2000 })).status === 200, procs);

    const kubeletVersion = opts.kubeletVersion ?? KUBERNETES_VERSION;
    const nodeCount = opts.nodes ?? 1;
    for (let i = 1; i <= nodeCount; i++) {
      const name = `node-${i}`;
      const created = await r.request('/api/v1/nodes', {
        method: 'POST',
        body: {
          apiVersion: 'v1', kind: 'Node',
          metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node.kubernetes.io/instance-type': 'kwok' } },
          status: { nodeInfo: { kubeletVersion, architecture: 'amd64', operatingSystem: 'linux' } },
        },
      });
      if (created.status !== 201) throw new Error(`control plane: creating Node ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    }

    const admin = kubeconfig(apiServerUrl, ca.caPem, { token });
    await writeFile(f('admin.kubeconfig'), admin, { mode: 0o600 });
    procs.push(startProcess(dir, 'kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${f('admin.kubeconfig')}`, `--controllers=${CONTROLLERS.join(',')}`,
      `--service-account-private-key-file=${f('sa.key')}`, `--root-ca-file=${f('ca.crt')}`,
      '--leader-elect=false', '--secure-port=0', '--use-service-account-credentials=false',
      '--concurrent-deployment-syncs=10', '--concurrent-replicaset-syncs=10', '--concurrent-gc-syncs=20',
    ]));
    procs.push(startProcess(dir, 'kube-scheduler', bin('kube-scheduler'), [`--kubeconfig=${f('admin.kubeconfig')}`, '--leader-elect=false', '--secure-port=0']));

    let workloads: Record<string, WorkloadBehaviour> = { ...(opts.workloads ?? {}) };
    const readyDelayMs = opts.readyDelayMs ?? 0;
    const kwokArgs = [
      `--kubeconfig=${f('admin.kubeconfig')}`, `--config=${f('kwok.yaml')}`, '--manage-all-nodes=true',
      // Pod and Node addresses on loopback: nothing dials them, and nothing could leave the machine.
      '--cidr=127.244.0.1/16', '--node-ip=127.0.0.2', '--node-port=0',
    ];
    const startKwok = async (): Promise<Proc> => {
      await writeFile(f('kwok.yaml'), kwokConfig({ readyDelayMs, workloads }));
      const p = startProcess(dir, 'kwok', bin('kwok'), kwokArgs);
      procs.push(p);
      return p;
    };
    await startKwok();

    // What istiod does for its webhooks once it serves: write its CA into their caBundle.
    const caB64 = Buffer.from(ca.caPem).toString('base64');
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      stopWatches.push(r.watch(`/apis/admissionregistration.k8s.io/v1/${kind}`, (ev) => {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
        const o = ev.object as { metadata: { name: string }; webhooks?: { clientConfig?: { service?: { name?: string }; caBundle?: string } }[] };
        const ops = (o.webhooks ?? []).flatMap((w, i) => w.clientConfig?.service?.name?.startsWith('istiod') && w.clientConfig.caBundle !== caB64
          ? [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caB64 }] : []);
        if (ops.length === 0) return;
        void r.request(`/apis/admissionregistration.k8s.io/v1/${kind}/${o.metadata.name}?fieldManager=pilot-discovery`, { method: 'PATCH', contentType: 'application/json-patch+json', body: ops }).catch(() => undefined);
      }));
    }

    // What istiod's informers do once Istio's CRDs exist: request each custom resource type. The
    // API server sets up a custom resource's storage at its first request; when the first request
    // is the CRD finalizer's own (a CRD deleted before anyone used it), the storage is still
    // initializing, the finalizer backs off exponentially, and the CRD can stay Terminating for
    // minutes, which a cluster with istiod running never sees. resourceVersion=0 is answered
    // from the watch cache, so a 200 means the storage is ready.
    const primed = new Set<string>();
    stopWatches.push(r.watch('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', (ev) => {
      const crd = ev.object as { metadata: { name: string; uid?: string }; spec?: { group: string; names: { plural: string }; versions: { name: string; storage?: boolean }[] }; status?: { conditions?: { type: string; status: string }[] } };
      const uid = crd.metadata.uid ?? crd.metadata.name;
      if (ev.type === 'DELETED' || !crd.spec || !crd.spec.group.endsWith('istio.io') || primed.has(uid)) return;
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
      primed.add(uid);
      const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name;
      const path = `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}?resourceVersion=0&limit=1`;
      void (async () => {
        for (let i = 0; i < 100 && !closing; i++) {
          if ((await r.request(path).catch(() => ({ status: 0 }))).status === 200) return;
          await sleep(100);
        }
      })();
    }));

    await waitUntil('Nodes Ready', 60_000, async () => {
      const nodes = (await r.request('/api/v1/nodes')).body as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      return nodes.items.length === nodeCount && nodes.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, procs);
    // The API server taints a new Node not-ready; the node lifecycle controller would lift the taint
    // once the kubelet reports Ready. That controller also evicts Pods from Nodes whose heartbeats
    // lag, which a loaded test machine must not trigger, so it does not run and the taint goes here.
    for (let i = 1; i <= nodeCount; i++) {
      const lifted = await r.request(`/api/v1/nodes/node-${i}`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { taints: null } } });
      if (lifted.status !== 200) throw new Error(`control plane: removing the not-ready taint of node-${i}: ${lifted.status} ${JSON.stringify(lifted.body)}`);
    }
    await waitUntil('ServiceAccount default/default', 60_000, async () => (await r.request('/api/v1/namespaces/default/serviceaccounts/default')).status === 200, procs);

    proxy = await startFaultProxy({ upstream: apiServerUrl, upstreamCaPem: ca.caPem, certPem: proxyCert.certPem, keyPem: proxyCert.keyPem });
    if (opts.version) proxy.setVersion(opts.version);
    const p = proxy;
    const kubeconfigPath = f('kubeconfig');
    await Promise.all([
      writeFile(kubeconfigPath, kubeconfig(p.url, ca.caPem, { token }), { mode: 0o600 }),
      writeFile(f('direct.kubeconfig'), admin, { mode: 0o600 }),
      writeFile(f('restricted.kubeconfig'), kubeconfig(p.url, ca.caPem, { token: restrictedToken }), { mode: 0o600 }),
      writeFile(f('cert.kubeconfig'), kubeconfig(apiServerUrl, ca.caPem, {
        'client-certificate-data': Buffer.from(clientCert.certPem).toString('base64'),
        'client-key-data': Buffer.from(clientCert.keyPem).toString('base64'),
      }), { mode: 0o600 }),
    ]);
    const eg = egress;
    const startupMs = Date.now() - started;
    let closed: Promise<void> | undefined;
    return {
      url: p.url,
      apiServerUrl,
      kubeconfigPath,
      directKubeconfigPath: f('direct.kubeconfig'),
      restrictedKubeconfigPath: f('restricted.kubeconfig'),
      certKubeconfigPath: f('cert.kubeconfig'),
      token,
      caPem: ca.caPem,
      dir,
      rest: r,
      store: objectStore(r),
      requests: p.requests,
      resetRequests: () => p.resetRequests(),
      setFaults: (plan) => p.setFaults(plan),
      setVersion: (v) => p.setVersion(v),
      egressTargets: eg.targets,
      admissions: eg.admissions,
      async setWorkload(key, behaviour) {
        workloads = { ...workloads, [key]: behaviour };
        const old = procs.findLast((x) => x.name === 'kwok');
        if (old) {
          await stopProcess(old);
          procs.splice(procs.indexOf(old), 1);
        }
        await startKwok();
      },
      startupMs,
      pids: () => procs.map((x) => x.child.pid ?? -1),
      close() {
        closed ??= cleanup();
        return closed;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
