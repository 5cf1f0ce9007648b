// The webhook stand-in with injection on: after `meshctl install -r canary`, Pods a Deployment
// creates in a namespace labelled istio.io/rev=canary come out with canary's sidecar; with the
// default revision installed too, an istio-injection=enabled namespace gets the default's. The API
// server picks the webhook by its real selectors and dials istiod-canary; the stand-in injects with
// canary's ConfigMaps. What istiod skips is admitted unchanged, and a revision whose ConfigMaps are
// gone refuses the Pod, as a webhook with failurePolicy Fail and no istiod behind it does.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshctl } from '../install/support.js';
import { startControlPlane, kubectlPath, type ControlPlane } from './control-plane.js';
import type { KObject } from './types.js';
import { waitFor } from './wait.js';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({ readyDelayMs: 0, injection: true });
});
afterAll(async () => {
  await cp?.close();
});

const kubectl = (...args: string[]) => execa(kubectlPath(), args, { env: { KUBECONFIG: cp.kubeconfigPath }, reject: false });

type Container = { name: string; image?: string; restartPolicy?: string; env?: { name: string; value?: string }[] };
type PodSpec = { containers: Container[]; initContainers?: Container[] };

async function podsOf(namespace: string, app: string): Promise<KObject[]> {
  return (await cp.store.list('', 'Pod', namespace)).filter((p) => p.metadata.labels?.app === app);
}

/** Waits until the Deployment's Pods exist (created through admission) and returns them. */
async function createdPods(namespace: string, app: string, count: number): Promise<KObject[]> {
  let pods: KObject[] = [];
  await waitFor(`${count} pods of ${namespace}/${app}`, async () => (pods = await podsOf(namespace, app)).length === count,
    60_000, async () => JSON.stringify(cp.admissions.filter((a) => a.namespace === namespace)));
  return pods;
}

function proxyOf(pod: KObject): Container | undefined {
  const spec = pod.spec as PodSpec;
  return [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === 'istio-proxy');
}

const statusOf = (pod: KObject): { revision?: string; containers?: string[] | null; initContainers?: string[] | null } =>
  JSON.parse(pod.metadata.annotations?.['sidecar.istio.io/status'] ?? '{}');

