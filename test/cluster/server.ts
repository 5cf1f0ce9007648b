/**
 * An in-process Kubernetes API server for tests: HTTPS with a generated CA, bearer-token auth,
 * legacy discovery, the usual verbs with server-side apply and managed fields, CRDs that become
 * Established, a request log, fault injection and the simulated controllers of kubelet.ts.
 * Both @kubernetes/client-node and a real kubectl work against it unchanged, through the
 * kubeconfig it writes. The contract is types.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { Api, type ApiResponse } from './api.js';
import { startKubelet, NODE_IP, NODE_LABELS, NODE_NAME } from './kubelet.js';
import { crdTypes, isEstablished } from './resources.js';
import { ApiError, failureStatus, unauthorized } from './status.js';
import { MemoryStore, timestamp } from './store.js';
import type { FaultAction, FaultPlan, RequestRecord, StoreEvent, TestCluster, TestClusterOptions } from './types.js';
import { testCertificates } from './tls.js';

export type * from './types.js';

/** Version reported by `/version` unless the options say otherwise. */
export const DEFAULT_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.2' } as const;

/** Name of the kubeconfig context (and cluster) the server writes. */
export const CONTEXT_NAME = 'test-cluster';

/** Reads a request body completely. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Returns the kubeconfig YAML for a server at `url`. */
function kubeconfig(url: string, token: string, caPem: string): string {
  const cluster: Record<string, unknown> = { server: url };
  if (caPem) cluster['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
  // client-node refuses an http:// server unless TLS verification is explicitly off; kubectl does not mind.
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster }],
    users: [{ name: 'test-user', user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: 'test-user', namespace: 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** The objects a fresh cluster has: system namespaces and the one node the kubelet simulates. */
function seed(store: MemoryStore, version: { gitVersion: string }): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.put({
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  const now = timestamp(store.now());
  store.put({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: NODE_NAME, labels: { ...NODE_LABELS } },
    spec: { podCIDR: '10.244.0.0/24' },
    status: {
      addresses: [{ type: 'InternalIP', address: NODE_IP }, { type: 'Hostname', address: NODE_NAME }],
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      capacity: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: {
        architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: version.gitVersion, containerRuntimeVersion: 'containerd://2.1.1',
        kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', machineID: '', systemUUID: '', bootID: '',
      },
    },
  });
}

/**
 * Watches CRDs and, `delayMs` after one appears (or stops being Established), sets the
 * NamesAccepted and Established conditions the apiextensions controller would. Only then does
 * the Registry serve its resources. Returns a stop function that clears pending timers.
 */
function startCrdController(store: MemoryStore, delayMs: number): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  const establish = (name: string): void => {
    timers.delete(name);
    const ref = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name };
    // Only read: putStatus writes a new object.
    const crd = store.peek(ref);
    if (!crd || isEstablished(crd) || crdTypes(crd).length === 0) return;
    const spec = crd.spec as { names: Record<string, unknown>; versions?: Array<{ name: string; storage?: boolean }> };
    const now = timestamp(store.now());
    const kind = String(spec.names.kind);
    store.putStatus(ref, {
      acceptedNames: { ...spec.names, singular: spec.names.singular ?? kind.toLowerCase(), listKind: spec.names.listKind ?? `${kind}List` },
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
      ],
      storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
    });
  };
  // The controller only reads the events, so it takes the stored objects rather than copies.
  const unsubscribe = store.subscribeShared((event: StoreEvent) => {
    const obj = event.object;
    if (obj.kind !== 'CustomResourceDefinition' || obj.apiVersion !== 'apiextensions.k8s.io/v1') return;
    const name = obj.metadata.name;
    if (event.type === 'DELETED') {
      clearTimeout(timers.get(name));
      timers.delete(name);
      return;
    }
    if (isEstablished(obj) || timers.has(name)) return;
    timers.set(name, setTimeout(() => establish(name), delayMs));
  });
  return () => {
    unsubscribe();
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };
}

