// The client against a real kube-apiserver (test/control-plane/), TLS verification on: token and
// client-certificate authentication, RBAC answers, retries through the fault proxy, timeouts,
// interruption, pagination, apply semantics, and errors that never carry a credential.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/kube/connect.js';
import { ClusterUnreachableError, KubeError } from '../../src/kube/errors.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { InterruptedError } from '../../src/errors.js';
import { KUBERNETES_VERSION, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { scriptedPlan } from '../control-plane/faults.js';
import type { FaultAction, FaultPlan } from '../control-plane/types.js';

let cp: ControlPlane;
let dir: string;
const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

function client(extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<KubeClient> {
  return connect({ env: { KUBECONFIG: cp.kubeconfigPath }, requestTimeoutMs: 5000, retry: fast, ...extra });
}

function clientOf(kubeconfig: string): Promise<KubeClient> {
  return connect({ env: { KUBECONFIG: kubeconfig }, requestTimeoutMs: 5000, retry: fast });
}

/** A plan that answers every request with the same fault. */
function always(action: FaultAction): FaultPlan {
  return { decide: () => action };
}

/** Writes a copy of the proxied kubeconfig with `edit` applied and returns its path. */
async function editedKubeconfig(name: string, edit: (text: string) => string): Promise<string> {
  const text = await readFile(cp.kubeconfigPath, 'utf8');
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(path, edited, { mode: 0o600 });
  return path;
}

/** Returns a 127.0.0.1 port nothing listens on: bound once for a free number, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

beforeAll(async () => {
  [cp, dir] = await Promise.all([startControlPlane(), mkdtemp(join(tmpdir(), 'meshctl-client-'))]);
});
afterAll(async () => {
  await cp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('transport', () => {
  it('talks TLS with the control plane\'s CA and reports the server version', async () => {
    const c = await client();
    const v = await c.serverVersion();
    expect(`v${v.major}.${v.minor}`).toBe(KUBERNETES_VERSION.split('.').slice(0, 2).join('.'));
    expect(v.gitVersion).toMatch(/^v1\.35\.3/);
    expect(c.stats).toEqual({ requests: 1, retries: 0 });
  });

  it('authenticates with a client certificate from the kubeconfig', async () => {
    const c = await clientOf(cp.certKubeconfigPath);
    expect(c.identity.server).toBe(cp.apiServerUrl);
    const ns = await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' });
    expect(ns?.metadata.name).toBe('kube-system');
    // The certificate's organisation is system:masters: the server grants everything.
    expect((await c.canI('create', 'apiextensions.k8s.io', 'customresourcedefinitions')).allowed).toBe(true);
  });

  it('refuses a server whose certificate the kubeconfig does not trust, without retrying', async () => {
    // Trust a public root instead of the control plane's CA: the proxy's certificate no longer verifies.
    const foreignCa = Buffer.from(rootCertificates[0]!).toString('base64');
    const path = await editedKubeconfig('wrong-ca', (t) => t.replace(/certificate-authority-data: .*/, `certificate-authority-data: ${foreignCa}`));
    const c = await clientOf(path);
    cp.resetRequests();
    const err = await c.serverVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect((err as Error).message).toMatch(/certificate|self.signed|issuer/i);
    expect(c.stats.requests).toBe(1);
    // The handshake failed, so no HTTP request ever reached the proxy.
    expect(cp.requests).toEqual([]);
  });

  it('says the credentials were rejected, naming the context and not the token', async () => {
    const path = await editedKubeconfig('wrong-token', (t) => t.replace(cp.token, 'wrong-token-123'));
    const c = await clientOf(path);
    const err = await c.serverVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(401);
    expect((err as Error).message).toContain('context "test-cluster"');
    expect((err as Error).message).not.toContain('wrong-token-123');
    expect((err as Error).message).not.toContain(cp.token);
    // A rejected credential is final: retrying cannot help.
    expect(c.stats.retries).toBe(0);
  });

  it('a refused connection is reported as unreachable', async () => {
    const port = await closedPort();
    const path = await editedKubeconfig('dead', (t) => t.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`));
    const c = await clientOf(path);
    const err = await c.serverVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect((err as Error).message).toContain(`https://127.0.0.1:${port}`);
    expect((err as Error).message).toContain('context "test-cluster"');
  });
});

