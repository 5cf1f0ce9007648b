/**
 * Keeps the API server's traffic on loopback. kube-apiserver sends every connection it makes into
 * the cluster (admission webhooks, Service and Pod proxies, kubelets) through its egress selector;
 * here that is an HTTP CONNECT proxy on a Unix socket. Whatever address the server asks for (a
 * Service ClusterIP, a Pod or Node IP), the proxy records it and connects to a stand-in for istiod's
 * webhooks on 127.0.0.1 instead, so no connection leaves loopback.
 *
 * istiod does not run here. By default the stand-in admits every request unchanged: most tests
 * inject with `kube-inject` before applying. With an injection decision-maker set
 * (`setInjection`, injection.ts; `startControlPlane({ injection: true })`), it injects Pods on the
 * `/inject` paths as istiod of the dialed revision would. It serves TLS with a certificate of the
 * control plane's CA for the name the API server asks for (`istiod.istio-system.svc`,
 * `istiod-canary.istio-system.svc`), and the control plane writes that CA into the webhook
 * configurations' caBundle, as istiod does.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { PodInjection } from './injection.js';
import type { CertificateAuthority } from './pki.js';
import { rsaKeyPem } from './pki.js';

/** One admission request the stand-in answered. */
export interface AdmissionRecord {
  /** The webhook path without its query, e.g. `/inject/cluster/Kubernetes/net/network1` or `/validate`. */
  path: string;
  /** The server name the API server asked for (TLS SNI), e.g. `istiod.istio-system.svc`. */
  serverName: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  /** With injection on: the revision that injected the Pod (`default` for the one installed without `-r`). */
  revision?: string;
  /** With injection on: why the Pod was admitted unchanged (the engine's skip reason). */
  skipped?: string;
  /** With injection on: why the Pod was refused (a revision without its ConfigMaps, a failing template). */
  denied?: string;
}

/** The egress proxy and the webhook stand-in. */
export interface Egress {
  /** Path of the Unix socket kube-apiserver's egress selector dials. */
  readonly socketPath: string;
  /** Every `host:port` the API server asked to reach, in order. */
  readonly targets: string[];
  /** Every admission request answered. */
  readonly admissions: AdmissionRecord[];
  /** Injects Pods with `injection` from now on; undefined admits every request unchanged again. */
  setInjection(injection: PodInjection | undefined): void;
  close(): Promise<void>;
}

function listen(server: net.Server, where: string | { port: number; host: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof where === 'string') server.listen(where, done);
    else server.listen(where.port, where.host, done);
  });
}

/** Starts the webhook stand-in on 127.0.0.1 and the CONNECT proxy on `socketPath`. */
export async function startEgress(ca: CertificateAuthority, socketPath: string): Promise<Egress> {
  const targets: string[] = [];
  const admissions: AdmissionRecord[] = [];
  let injection: PodInjection | undefined;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  // One key for every server name: issuing a certificate is cheap, generating a key is not.
  const keyPem = await rsaKeyPem();
  const contexts = new Map<string, tls.SecureContext>();
  const contextFor = (name: string): tls.SecureContext => {
    let c = contexts.get(name);
    if (!c) {
      const certPem = ca.issueFor(keyPem, { commonName: name, dnsNames: [name], ips: ['127.0.0.1'], usage: 'server' });
      c = tls.createSecureContext({ key: keyPem, cert: certPem });
      contexts.set(name, c);
    }
    return c;
  };

  const webhook = https.createServer({
    ...{ key: keyPem, cert: ca.issueFor(keyPem, { commonName: 'webhook-stand-in', ips: ['127.0.0.1'], usage: 'server' }) },
    SNICallback: (name, cb) => cb(null, contextFor(name)),
  }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      let review: { apiVersion?: string; request?: { uid?: string; operation?: string; kind?: { kind?: string }; namespace?: string; name?: string; object?: { metadata?: { name?: string; generateName?: string } } } } = {};
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof review;
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('not an AdmissionReview');
        return;
      }
      const r = review.request ?? {};
      const record: AdmissionRecord = {
        path: (req.url ?? '/').split('?')[0]!,
        serverName: (req.socket as tls.TLSSocket).servername || '',
        operation: r.operation ?? '',
        kind: r.kind?.kind ?? '',
        namespace: r.namespace ?? '',
        name: r.name || r.object?.metadata?.name || r.object?.metadata?.generateName || '',
      };
      let response: Record<string, unknown> = { uid: r.uid ?? '', allowed: true };
      if (injection) {
        const decision = await injection({ ...record, object: r.object }).catch((e: unknown) => ({ action: 'denied' as const, message: `sidecar injection: ${(e as Error).message}` }));
        if (decision.action === 'injected') {
          record.revision = decision.revision;
          if (decision.patch.length > 0) response = { ...response, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(decision.patch)).toString('base64') };
        } else if (decision.action === 'skipped') {
          record.skipped = decision.reason;
        } else if (decision.action === 'denied') {
          record.denied = decision.message;
          // istiod's answer to a Pod it cannot inject: not allowed, with the reason.
          response = { uid: r.uid ?? '', allowed: false, status: { message: decision.message } };
        }
      }
      admissions.push(record);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    })());
  });
  webhook.on('connection', track);
  await listen(webhook, { port: 0, host: '127.0.0.1' });
  const webhookPort = (webhook.address() as net.AddressInfo).port;

  const proxy = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('CONNECT only');
  });
  proxy.on('connection', track);
  proxy.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const upstream = net.connect(webhookPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', fail);
    client.on('error', fail);
  });
  await listen(proxy, socketPath);

  return {
    socketPath,
    targets,
    admissions,
    setInjection(next) {
      injection = next;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([webhook, proxy].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
