/**
 * A small REST client for the control plane's own bookkeeping (waiting for the API server,
 * creating the Node, patching webhook caBundles, resetting a cluster between tests): plain HTTPS
 * with a bearer token straight to kube-apiserver, never through the fault proxy. Tests that read
 * objects use @kubernetes/client-node (`objects.ts`).
 */
import https from 'node:https';

/** An answer: status code and body parsed as JSON when it is JSON. */
export interface RestAnswer {
  status: number;
  body: unknown;
}

/** Options of one request. */
export interface RestRequest {
  method?: string;
  body?: unknown;
  /** Content-Type of the body; default application/json. */
  contentType?: string;
  /** Abort after this many ms (default 30 000). */
  timeoutMs?: number;
}

/** A client of one API server. */
export interface Rest {
  request(path: string, req?: RestRequest): Promise<RestAnswer>;
  /** Watches `path` (a collection; `watch=1` is added) and calls `onEvent` per event until stopped. Reconnects. */
  watch(path: string, onEvent: (event: { type: string; object: Record<string, unknown> }) => void): () => void;
  close(): void;
}

/** Returns a client of `url` (https) trusting `caPem`, sending `token`. */
export function restClient(url: string, caPem: string, token: string): Rest {
  const base = new URL(url);
  const agent = new https.Agent({ keepAlive: true, ca: caPem });
  let closed = false;
  const stops = new Set<() => void>();

  const request = (path: string, req: RestRequest = {}): Promise<RestAnswer> => new Promise((resolve, reject) => {
    const payload = req.body === undefined ? undefined : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    const r = https.request({
      agent, hostname: base.hostname, port: base.port, path, method: req.method ?? 'GET', timeout: req.timeoutMs ?? 30_000,
      headers: {
        authorization: `Bearer ${token}`, accept: 'application/json',
        ...(payload ? { 'content-type': req.contentType ?? 'application/json', 'content-length': String(payload.length) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`${req.method ?? 'GET'} ${path}: timed out`)));
    r.on('error', reject);
    r.end(payload);
  });

  const watch = (path: string, onEvent: (event: { type: string; object: Record<string, unknown> }) => void): (() => void) => {
    let stopped = false;
    let current: ReturnType<typeof https.request> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const start = (): void => {
      if (stopped || closed) return;
      const sep = path.includes('?') ? '&' : '?';
      current = https.request({ agent, hostname: base.hostname, port: base.port, path: `${path}${sep}watch=1`, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line.trim()) continue;
            try {
              onEvent(JSON.parse(line) as { type: string; object: Record<string, unknown> });
            } catch {
              // a torn line cannot be acted on; the next full line can
            }
          }
        });
        res.on('end', again);
        res.on('error', again);
      });
      current.on('error', again);
      current.end();
    };
    const again = (): void => {
      if (stopped || closed) return;
      clearTimeout(timer);
      timer = setTimeout(start, 200);
    };
    const stop = (): void => {
      stopped = true;
      clearTimeout(timer);
      current?.destroy();
      stops.delete(stop);
    };
    stops.add(stop);
    start();
    return stop;
  };

  return {
    request,
    watch,
    close() {
      closed = true;
      for (const s of [...stops]) s();
      agent.destroy();
    },
  };
}