describe('retries', () => {
  const cases: [string, FaultAction][] = [
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 0 }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['a dropped connection', { drop: true }],
  ];
  for (const [name, action] of cases) {
    it(`retries after ${name} and then succeeds`, async () => {
      const c = await client();
      await c.serverVersion(); // opens the connection; the next request is the faulted one
      cp.resetRequests();
      cp.setFaults(scriptedPlan([action, action]));
      try {
        const ns = await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
        expect(ns?.metadata.name).toBe('default');
      } finally {
        cp.setFaults(undefined);
      }
      const faulted = cp.requests.filter((r) => r.fault && Object.keys(r.fault).length > 0);
      expect(faulted).toHaveLength(2);
      // The third attempt reached the real API server, which answered it.
      expect(cp.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        ...faulted.map((r) => `GET /api/v1/namespaces/default ${r.status}`),
        'GET /api/v1/namespaces/default 200',
      ]);
      expect(c.stats.retries).toBe(2);
    });
  }

  it('honours Retry-After seconds before the next attempt', async () => {
    const c = await client();
    cp.setFaults(scriptedPlan([{ status: 429, retryAfterSeconds: 1 }]));
    const started = Date.now();
    try {
      await c.serverVersion();
    } finally {
      cp.setFaults(undefined);
    }
    // A lower bound only: the client must not come back before the server allowed it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(c.stats.retries).toBe(1);
  });

  it('gives up after the retry budget with the server\'s last answer', async () => {
    const c = await client();
    cp.setFaults(always({ status: 503 }));
    try {
      const err = await c.serverVersion().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeError);
      expect((err as KubeError).status).toBe(503);
      expect(c.stats.requests).toBe(fast.attempts);
    } finally {
      cp.setFaults(undefined);
    }
  });

  it('times out a response that is too slow and retries it', async () => {
    // Bounds far apart, so that a loaded machine cannot make the second answer slow too: the first
    // answer is held 10 s, the client gives up after 2 s, and the retry is answered at once.
    const c = await client({ requestTimeoutMs: 2000 });
    cp.setFaults(scriptedPlan([{ latencyMs: 10_000 }]));
    try {
      const v = await c.serverVersion();
      expect(v.major).toBe('1');
      expect(c.stats.retries).toBe(1);
    } finally {
      cp.setFaults(undefined);
    }
  });

  it('stops at once when interrupted, even while backing off', async () => {
    const controller = new AbortController();
    // A 10 s backoff interrupted after 0.1 s: "at once" is anything well under the backoff.
    const c = await client({ signal: controller.signal, retry: { attempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000 } });
    cp.setFaults(always({ status: 503 }));
    try {
      const started = Date.now();
      const pending = c.serverVersion().catch((e: unknown) => e);
      setTimeout(() => controller.abort(), 100);
      expect(await pending).toBeInstanceOf(InterruptedError);
      expect(c.stats.requests).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      cp.setFaults(undefined);
    }
  });
});

describe('objects', () => {
  const ns = 'client-test';

  beforeAll(async () => {
    const c = await client();
    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  it('lists page by page, following continue tokens, and yields self-describing objects', async () => {
    const c = await client();
    for (let i = 0; i < 25; i++) await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: ns, labels: { batch: 'paging' } }, data: { i: String(i) } });
    cp.resetRequests();
    const names: string[] = [];
    for await (const cm of c.list('v1', 'ConfigMap', { namespace: ns, labelSelector: 'batch=paging', pageSize: 10 })) {
      expect(cm.apiVersion).toBe('v1');
      expect(cm.kind).toBe('ConfigMap');
      names.push(cm.metadata.name);
    }
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    const lists = cp.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${ns}/configmaps`);
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.query.limit === '10')).toBe(true);
    // The server's own continue tokens are sent back: none on the first page, one on each later page.
    expect(lists.map((r) => r.query.continue !== undefined)).toEqual([false, true, true]);
  });

  it('applies with field manager meshctl; the same apply twice changes nothing', async () => {
    const c = await client();
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice', namespace: ns }, data: { a: '1' } };
    const first = await c.apply(cm, { force: true });
    const second = await c.apply(cm, { force: true });
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const managers = (second.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toEqual(['meshctl/Apply']);
  });

  it('a dry-run apply answers with the result and stores nothing', async () => {
    const c = await client();
    const out = await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns }, data: { a: '1' } }, { dryRun: true });
    expect(out.metadata.name).toBe('dry');
    expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'dry' })).toBeUndefined();
    expect(await cp.store.get({ group: '', kind: 'ConfigMap', namespace: ns, name: 'dry' })).toBeUndefined();
  });

  it('get and delete of absent objects and unserved kinds are quiet', async () => {
    const c = await client();
    expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'absent' })).toBeUndefined();
    expect(await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'absent' })).toBe(false);
    expect(await c.resourceFor('example.com/v1', 'Widget')).toBeUndefined();
    expect(await c.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: ns, name: 'w' })).toBeUndefined();
  });

  it('create conflicts with an existing object (409 AlreadyExists)', async () => {
    const c = await client();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'once', namespace: ns } };
    await c.create(cm);
    const err = await c.create(cm).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(409);
    expect((err as KubeError).reason).toBe('AlreadyExists');
    expect((err as Error).message).toMatch(/^create ConfigMap\/client-test\/once: /);
  });

  it('merge-patches and deletes', async () => {
    const c = await client();
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'patched', namespace: ns }, data: { a: '1', b: '2' } });
    const out = await c.mergePatch<{ data?: Record<string, string> } & Parameters<KubeClient['apply']>[0]>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'patched' }, { data: { b: null, c: '3' } });
    expect(out.data).toEqual({ a: '1', c: '3' });
    expect(await c.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'patched' })).toBe(true);
    expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'patched' })).toBeUndefined();
  });

  it('asks the server about permissions (SelfSubjectAccessReview) under real RBAC', async () => {
    const admin = await client();
    expect((await admin.canI('create', 'apiextensions.k8s.io', 'customresourcedefinitions')).allowed).toBe(true);
    expect((await admin.canI('create', '', 'namespaces')).allowed).toBe(true);
    // User "restricted" is authenticated but bound to no role: RBAC denies it everything but discovery and self reviews.
    const restricted = await clientOf(cp.restrictedKubeconfigPath);
    expect((await restricted.canI('create', 'apiextensions.k8s.io', 'customresourcedefinitions')).allowed).toBe(false);
    expect((await restricted.canI('create', '', 'namespaces')).allowed).toBe(false);
    expect((await restricted.canI('get', '', 'configmaps', ns)).allowed).toBe(false);
  });

  it('a forbidden read is an error (403), not an absent object', async () => {
    const restricted = await clientOf(cp.restrictedKubeconfigPath);
    const err = await restricted.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'twice' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(403);
    expect((err as KubeError).reason).toBe('Forbidden');
    expect((err as Error).message).toContain('User "restricted" cannot get resource "configmaps"');
    expect(restricted.stats.retries).toBe(0);
  });
});
