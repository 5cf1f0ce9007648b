// The client against the Kubernetes API test server, TLS verification on: retries, timeouts,
// interruption, pagination, apply semantics, and errors that never carry a credential.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/kube/connect.js';
import { ClusterUnreachableError, KubeError } from '../../src/kube/errors.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { InterruptedError } from '../../src/errors.js';
import { startTestCluster } from '../cluster/server.js';
import { scriptedPlan } from '../cluster/faults.js';
import type { FaultAction, FaultPlan, TestCluster } from '../cluster/types.js';

let cluster: TestCluster;
const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

function client(extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<KubeClient> {
  return connect({ env: { KUBECONFIG: cluster.kubeconfigPath }, requestTimeoutMs: 2000, retry: fast, ...extra });
}

/** A plan that answers every request with the same fault. */
function always(action: FaultAction): FaultPlan {
  return { decide: () => action };
}

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster.close();
});

describe('transport', () => {
  it('talks TLS with the generated CA and reports the server version', async () => {
    const c = await client();
    const v = await c.serverVersion();
    expect(v.major).toBe('1');
    expect(Number(v.minor)).toBeGreaterThan(20);
    expect(c.stats).toEqual({ requests: 1, retries: 0 });
  });

  it('refuses a server whose certificate the kubeconfig does not trust, without retrying', async () => {
    // Trust a public root instead of the test CA: the server's certificate no longer verifies.
    const foreignCa = Buffer.from(rootCertificates[0]!).toString('base64');
    const text = readFileSync(cluster.kubeconfigPath, 'utf8').replace(/certificate-authority-data: .*/, `certificate-authority-data: ${foreignCa}`);
    expect(text).toContain(foreignCa);
    const path = join(tmpdir(), `meshctl-wrong-ca-${process.pid}.yaml`);
    writeFileSync(path, text);
    const c = await connect({ env: { KUBECONFIG: path }, requestTimeoutMs: 2000, retry: fast });
    const err = await c.serverVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect((err as Error).message).toMatch(/certificate|self.signed|issuer/i);
    expect(c.stats.requests).toBe(1);
  });

  it('says the credentials were rejected, naming the context and not the token', async () => {
    const text = readFileSync(cluster.kubeconfigPath, 'utf8').replace(cluster.token, 'wrong-token-123');
    const path = join(tmpdir(), `meshctl-wrong-token-${process.pid}.yaml`);
    writeFileSync(path, text);
    const c = await connect({ env: { KUBECONFIG: path }, requestTimeoutMs: 2000, retry: fast });
    const err = await c.serverVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(401);
    expect((err as Error).message).toContain('context "test-cluster"');
    expect((err as Error).message).not.toContain('wrong-token-123');
    expect((err as Error).message).not.toContain(cluster.token);
  });

  it('a refused connection is reported as unreachable', async () => {
    const dead = await startTestCluster();
    const path = dead.kubeconfigPath;
    const text = readFileSync(path, 'utf8');
    await dead.close();
    const copy = join(tmpdir(), `meshctl-dead-${process.pid}.yaml`);
    writeFileSync(copy, text);
    const c = await connect({ env: { KUBECONFIG: copy }, requestTimeoutMs: 2000, retry: fast });
    await expect(c.serverVersion()).rejects.toThrow(ClusterUnreachableError);
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
      await c.serverVersion(); // warm up discovery-free path; the next request is the faulted one
      cluster.resetRequests();
      cluster.setFaults(scriptedPlan([action, action]));
      try {
        const ns = await c.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
        expect(ns?.metadata.name).toBe('default');
      } finally {
        cluster.setFaults(undefined);
      }
      const faulted = cluster.requests.filter((r) => r.fault && Object.keys(r.fault).length > 0);
      expect(faulted).toHaveLength(2);
      expect(c.stats.retries).toBe(2);
    });
  }

  it('honours Retry-After seconds before the next attempt', async () => {
    const c = await client();
    cluster.setFaults(scriptedPlan([{ status: 429, retryAfterSeconds: 1 }]));
    const started = Date.now();
    try {
      await c.serverVersion();
    } finally {
      cluster.setFaults(undefined);
    }
    // A lower bound only: the client must not come back before the server allowed it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retry budget with the server\'s last answer', async () => {
    const c = await client();
    cluster.setFaults(always({ status: 503 }));
    try {
      const err = await c.serverVersion().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeError);
      expect((err as KubeError).status).toBe(503);
      expect(c.stats.requests).toBe(fast.attempts);
    } finally {
      cluster.setFaults(undefined);
    }
  });

  it('times out a response that is too slow and retries it', async () => {
    const c = await client({ requestTimeoutMs: 300 });
    cluster.setFaults(scriptedPlan([{ latencyMs: 1500 }]));
    try {
      const v = await c.serverVersion();
      expect(v.major).toBe('1');
      expect(c.stats.retries).toBe(1);
    } finally {
      cluster.setFaults(undefined);
    }
  });

  it('stops at once when interrupted, even while backing off', async () => {
    const controller = new AbortController();
    const c = await client({ signal: controller.signal, retry: { attempts: 10, baseDelayMs: 2000, maxDelayMs: 2000 } });
    cluster.setFaults(always({ status: 503 }));
    try {
      const pending = c.serverVersion().catch((e: unknown) => e);
      setTimeout(() => controller.abort(), 100);
      expect(await pending).toBeInstanceOf(InterruptedError);
      expect(c.stats.requests).toBe(1);
    } finally {
      cluster.setFaults(undefined);
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
    cluster.resetRequests();
    const names: string[] = [];
    for await (const cm of c.list('v1', 'ConfigMap', { namespace: ns, labelSelector: 'batch=paging', pageSize: 10 })) {
      expect(cm.apiVersion).toBe('v1');
      expect(cm.kind).toBe('ConfigMap');
      names.push(cm.metadata.name);
    }
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    const lists = cluster.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/configmaps'));
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.query.limit === '10')).toBe(true);
  });

  it('applies with field manager meshctl; the same apply twice changes nothing', async () => {
    const c = await client();
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice', namespace: ns }, data: { a: '1' } };
    const first = await c.apply(cm, { force: true });
    const second = await c.apply(cm, { force: true });
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const managers = (second.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('meshctl/Apply');
  });

  it('a dry-run apply answers with the result and stores nothing', async () => {
    const c = await client();
    const out = await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns }, data: { a: '1' } }, { dryRun: true });
    expect(out.metadata.name).toBe('dry');
    expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'dry' })).toBeUndefined();
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

  it('asks the server about permissions (SelfSubjectAccessReview)', async () => {
    const restricted = await startTestCluster({ deny: ['create apiextensions.k8s.io/customresourcedefinitions'] });
    try {
      const c = await connect({ env: { KUBECONFIG: restricted.kubeconfigPath }, requestTimeoutMs: 2000, retry: fast });
      expect((await c.canI('create', 'apiextensions.k8s.io', 'customresourcedefinitions')).allowed).toBe(false);
      expect((await c.canI('create', '', 'namespaces')).allowed).toBe(true);
    } finally {
      await restricted.close();
    }
  });
});
