/**
 * The fault-injecting proxy between meshctl and the real kube-apiserver. It terminates TLS with a
 * certificate of the control plane's CA, consults a fault plan per request (429 with Retry-After,
 * 500, 503, dropped connections, latency, slow bodies), forwards everything else unchanged to the
 * API server, and records each request with the status it got. Watches stream through.
 *
 * One thing it may change besides faults: `/version` can be answered with another version, for the
 * checks that depend on the cluster's Kubernetes version (a real server of an old release cannot be
 * built here). Everything else is the real server's answer; `proxy.test.ts` checks that byte for byte.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultAction, FaultPlan, RequestRecord } from './types.js';

/** A Kubernetes version as `/version` reports it. */
export interface KubeVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

/** Options of `startFaultProxy`. */
export interface FaultProxyOptions {
  /** The API server, `https://127.0.0.1:PORT`. */
  upstream: string;
  /** CA that signed the API server's certificate, PEM. */
  upstreamCaPem: string;
  /** Serving certificate and key of the proxy (SAN 127.0.0.1), PEM. */
  certPem: string;
  keyPem: string;
}

/** A running proxy. */
export interface FaultProxy {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** Every request since start or the last `resetRequests()`, in arrival order. */
  readonly requests: RequestRecord[];
  resetRequests(): void;
  /** Replaces the fault plan (undefined: none); the plan's request sequence starts at 0. */
  setFaults(plan: FaultPlan | undefined): void;
  /** Answers `/version` with this version instead of the server's (undefined: the server's). */
  setVersion(version: KubeVersion | undefined): void;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, { reason: string; message: string }> = {
  429: { reason: 'TooManyRequests', message: 'the server has received too many requests and has asked us to try again later' },
  500: { reason: 'InternalError', message: 'Internal error occurred: injected fault' },
  503: { reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' },
};

/** Returns a `Status` body as the API server writes one for `code`. */
function statusBody(code: number): string {
  const t = STATUS_TEXT[code] ?? { reason: 'Unknown', message: 'injected fault' };
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: t.message, reason: t.reason, code });
}

/** Headers that belong to one hop and must not be forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(h: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Starts the proxy on 127.0.0.1 (any free port). */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const requests: RequestRecord[] = [];
  let faults: FaultPlan | undefined;
  let version: KubeVersion | undefined;
  let seq = 0;
  const closing = new AbortController();
  // Every delayed request listens on this one signal; hundreds may wait at once.
  setMaxListeners(0, closing.signal);
  const upstream = new URL(opts.upstream);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: opts.upstreamCaPem });
  const sockets = new Set<Socket>();

  const sendBody = async (res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: Buffer, slowBodyMs = 0): Promise<void> => {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    if (slowBodyMs <= 0 || body.length < 4) {
      res.end(body);
      return;
    }
    const pieces = 4;
    const size = Math.ceil(body.length / pieces);
    for (let i = 0; i < pieces; i++) {
      res.write(body.subarray(i * size, (i + 1) * size));
      if (i < pieces - 1) await sleep(slowBodyMs / (pieces - 1), undefined, { signal: closing.signal }).catch(() => undefined);
    }
    res.end();
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const userAgent = req.headers['user-agent'];
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: Date.now(), ...(userAgent ? { userAgent } : {}) };
    requests.push(record);
    const fault: FaultAction = faults?.decide({ method: record.method, path: record.path, seq }) ?? {};
    seq++;
    if (Object.keys(fault).length > 0) record.fault = { ...fault };
    if (fault.drop) {
      req.socket.destroy();
      return;
    }
    if (fault.latencyMs) await sleep(fault.latencyMs, undefined, { signal: closing.signal });
    if (fault.status) {
      record.status = fault.status;
      req.resume();
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
      await sendBody(res, fault.status, headers, Buffer.from(statusBody(fault.status)));
      return;
    }
    if (version && record.method === 'GET' && record.path === '/version') {
      req.resume();
      record.status = 200;
      const body = { ...version, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.25.0', compiler: 'gc', platform: 'linux/amd64' };
      await sendBody(res, 200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(body, null, 2)));
      return;
    }
    const up = https.request({
      agent, protocol: 'https:', hostname: upstream.hostname, port: upstream.port,
      method: record.method, path: req.url, headers: { ...forwardHeaders(req.headers), host: upstream.host },
    });
    req.pipe(up);
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      up.once('response', resolve);
      up.once('error', reject);
    });
    record.status = answer.statusCode ?? 0;
    const headers = forwardHeaders(answer.headers);
    if (record.query.watch === 'true' || record.query.watch === '1' || !fault.slowBodyMs) {
      res.writeHead(answer.statusCode ?? 502, headers);
      res.flushHeaders();
      answer.pipe(res);
      await new Promise<void>((resolve) => {
        res.once('close', () => {
          answer.destroy();
          resolve();
        });
        answer.once('error', () => resolve());
      });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    delete headers['content-length'];
    await sendBody(res, answer.statusCode ?? 502, headers, Buffer.concat(chunks), fault.slowBodyMs);
  };

  const server = https.createServer({ key: opts.keyPem, cert: opts.certPem }, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (closing.signal.aborted || res.destroyed) return;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `proxy: ${(err as Error).message}`, reason: 'InternalError', code: 502 }));
    });
  });
  // Idle keep-alive connections must outlive the clients' own idle timeout (Go's transport, as in
  // kubectl, drops idle connections after 90 s); Node's default of 5 s would close a connection a
  // client is just reusing, and a non-idempotent request on it fails with EOF.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address');

  return {
    url: `https://127.0.0.1:${address.port}`,
    requests,
    resetRequests() {
      requests.length = 0;
    },
    setFaults(plan) {
      faults = plan;
      seq = 0;
    },
    setVersion(v) {
      version = v;
    },
    async close() {
      closing.abort();
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