describe('the webhook stand-in injects as istiod of the dialed revision', () => {
  beforeAll(async () => {
    const r = await meshctl(cp, ['install', '--set', 'profile=minimal', '-r', 'canary', '-y']);
    expect(r.code, r.stderr).toBe(0);
    for (const args of [['create', 'namespace', 'apps'], ['label', 'namespace', 'apps', 'istio.io/rev=canary'], ['create', 'namespace', 'plain']]) {
      const k = await kubectl(...args);
      expect(k.exitCode, k.stderr).toBe(0);
    }
  });

  it('gives a Deployment\'s Pods the sidecar of the namespace\'s revision', async () => {
    const k = await kubectl('create', 'deployment', 'web', '--image=example.test/web:1', '--replicas=2', '-n', 'apps');
    expect(k.exitCode, k.stderr).toBe(0);
    const pods = await createdPods('apps', 'web', 2);
    for (const pod of pods) {
      // The injection template's `istio.io/rev` annotation (an annotation in Istio 1.30.3's
      // template, not a label) and istiod's status annotation name the revision.
      expect(pod.metadata.annotations?.['istio.io/rev']).toBe('canary');
      expect(pod.metadata.labels?.['security.istio.io/tlsMode']).toBe('istio');
      expect(statusOf(pod).revision).toBe('canary');
      const proxy = proxyOf(pod);
      expect(proxy?.image).toBe('docker.io/istio/proxyv2:1.30.3');
      // Kubelet v1.35.3 on every Node: istiod in `auto` mode injects a native sidecar.
      expect(proxy?.restartPolicy).toBe('Always');
      expect((pod.spec as PodSpec).initContainers?.map((c) => c.name)).toEqual(['istio-init', 'istio-proxy']);
      expect(statusOf(pod).initContainers).toEqual(['istio-init', 'istio-proxy']);
      // The workload is the Deployment, found from the Pod's generateName and owner (the Pod had no name yet).
      expect(proxy?.env?.find((e) => e.name === 'ISTIO_META_WORKLOAD_NAME')?.value).toBe('web');
      // The proxy talks to its own revision's istiod.
      expect(JSON.stringify(proxy?.env)).toContain('istiod-canary.istio-system.svc');
      expect((pod.spec as PodSpec).containers.map((c) => c.name)).toEqual(['web']);
    }
    const records = cp.admissions.filter((a) => a.kind === 'Pod' && a.namespace === 'apps' && a.name.startsWith('web-'));
    expect(records).toHaveLength(2);
    for (const a of records) {
      expect(a).toMatchObject({ serverName: 'istiod-canary.istio-system.svc', operation: 'CREATE', revision: 'canary' });
      expect(a.path.startsWith('/inject')).toBe(true);
      expect(a.skipped).toBeUndefined();
      expect(a.denied).toBeUndefined();
    }
  });

  it('leaves Pods alone in a namespace no webhook selects (the API server does not call it)', async () => {
    const k = await kubectl('create', 'deployment', 'bare', '--image=example.test/bare:1', '-n', 'plain');
    expect(k.exitCode, k.stderr).toBe(0);
    const [pod] = await createdPods('plain', 'bare', 1);
    expect(proxyOf(pod!)).toBeUndefined();
    expect(pod!.metadata.annotations?.['sidecar.istio.io/status']).toBeUndefined();
    expect(cp.admissions.filter((a) => a.kind === 'Pod' && a.namespace === 'plain')).toEqual([]);
  });

  it('skips what istiod skips: the sidecar.istio.io/inject "false" annotation, host networking', async () => {
    const pods: KObject[] = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'opted-out', namespace: 'apps', labels: { app: 'opted-out' }, annotations: { 'sidecar.istio.io/inject': 'false' } }, spec: { containers: [{ name: 'app', image: 'example.test/app:1' }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'host-net', namespace: 'apps', labels: { app: 'host-net' } }, spec: { hostNetwork: true, containers: [{ name: 'app', image: 'example.test/app:1' }] } },
    ];
    for (const p of pods) await cp.store.create(p);
    for (const name of ['opted-out', 'host-net']) {
      const pod = await cp.store.get({ group: '', kind: 'Pod', namespace: 'apps', name });
      expect(proxyOf(pod!), name).toBeUndefined();
      expect(pod!.metadata.annotations?.['sidecar.istio.io/status'], name).toBeUndefined();
    }
    const skipped = Object.fromEntries(cp.admissions.filter((a) => a.kind === 'Pod' && ['opted-out', 'host-net'].includes(a.name)).map((a) => [a.name, a.skipped]));
    expect(skipped).toEqual({ 'opted-out': 'sidecar injection disabled (annotation sidecar.istio.io/inject: "false")', 'host-net': 'host networking enabled' });
  });

  it('the default revision (its Service istiod) injects a namespace labelled istio-injection=enabled', async () => {
    const r = await meshctl(cp, ['install', '--set', 'profile=minimal', '-y']);
    expect(r.code, r.stderr).toBe(0);
    for (const args of [['create', 'namespace', 'legacy'], ['label', 'namespace', 'legacy', 'istio-injection=enabled']]) {
      const k = await kubectl(...args);
      expect(k.exitCode, k.stderr).toBe(0);
    }
    const k = await kubectl('create', 'deployment', 'old', '--image=example.test/old:1', '-n', 'legacy');
    expect(k.exitCode, k.stderr).toBe(0);
    const [pod] = await createdPods('legacy', 'old', 1);
    expect(statusOf(pod!).revision).toBe('default');
    expect(pod!.metadata.annotations?.['istio.io/rev']).toBe('default');
    expect(JSON.stringify(proxyOf(pod!)?.env)).toContain('istiod.istio-system.svc');
    expect(cp.admissions.filter((a) => a.kind === 'Pod' && a.namespace === 'legacy')).toMatchObject([{ serverName: 'istiod.istio-system.svc', revision: 'default' }]);
    // canary's namespace stays canary's.
    const again = await kubectl('create', 'deployment', 'web2', '--image=example.test/web:1', '-n', 'apps');
    expect(again.exitCode, again.stderr).toBe(0);
    const [web2] = await createdPods('apps', 'web2', 1);
    expect(statusOf(web2!).revision).toBe('canary');
  });

  it('refuses a Pod when the dialed revision has no configuration left (failurePolicy Fail, no istiod behind the webhook)', async () => {
    const deleted = await kubectl('delete', 'configmap', 'istio-sidecar-injector-canary', '-n', 'istio-system');
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    const r = await kubectl('run', 'late', '--image=example.test/late:1', '-n', 'apps');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('denied the request: no istiod of revision "canary" in namespace "istio-system"');
    expect(await cp.store.get({ group: '', kind: 'Pod', namespace: 'apps', name: 'late' })).toBeUndefined();
    expect(cp.admissions.find((a) => a.name === 'late')?.denied).toMatch(/^no istiod of revision "canary"/);
  });
});
