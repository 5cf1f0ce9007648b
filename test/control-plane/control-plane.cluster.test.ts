// The test control plane itself: real binaries of one release, Nodes Ready through kwok with the
// kubelet version asked for, Pods run by the real controllers and made Ready (or failing) by kwok,
// garbage collection and namespace finalization, RBAC for a user without rights, client
// certificates, the webhook stand-in reached only through the egress proxy, and nothing left
// running after close().
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, kubectlPath, KUBERNETES_VERSION, type ControlPlane } from './control-plane.js';
import type { KObject } from './types.js';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({ nodes: 2, kubeletVersion: 'v1.34.1' });
});
afterAll(async () => {
  await cp?.close();
});

const kubectl = (args: string[], kubeconfig = cp.kubeconfigPath) => execa(kubectlPath(), args, { env: { KUBECONFIG: kubeconfig }, reject: false });

/** Polls `check` every 50 ms until it returns a truthy value; throws after `ms` naming `what`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function deployment(name: string, namespace: string, replicas = 2): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `example.test/${name}:1` }] } },
    },
  };
}

const condition = (o: KObject | undefined, type: string): string | undefined =>
  ((o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type)?.status;

describe('the control plane', () => {
  it('is the real release, answers kubectl of the same release, and reports its start-up time', async () => {
    const v = await kubectl(['version', '-o', 'json']);
    expect(v.exitCode, v.stderr).toBe(0);
    const parsed = JSON.parse(v.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(parsed.serverVersion.gitVersion).toBe(KUBERNETES_VERSION);
    expect(parsed.clientVersion.gitVersion).toBe(KUBERNETES_VERSION);
    expect(cp.startupMs).toBeGreaterThan(0);
    // Served by kube-apiserver, not by a stand-in: the aggregated discovery and OpenAPI v3 documents exist.
    expect((await cp.rest.request('/openapi/v3')).status).toBe(200);
  });

  it('has Ready Nodes carrying the kubelet version it was asked for, with no taints', async () => {
    const nodes = await cp.store.list('', 'Node');
    expect(nodes.map((n) => n.metadata.name)).toEqual(['node-1', 'node-2']);
    for (const n of nodes) {
      expect(condition(n, 'Ready')).toBe('True');
      expect((n.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe('v1.34.1');
      expect((n.spec as { taints?: unknown[] }).taints ?? []).toEqual([]);
    }
  });

  it('runs a Deployment through the real controllers: ReplicaSet, scheduled Pods, Ready, Available', async () => {
    await cp.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
    await cp.store.create(deployment('web', 'apps'));
    const d = await eventually('web Available', async () => {
      const o = await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'web' });
      return condition(o, 'Available') === 'True' && (o?.status as { readyReplicas?: number }).readyReplicas === 2 ? o : undefined;
    });
    expect(d.metadata.name).toBe('web');
    const pods = await cp.store.list('', 'Pod', 'apps');
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect((p.spec as { nodeName?: string }).nodeName).toMatch(/^node-[12]$/);
      expect((p.status as { podIP?: string }).podIP).toMatch(/^127\./);
      expect((p.metadata.ownerReferences as { kind: string }[])[0]!.kind).toBe('ReplicaSet');
    }
  });

  it('fails the Pods of a workload as a kubelet reports a failed image pull, and heals them', async () => {
    await cp.setWorkload('apps/broken', { kind: 'fail', reason: 'ImagePullBackOff' });
    await cp.store.create(deployment('broken', 'apps', 1));
    const pod = await eventually('a waiting broken Pod', async () => {
      const pods = (await cp.store.list('', 'Pod', 'apps')).filter((p) => p.metadata.name.startsWith('broken-'));
      return pods.find((p) => (p.status as { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] }).containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    });
    const status = pod.status as { phase: string; containerStatuses: { state: { waiting: { message: string } } }[] };
    expect(status.phase).toBe('Pending');
    expect(status.containerStatuses[0]!.state.waiting.message).toBe('Back-off pulling image "example.test/broken:1"');
    expect(condition(pod, 'Ready')).toBe('False');
    type Event = { reason?: string; type?: string; message?: string; involvedObject: { name: string } };
    const event = await eventually('a Failed event', async () => (await cp.store.list('', 'Event', 'apps') as unknown as Event[])
      .find((e) => e.reason === 'Failed' && e.involvedObject.name === pod.metadata.name));
    expect(event.type).toBe('Warning');
    expect(event.message).toBe('Error: ImagePullBackOff');

    await cp.setWorkload('apps/broken', { kind: 'ready' });
    await eventually('broken healed', async () => condition(await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'broken' }), 'Available') === 'True');
  });

  it('fails the running Pods of a workload that turns bad (phase stays Running, as for a restarting container), and heals them', async () => {
    await cp.setWorkload('apps/web', { kind: 'fail', reason: 'CrashLoopBackOff' });
    const crashing = await eventually('web Pods crash-looping', async () => {
      const pods = (await cp.store.list('', 'Pod', 'apps')).filter((p) => p.metadata.name.startsWith('web-'));
      const waiting = pods.filter((p) => (p.status as { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] }).containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
      return waiting.length === 2 ? waiting : undefined;
    });
    for (const p of crashing) {
      expect((p.status as { phase: string }).phase).toBe('Running');
      expect(condition(p, 'Ready')).toBe('False');
      expect((p.status as { containerStatuses: { restartCount: number }[] }).containerStatuses[0]!.restartCount).toBeGreaterThan(0);
    }
    await eventually('web unavailable', async () => condition(await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'web' }), 'Available') === 'False');
    await cp.setWorkload('apps/web', { kind: 'ready' });
    await eventually('web healed', async () => {
      const pods = (await cp.store.list('', 'Pod', 'apps')).filter((p) => p.metadata.name.startsWith('web-'));
      return pods.length === 2 && pods.every((p) => condition(p, 'Ready') === 'True');
    });
  });

  it('deletes dependents through the real garbage collector, and finalizes namespaces', async () => {
    await cp.store.remove({ group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'web' });
    await eventually('web ReplicaSets and Pods gone', async () => {
      const rs = (await cp.store.list('apps', 'ReplicaSet', 'apps')).filter((o) => o.metadata.name.startsWith('web-'));
      const pods = (await cp.store.list('', 'Pod', 'apps')).filter((o) => o.metadata.name.startsWith('web-'));
      return rs.length === 0 && pods.length === 0;
    });
    await cp.store.remove({ group: '', kind: 'Namespace', name: 'apps' });
    await eventually('namespace apps finalized', async () => (await cp.store.get({ group: '', kind: 'Namespace', name: 'apps' })) === undefined);
  });

  it('rejects what a real API server rejects: schema errors, unknown fields under strict validation', async () => {
    const bad = await cp.rest.request('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, dataa: { a: 'b' } },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toContain('unknown field "dataa"');
    const invalid = await cp.rest.request('/api/v1/namespaces/default/services', {
      method: 'POST', body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 80 }] } },
    });
    expect(invalid.status).toBe(422);
  });

  it('authorizes with RBAC: the restricted user may not list Secrets, an admin by client certificate may', async () => {
    const denied = await kubectl(['get', 'secrets', '-n', 'kube-system'], cp.restrictedKubeconfigPath);
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toContain('User "restricted" cannot list resource "secrets"');
    const can = await kubectl(['auth', 'can-i', 'create', 'customresourcedefinitions.apiextensions.k8s.io'], cp.restrictedKubeconfigPath);
    expect(can.stdout.trim()).toBe('no');
    const cert = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], cp.certKubeconfigPath);
    expect(cert.stdout).toBe('cert-admin');
    expect((await kubectl(['get', 'secrets', '-A'], cp.certKubeconfigPath)).exitCode).toBe(0);
  });

  it('sends admission webhooks for istiod through the egress proxy to the loopback stand-in, with the caBundle written in', async () => {
    await cp.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    await cp.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } } });
    await cp.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'istiod', namespace: 'istio-system' }, spec: { selector: { app: 'istiod' }, ports: [{ name: 'https-webhook', port: 443, targetPort: 15017 }] } });
    await cp.store.create({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' },
      webhooks: [{
        name: 'namespace.sidecar-injector.istio.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail',
        clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } },
      }],
    });
    const ca = Buffer.from(cp.caPem).toString('base64');
    await eventually('caBundle written', async () => {
      const w = await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' });
      return (w as { webhooks: { clientConfig: { caBundle?: string } }[] } | undefined)?.webhooks[0]!.clientConfig.caBundle === ca;
    });
    // The webhook's failurePolicy is Fail: the Pod is admitted only because the stand-in answered.
    await eventually('a Pod admitted through the webhook', async () => {
      const r = await cp.rest.request('/api/v1/namespaces/meshed/pods', { method: 'POST', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'example.test/c:1' }] } } });
      return r.status === 201;
    });
    expect(cp.admissions).toContainEqual({ path: '/inject', serverName: 'istiod.istio-system.svc', operation: 'CREATE', kind: 'Pod', namespace: 'meshed', name: 'p' });
    const svc = await cp.store.get({ group: '', kind: 'Service', namespace: 'istio-system', name: 'istiod' });
    const clusterIP = (svc!.spec as { clusterIP: string }).clusterIP;
    expect(clusterIP).toMatch(/^127\.96\./);
    expect(cp.egressTargets).toContain(`${clusterIP}:443`);
    expect(cp.egressTargets.every((t) => t.startsWith('127.'))).toBe(true);
  });

  it('stops every process it started on close()', async () => {
    const other = await startControlPlane();
    const pids = other.pids();
    expect(pids).toHaveLength(5);
    await other.close();
    const alive = pids.filter((pid) => {
      try {
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