/**
 * Starts a test cluster on 127.0.0.1 and returns its handle once it accepts connections and its
 * kubeconfig is written. See TestClusterOptions for the defaults. Close it with `close()`.
 */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const tls = opts.tls ?? true;
  const token = opts.token ?? randomBytes(24).toString('hex');
  const version = opts.version ?? { ...DEFAULT_VERSION };
  const certs = tls ? await testCertificates() : undefined;
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? await mkdtemp(join(tmpdir(), 'meshctl-test-cluster-'));
  const kubeconfigPath = join(dir, 'kubeconfig');

  const store = new MemoryStore();
  seed(store, version);
  const api = new Api(store, { version, deny: opts.deny ?? [] });
  const stopCrds = startCrdController(store, opts.crdEstablishDelayMs ?? 0);
  const kubelet = startKubelet(store, { readyDelayMs: opts.readyDelayMs ?? 0, workloads: { ...opts.workloads } });

  const requests: RequestRecord[] = [];
  let faults: FaultPlan | undefined = opts.faults;
  let seq = 0;
  const closing = new AbortController();
  // Every delayed request listens on it for the duration of its delay; many at once is normal here.
  setMaxListeners(0, closing.signal);
  const sockets = new Set<Socket>();
  const watches = new Set<() => void>();

  const send = async (res: http.ServerResponse, record: RequestRecord, answer: ApiResponse, slowBodyMs = 0): Promise<void> => {
    const payload = answer.raw !== undefined ? Buffer.from(answer.raw) : Buffer.from(JSON.stringify(answer.body));
    record.status = answer.status;
    res.writeHead(answer.status, {
      'Content-Type': answer.contentType ?? 'application/json',
      'Content-Length': payload.length,
      'Cache-Control': 'no-cache, private',
      ...(answer.status === 429 && record.fault?.retryAfterSeconds !== undefined ? { 'Retry-After': String(record.fault.retryAfterSeconds) } : {}),
    });
    if (slowBodyMs <= 0 || payload.length < 4) {
      res.end(payload);
      return;
    }
    // A slow body: four pieces, with the delay spread between them.
    const pieces = 4;
    const size = Math.ceil(payload.length / pieces);
    for (let i = 0; i < pieces; i++) {
      if (res.destroyed) return;
      res.write(payload.subarray(i * size, (i + 1) * size));
      if (i < pieces - 1) await sleep(slowBodyMs / (pieces - 1), undefined, { signal: closing.signal }).catch(() => undefined);
    }
    res.end();
  };

  const faultAnswer = (fault: FaultAction): ApiResponse => {
    switch (fault.status) {
      case 429:
        return { status: 429, body: failureStatus(429, 'TooManyRequests', 'Too many requests, please try again later.', fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {}) };
      case 503:
        return { status: 503, body: failureStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request') };
      default:
        return { status: 500, body: failureStatus(500, 'InternalError', 'Internal error occurred: injected fault') };
    }
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const userAgent = req.headers['user-agent'];
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, ...(userAgent ? { userAgent } : {}) };
    requests.push(record);
    let fault: FaultAction = {};
    try {
      const body = await readBody(req);
      if (req.headers.authorization !== `Bearer ${token}`) {
        await send(res, record, { status: 401, body: unauthorized().toStatus() });
        return;
      }
      if (faults) {
        fault = faults.decide({ method: record.method, path: record.path, seq: seq++ }) ?? {};
        if (Object.keys(fault).length > 0) record.fault = { ...fault };
      } else {
        seq++;
      }
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.latencyMs) await sleep(fault.latencyMs, undefined, { signal: closing.signal });
      if (fault.status) {
        await send(res, record, faultAnswer(fault));
        return;
      }
      const answer = api.handle({
        method: record.method, path: record.path, query: record.query,
        contentType: req.headers['content-type'] ?? '', accept: req.headers.accept ?? '', userAgent: userAgent ?? '', body, host: req.headers.host ?? '127.0.0.1',
      });
      if ('watch' in answer) {
        record.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        let stop = (): void => undefined;
        const finish = (): void => {
          stop();
          watches.delete(finish);
          if (!res.writableEnded) res.end();
        };
        watches.add(finish);
        res.on('close', finish);
        stop = answer.watch.start((event) => {
          if (!res.writableEnded) res.write(`${JSON.stringify(event)}\n`);
        }, finish);
        return;
      }
      await send(res, record, answer, fault.slowBodyMs);
    } catch (err) {
      if (closing.signal.aborted || res.destroyed) return;
      const answer = err instanceof ApiError
        ? { status: err.code, body: err.toStatus() }
        : { status: 500, body: failureStatus(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`) };
      if (res.headersSent) res.end();
      else await send(res, record, answer);
    }
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void serve(req, res);
  };
  const server = certs ? https.createServer({ key: certs.keyPem, cert: certs.certPem }, handler) : http.createServer(handler);
  // Node's HTTP server stops reading a connection while more than the socket's write high-water
  // mark (16 KB) of answers is still queued, and a TLS socket can then hand the paused parser
  // bytes of the client's next request anyway: Node fails that request with HPE_PAUSED and closes
  // the connection, which clients see as EOF. Answers here (a CRD with managed fields is hundreds
  // of KB) exceed 16 KB all the time, so raise the mark on every connection the parser reads.
  const raiseWriteMark = (socket: Socket): void => {
    const state = (socket as unknown as { _writableState?: { highWaterMark: number } })._writableState;
    if (state) state.highWaterMark = 64 * 1024 * 1024;
  };
  server.on(certs ? 'secureConnection' : 'connection', raiseWriteMark);
  // Idle keep-alive connections must outlive the clients' own idle timeout (Go's transport, as in
  // kubectl, drops idle connections after 90 s). With Node's default of 5 s the server closes a
  // connection the client is just reusing, and a PATCH on it fails with EOF (Go does not retry
  // non-idempotent requests). A real API server keeps idle connections far longer.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test cluster: no TCP address');
  const url = `${certs ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  await writeFile(kubeconfigPath, kubeconfig(url, token, certs?.caPem ?? ''), { mode: 0o600 });

  let closed: Promise<void> | undefined;
  return {
    url,
    kubeconfigPath,
    token,
    caPem: certs?.caPem ?? '',
    store,
    requests,
    resetRequests() {
      requests.length = 0;
    },
    setFaults(plan) {
      faults = plan;
    },
    setWorkload(key, behaviour) {
      kubelet.setWorkload(key, behaviour);
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        kubelet.stop();
        stopCrds();
        for (const finish of [...watches]) finish();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await done;
        if (ownsDir) await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
