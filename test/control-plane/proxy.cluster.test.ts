// The fault proxy is all that remains of the home-made API server: it must change nothing but what
// a fault plan or the /version override asks for. Differential: the same requests straight to
// kube-apiserver and through the proxy get the same answers; then each fault, against the real
// server behind it.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { scriptedPlan } from './faults.js';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One request to `base` with the admin token; a dropped connection rejects. */
function call(base: string, path: string, opts: { method?: string; body?: string; contentType?: string } = {}): Promise<Answer> {
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = https.request({
      hostname: url.hostname, port: url.port, path, method: opts.method ?? 'GET', ca: cp.caPem, agent: false,
      headers: { authorization: `Bearer ${cp.token}`, accept: 'application/json', ...(opts.body ? { 'content-type': opts.contentType ?? 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('the fault proxy without faults', () => {
  it('answers exactly as kube-apiserver does: discovery, version, objects, errors, dry-run writes', async () => {
    await cp.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same', namespace: 'default' }, data: { a: 'b' } });
    const requests: { path: string; method?: string; body?: string; contentType?: string }[] = [
      { path: '/version' },
      { path: '/api' },
      { path: '/apis' },
      { path: '/api/v1' },
      { path: '/apis/apps/v1' },
      { path: '/api/v1/namespaces/default/configmaps/same' },
      { path: '/api/v1/namespaces/default/configmaps/missing' },
      { path: '/apis/apps/v1/namespaces/default/deployments?limit=1' },
      { path: '/api/v1/namespaces/default/configmaps?fieldValidation=Strict&dryRun=All', method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, dataa: {} }) },
      { path: '/api/v1/namespaces/default/services?dryRun=All', method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 80 }] } }) },
      { path: '/api/v1/namespaces/default/configmaps/same?fieldManager=diff&dryRun=All', method: 'PATCH', contentType: 'application/apply-patch+yaml', body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\ndata:\n  c: d\n' },
    ];
    for (const r of requests) {
      const direct = await call(cp.apiServerUrl, r.path, r);
      const proxied = await call(cp.url, r.path, r);
      // A dry-run apply stamps managedFields with the current time: compare the rest.
      const norm = (b: string) => b.replace(/"time":"[^"]+"/g, '"time":"T"');
      expect({ path: r.path, status: proxied.status, body: norm(proxied.body), type: proxied.headers['content-type'] })
        .toEqual({ path: r.path, status: direct.status, body: norm(direct.body), type: direct.headers['content-type'] });
    }
    expect(cp.requests.map((r) => r.status)).toEqual(await Promise.all(requests.map(async (r) => (await call(cp.apiServerUrl, r.path, r)).status)));
  });

  it('streams watches through: the events seen through the proxy are the ones the server sent', async () => {
    const seen: string[] = [];
    const url = new URL(cp.url);
    const done = new Promise<void>((resolve, reject) => {
      const req = https.request({
        hostname: url.hostname, port: url.port, path: '/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dwatched', ca: cp.caPem, agent: false,
        headers: { authorization: `Bearer ${cp.token}` },
      }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const e = JSON.parse(buf.slice(0, nl)) as { type: string; object: { data?: { v?: string } } };
            buf = buf.slice(nl + 1);
            seen.push(`${e.type}:${e.object.data?.v ?? ''}`);
            if (e.type === 'DELETED') {
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', (err) => (seen.at(-1)?.startsWith('DELETED') ? resolve() : reject(err)));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 200));
    await cp.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: { v: '1' } });
    await cp.store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: { v: '2' } });
    await cp.store.remove({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'watched' });
    await done;
    expect(seen).toEqual(['ADDED:1', 'MODIFIED:2', 'DELETED:2']);
  });
});

describe('the fault proxy with a plan', () => {
  it('answers 429 with Retry-After, 500 and 503 with Status bodies, drops, delays and slows, in plan order', async () => {
    cp.resetRequests();
    cp.setFaults(scriptedPlan([
      { status: 429, retryAfterSeconds: 3 }, { status: 500 }, { status: 503 }, { drop: true }, { latencyMs: 300 }, { slowBodyMs: 300 },
    ]));
    try {
      const tooMany = await call(cp.url, '/api/v1/namespaces');
      expect(tooMany.status).toBe(429);
      expect(tooMany.headers['retry-after']).toBe('3');
      expect(JSON.parse(tooMany.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429 });
      expect(JSON.parse((await call(cp.url, '/api/v1/namespaces')).body)).toMatchObject({ reason: 'InternalError', code: 500 });
      expect(JSON.parse((await call(cp.url, '/api/v1/namespaces')).body)).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
      await expect(call(cp.url, '/api/v1/namespaces')).rejects.toThrow(/socket hang up|ECONNRESET/);
      const slow = await call(cp.url, '/api/v1/namespaces/default');
      expect(slow.status).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(300);
      const direct = await call(cp.apiServerUrl, '/api/v1/namespaces/default');
      const trickled = await call(cp.url, '/api/v1/namespaces/default');
      expect(trickled.body).toBe(direct.body);
      expect(trickled.ms).toBeGreaterThanOrEqual(250);
      expect(cp.requests.map((r) => [r.status, r.fault])).toEqual([
        [429, { status: 429, retryAfterSeconds: 3 }], [500, { status: 500 }], [503, { status: 503 }], [0, { drop: true }],
        [200, { latencyMs: 300 }], [200, { slowBodyMs: 300 }],
      ]);
    } finally {
      cp.setFaults(undefined);
    }
  });

  it('answers /version with the override, and only /version', async () => {
    cp.setVersion({ major: '1', minor: '29', gitVersion: 'v1.29.4' });
    try {
      expect(JSON.parse((await call(cp.url, '/version')).body)).toMatchObject({ major: '1', minor: '29', gitVersion: 'v1.29.4' });
      expect(JSON.parse((await call(cp.apiServerUrl, '/version')).body)).toMatchObject({ gitVersion: 'v1.35.3' });
      const api = await call(cp.url, '/api');
      expect(api.body).toBe((await call(cp.apiServerUrl, '/api')).body);
    } finally {
      cp.setVersion(undefined);
    }
    expect(JSON.parse((await call(cp.url, '/version')).body)).toMatchObject({ gitVersion: 'v1.35.3' });
  });
});
