import { request } from 'node:https';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startKubelet, normalizeImage, NODE_NAME, type Kubelet } from './kubelet.js';
import { startTestCluster } from './server.js';
import { MemoryStore } from './store.js';
import type { KObject, TestCluster, WorkloadBehaviour } from './types.js';

const PILOT = 'docker.io/istio/pilot:1.30.3';

let running: Array<{ kubelet: Kubelet }> = [];

afterEach(() => {
  for (const r of running) r.kubelet.stop();
  running = [];
});

function start(opts: { readyDelayMs?: number; workloads?: Record<string, WorkloadBehaviour> } = {}) {
  const store = new MemoryStore();
  const kubelet = startKubelet(store, { readyDelayMs: opts.readyDelayMs ?? 0, workloads: opts.workloads ?? {} });
  running.push({ kubelet });
  return { store, kubelet };
}

function deployment(name: string, opts: { ns?: string; replicas?: number; image?: string; containers?: any[]; spec?: any } = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.ns ?? 'istio-system', labels: { app: name } },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, istio: 'pilot' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: { serviceAccountName: name, containers: opts.containers ?? [{ name: 'discovery', image: opts.image ?? PILOT }] },
      },
      ...opts.spec,
    },
  };
}

const get = (store: MemoryStore, group: string, kind: string, ns: string, name: string): any => store.get({ group, kind, namespace: ns, name });
const pods = (store: MemoryStore, ns = 'istio-system'): any[] => store.list('', 'Pod', ns);
const replicaSets = (store: MemoryStore, ns = 'istio-system'): any[] => store.list('apps', 'ReplicaSet', ns);
const events = (store: MemoryStore, ns = 'istio-system'): any[] => store.list('', 'Event', ns);
const isReady = (pod: any): boolean => pod.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

function until<T>(fn: () => T): Promise<T> {
  return vi.waitFor(() => {
    const v = fn();
    if (!v) throw new Error('not yet');
    return v;
  }, { timeout: 5000, interval: 2 });
}

/** Resolves after a few event-loop turns in which the store saw no commit. */
async function quiet(store: MemoryStore): Promise<void> {
  let rv = store.resourceVersion();
  for (let calm = 0; calm < 5;) {
    await new Promise((r) => setTimeout(r, 2));
    const now = store.resourceVersion();
    calm = now === rv ? calm + 1 : 0;
    rv = now;
  }
}

function deploymentReady(store: MemoryStore, ns: string, name: string): any {
  const d = get(store, 'apps', 'Deployment', ns, name);
  return d?.status?.readyReplicas === (d?.spec?.replicas ?? 1) && d.status.updatedReplicas === d.status.readyReplicas
    && d.status.replicas === d.status.readyReplicas ? d : undefined;
}

describe('Deployment', () => {
  it('creates a ReplicaSet and Pods shaped like the real controllers, then reports them ready', async () => {
    const { store } = start();
    const deploy = store.put(deployment('istiod'));
    const d = await until(() => deploymentReady(store, 'istio-system', 'istiod'));

    const [rs, ...moreRs] = replicaSets(store);
    expect(moreRs).toEqual([]);
    const hash = rs.metadata.labels['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`istiod-${hash}`);
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', uid: deploy.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'istiod', 'pod-template-hash': hash });
    expect(rs.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });

    const [pod, ...morePods] = pods(store);
    expect(morePods).toEqual([]);
    expect(pod.metadata.name).toMatch(new RegExp(`^istiod-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(pod.metadata.labels).toEqual({ app: 'istiod', istio: 'pilot', 'pod-template-hash': hash });
    expect(pod.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true });
    expect(pod.spec).toMatchObject({ nodeName: NODE_NAME, serviceAccountName: 'istiod', containers: [{ name: 'discovery', image: PILOT }] });
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(pod.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    const [cs] = pod.status.containerStatuses;
    expect(cs).toMatchObject({ name: 'discovery', image: PILOT, ready: true, started: true, restartCount: 0 });
    expect(cs.imageID).toMatch(/^docker\.io\/istio\/pilot@sha256:[0-9a-f]{64}$/);
    expect(cs.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(cs.state.running.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    expect(d.status.conditions).toEqual([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }),
      expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` }),
    ]);
    const reasons = events(store).filter((e) => e.involvedObject.uid === pod.metadata.uid).map((e) => `${e.type}/${e.reason}`);
    expect(reasons).toEqual(expect.arrayContaining(['Normal/Scheduled', 'Normal/Pulled', 'Normal/Started']));
  });

  it('shows Pods as starting (Pending, ContainerCreating, no ready counters) until the readiness delay has passed', async () => {
    const { store, kubelet } = start({ readyDelayMs: 60_000 });
    store.put(deployment('istiod'));
    const pod = await until(() => pods(store)[0]?.status?.containerStatuses && pods(store)[0]);
    await quiet(store);
    const d = get(store, 'apps', 'Deployment', 'istio-system', 'istiod');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0]).toMatchObject({ ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } });
    expect(pod.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [discovery]' });
    // Real status omits zero counters, so clients must treat a missing readyReplicas as 0.
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1 });
    expect(d.status.readyReplicas).toBeUndefined();
    expect(d.status.conditions[0]).toMatchObject({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d.status.conditions[1]).toMatchObject({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' });

    kubelet.setWorkload('istio-system/istiod', { kind: 'ready', delayMs: 0 });
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
  });

  it('honours a per-workload delay over the default', async () => {
    const { store } = start({ readyDelayMs: 60_000, workloads: { 'istio-system/fast': { kind: 'ready', delayMs: 0 } } });
    store.put(deployment('slow'));
    store.put(deployment('fast'));
    await until(() => deploymentReady(store, 'istio-system', 'fast'));
    expect(deploymentReady(store, 'istio-system', 'slow')).toBeUndefined();
  });

  it('stops writing once everything is reconciled', async () => {
    const { store } = start();
    store.put(deployment('istiod', { replicas: 2 }));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    await quiet(store);
    const writes: string[] = [];
    store.subscribe((e) => writes.push(`${e.type} ${e.object.kind}/${e.object.metadata.name}`));
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toEqual([]);
    // Re-putting an unchanged Deployment wakes the controllers, which then find nothing to do.
    store.put(get(store, 'apps', 'Deployment', 'istio-system', 'istiod'));
    store.put({ ...get(store, 'apps', 'Deployment', 'istio-system', 'istiod'), metadata: { ...get(store, 'apps', 'Deployment', 'istio-system', 'istiod').metadata, labels: { app: 'istiod', touched: 'yes' } } });
    await quiet(store);
    expect(writes).toEqual(['MODIFIED Deployment/istiod']);
  });

  it('scales Pods with spec.replicas (default 1)', async () => {
    const { store } = start();
    store.put(deployment('gw', { replicas: 3 }));
    await until(() => deploymentReady(store, 'istio-system', 'gw'));
    expect(pods(store)).toHaveLength(3);
    expect(new Set(pods(store).map((p) => p.metadata.name)).size).toBe(3);
    const d = get(store, 'apps', 'Deployment', 'istio-system', 'gw');
    store.put({ ...d, spec: { ...d.spec, replicas: 1 } });
    await until(() => pods(store).length === 1 && deploymentReady(store, 'istio-system', 'gw'));
    expect(get(store, 'apps', 'Deployment', 'istio-system', 'gw').status).toMatchObject({ observedGeneration: 2, replicas: 1, readyReplicas: 1 });
  });

  it('rolls a new template out through a new ReplicaSet and scales the old one to 0', async () => {
    const { store } = start();
    store.put(deployment('istiod'));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    const [oldRs] = replicaSets(store);
    const [oldPod] = pods(store);

    store.put(deployment('istiod', { image: 'docker.io/istio/pilot:1.30.4' }));
    await until(() => deploymentReady(store, 'istio-system', 'istiod') && pods(store).length === 1 && pods(store)[0].metadata.uid !== oldPod.metadata.uid);
    const sets = replicaSets(store);
    expect(sets).toHaveLength(2);
    const newRs = sets.find((rs) => rs.metadata.name !== oldRs.metadata.name);
    expect(newRs.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    expect(get(store, 'apps', 'ReplicaSet', 'istio-system', oldRs.metadata.name).spec.replicas).toBe(0);
    expect(get(store, 'apps', 'ReplicaSet', 'istio-system', oldRs.metadata.name).status).toMatchObject({ replicas: 0 });
    const [pod] = pods(store);
    expect(pod.metadata.ownerReferences[0].name).toBe(newRs.metadata.name);
    expect(pod.status.containerStatuses[0].image).toBe('docker.io/istio/pilot:1.30.4');
    expect(get(store, 'apps', 'Deployment', 'istio-system', 'istiod').status.observedGeneration).toBe(2);
  });

  it('keeps the old Pods serving while the new ones start', async () => {
    const { store, kubelet } = start();
    store.put(deployment('istiod'));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    // A new delay leaves running Pods running; only Pods that start from now on wait.
    kubelet.setWorkload('istio-system/istiod', { kind: 'ready', delayMs: 60_000 });
    store.put(deployment('istiod', { image: 'docker.io/istio/pilot:1.30.4' }));
    await until(() => replicaSets(store).length === 2 && pods(store).length === 2);
    await quiet(store);
    const d = get(store, 'apps', 'Deployment', 'istio-system', 'istiod');
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1 });
    expect(d.status.conditions[0]).toMatchObject({ type: 'Available', status: 'True' });
    expect(d.status.conditions[1]).toMatchObject({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' });
    expect(pods(store).filter(isReady)).toHaveLength(1);
  });

  it('recreates a deleted Pod under a new name', async () => {
    const { store } = start();
    store.put(deployment('istiod'));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    const [pod] = pods(store);
    store.remove({ group: '', kind: 'Pod', namespace: 'istio-system', name: pod.metadata.name });
    const again = await until(() => pods(store).length === 1 && isReady(pods(store)[0]) && pods(store)[0]);
    expect(again.metadata.name).not.toBe(pod.metadata.name);
  });

  it('names ReplicaSets and Pods the same way in every run', async () => {
    const names: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const { store } = start();
      store.put(deployment('istiod', { replicas: 2 }));
      await until(() => deploymentReady(store, 'istio-system', 'istiod'));
      names.push([...replicaSets(store), ...pods(store)].map((o) => o.metadata.name));
    }
    expect(names[0]).toEqual(names[1]);
    expect(names[0]).toHaveLength(3);
  });

  it('Recreate deletes the old Pods before starting new ones', async () => {
    const { store } = start();
    store.put(deployment('istiod', { spec: { strategy: { type: 'Recreate' } } }));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    const [old] = pods(store);
    const seen: string[] = [];
    store.subscribe((e) => {
      if (e.object.kind === 'Pod' && e.type !== 'MODIFIED') seen.push(`${e.type} ${e.object.metadata.name}`);
    });
    store.put(deployment('istiod', { image: 'docker.io/istio/pilot:1.30.4', spec: { strategy: { type: 'Recreate' } } }));
    await until(() => deploymentReady(store, 'istio-system', 'istiod') && pods(store)[0]?.metadata.uid !== old.metadata.uid);
    expect(seen[0]).toBe(`DELETED ${old.metadata.name}`);
    expect(seen[1]).toMatch(/^ADDED /);
  });

  it('marks a stuck rollout ProgressDeadlineExceeded after spec.progressDeadlineSeconds', async () => {
    const { store } = start({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'ErrImagePull' } } });
    store.put(deployment('istiod', { spec: { progressDeadlineSeconds: 0 } }));
    const d = await until(() => {
      const c = get(store, 'apps', 'Deployment', 'istio-system', 'istiod')?.status?.conditions?.[1];
      return c?.reason === 'ProgressDeadlineExceeded' && get(store, 'apps', 'Deployment', 'istio-system', 'istiod');
    });
    expect(d.status.conditions[1]).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet "istiod-\w+" has timed out progressing\.$/) });
  });
});

describe('failing workloads', () => {
  it('ImagePullBackOff: the container waits with the back-off reason, kubelet events are written, nothing gets ready', async () => {
    const { store } = start({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'ImagePullBackOff' } } });
    store.put(deployment('istiod'));
    const pod = await until(() => pods(store)[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && pods(store)[0]);
    await quiet(store);
    const [cs] = pod.status.containerStatuses;
    expect(pod.status.phase).toBe('Pending');
    expect(cs).toMatchObject({ ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${PILOT}"` } } });
    expect(isReady(pods(store)[0])).toBe(false);
    const d = get(store, 'apps', 'Deployment', 'istio-system', 'istiod');
    expect(d.status.readyReplicas).toBeUndefined();
    expect(replicaSets(store)[0].status.readyReplicas).toBeUndefined();

    const mine = events(store).filter((e) => e.involvedObject.uid === pod.metadata.uid);
    const failed = mine.find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image'));
    expect(failed).toMatchObject({
      type: 'Warning',
      count: 1,
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: 'istio-system', uid: pod.metadata.uid, fieldPath: 'spec.containers{discovery}' },
      source: { component: 'kubelet', host: NODE_NAME },
    });
    expect(failed.message).toBe(`Failed to pull image "${PILOT}": rpc error: code = NotFound desc = failed to pull and unpack image "${PILOT}": failed to resolve reference "${PILOT}": ${PILOT}: not found`);
    expect(failed.firstTimestamp).toMatch(/Z$/);
    expect(failed.lastTimestamp).toBe(failed.firstTimestamp);
    expect(mine.map((e) => `${e.type}/${e.reason}: ${e.message}`)).toEqual(expect.arrayContaining([
      'Warning/Failed: Error: ImagePullBackOff',
      `Normal/BackOff: Back-off pulling image "${PILOT}"`,
      `Normal/Scheduled: Successfully assigned istio-system/${pod.metadata.name} to ${NODE_NAME}`,
    ]));
  });

  it('ErrImagePull carries the pull error as its message', async () => {
    const { store } = start({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'ErrImagePull' } } });
    store.put(deployment('istiod', { image: 'istio/pilot:nope' }));
    const pod = await until(() => pods(store)[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull' && pods(store)[0]);
    expect(pod.status.containerStatuses[0].state.waiting.message).toContain('failed to resolve reference "docker.io/istio/pilot:nope"');
    expect(pod.status.containerStatuses[0].image).toBe('docker.io/istio/pilot:nope');
  });

  it('CrashLoopBackOff: Running phase, restarts counted, last state terminated with exit code 1', async () => {
    const { store } = start({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'CrashLoopBackOff' } } });
    store.put(deployment('istiod'));
    const pod = await until(() => pods(store)[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && pods(store)[0]);
    const [cs] = pod.status.containerStatuses;
    expect(pod.status.phase).toBe('Running');
    expect(cs.restartCount).toBeGreaterThan(0);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(cs.state.waiting.message).toBe(`back-off 10s restarting failed container=discovery pod=${pod.metadata.name}_istio-system(${pod.metadata.uid})`);
    await until(() => events(store).find((e) => e.reason === 'BackOff' && e.type === 'Warning'
      && e.message === `Back-off restarting failed container discovery in pod ${pod.metadata.name}_istio-system(${pod.metadata.uid})`));
  });

  it('fails only the first container; the others run', async () => {
    const { store } = start({ workloads: { 'default/app': { kind: 'fail', reason: 'ImagePullBackOff', message: 'custom message' } } });
    store.put(deployment('app', { ns: 'default', containers: [{ name: 'app', image: 'example/app:1' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' }] }));
    const pod = await until(() => pods(store, 'default')[0]?.status?.containerStatuses?.[1]?.ready && pods(store, 'default')[0]);
    expect(pod.status.containerStatuses[0].state.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'custom message' });
    expect(pod.status.containerStatuses[1]).toMatchObject({ name: 'istio-proxy', ready: true, state: { running: {} } });
    expect(pod.status.conditions.find((c: any) => c.type === 'Ready').message).toBe('containers with unready status: [app]');
  });

  it('heals when setWorkload makes the workload ready, keeping the restart count', async () => {
    const { store, kubelet } = start({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'CrashLoopBackOff' } } });
    store.put(deployment('istiod'));
    const failing = await until(() => pods(store)[0]?.status?.containerStatuses?.[0]?.state?.waiting && pods(store)[0]);
    kubelet.setWorkload('istio-system/istiod', { kind: 'ready' });
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    const [pod] = pods(store);
    expect(pod.metadata.uid).toBe(failing.metadata.uid);
    expect(pod.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1 } } });
  });

  it('setWorkload can break a running workload', async () => {
    const { store, kubelet } = start();
    store.put(deployment('istiod'));
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
    kubelet.setWorkload('istio-system/istiod', { kind: 'fail', reason: 'CrashLoopBackOff' });
    await until(() => get(store, 'apps', 'Deployment', 'istio-system', 'istiod').status.readyReplicas === undefined);
    expect(pods(store)[0].status.containerStatuses[0].state.waiting.reason).toBe('CrashLoopBackOff');
  });
});

describe('DaemonSet and StatefulSet', () => {
  const daemonSet = (nodeSelector?: Record<string, string>): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'istio-cni-node', namespace: 'istio-system' },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'istio-cni-node' } },
      template: {
        metadata: { labels: { 'k8s-app': 'istio-cni-node' } },
        spec: { ...(nodeSelector ? { nodeSelector } : {}), containers: [{ name: 'install-cni', image: 'docker.io/istio/install-cni:1.30.3' }] },
      },
    },
  });

  it('a DaemonSet runs one Pod on the node and reports the counters istioctl waits on', async () => {
    const { store } = start();
    store.put(daemonSet({ 'kubernetes.io/os': 'linux' }));
    const ds = await until(() => {
      const d = get(store, 'apps', 'DaemonSet', 'istio-system', 'istio-cni-node');
      return d?.status?.numberReady === 1 && d;
    });
    expect(ds.status).toEqual({
      currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1,
      observedGeneration: 1, updatedNumberScheduled: 1, numberAvailable: 1,
    });
    const [pod] = pods(store);
    expect(pod.metadata.name).toMatch(/^istio-cni-node-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({ 'k8s-app': 'istio-cni-node', 'pod-template-generation': '1' });
    expect(pod.metadata.labels['controller-revision-hash']).toBeTruthy();
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'DaemonSet', name: 'istio-cni-node', controller: true });

    // A new template replaces the Pod.
    const next = daemonSet({ 'kubernetes.io/os': 'linux' }) as any;
    next.spec.template.spec.containers[0].image = 'docker.io/istio/install-cni:1.30.4';
    store.put(next);
    await until(() => {
      const d = get(store, 'apps', 'DaemonSet', 'istio-system', 'istio-cni-node');
      return d.status.observedGeneration === 2 && d.status.numberReady === 1 && d.status.updatedNumberScheduled === 1
        && pods(store).length === 1 && pods(store)[0].metadata.uid !== pod.metadata.uid;
    });
  });

  it('a DaemonSet whose node selector does not match schedules nothing', async () => {
    const { store } = start();
    store.put(daemonSet({ 'kubernetes.io/os': 'windows' }));
    const ds = await until(() => get(store, 'apps', 'DaemonSet', 'istio-system', 'istio-cni-node')?.status);
    await quiet(store);
    expect(ds).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0 });
    expect(pods(store)).toEqual([]);
  });

  it('a StatefulSet creates <name>-0..n-1 in order and reports revisions', async () => {
    const { store } = start();
    const seen: string[] = [];
    store.subscribe((e) => {
      if (e.object.kind === 'Pod' && e.type === 'ADDED') seen.push(e.object.metadata.name);
    });
    store.put({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      },
    });
    const sts = await until(() => {
      const s = get(store, 'apps', 'StatefulSet', 'default', 'db');
      return s?.status?.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision && s;
    });
    expect(seen).toEqual(['db-0', 'db-1', 'db-2']);
    expect(sts.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect(sts.status.updateRevision).toMatch(/^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const pod = get(store, '', 'Pod', 'default', 'db-1');
    expect(pod.spec).toMatchObject({ hostname: 'db-1', subdomain: 'db' });
    expect(pod.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': sts.status.updateRevision });
    expect(pod.status.containerStatuses[0].image).toBe('docker.io/library/postgres:16');
  });
});

describe('lifecycle', () => {
  it('deleting a workload removes its Pods for good', async () => {
    const { store } = start({ readyDelayMs: 60_000 });
    store.put(deployment('istiod'));
    await until(() => pods(store).length === 1);
    expect(store.remove({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' })).toBe(true);
    await quiet(store);
    expect(replicaSets(store)).toEqual([]);
    expect(pods(store)).toEqual([]);
  });

  it('a bare Pod is bound to the node and run', async () => {
    const { store } = start();
    store.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'default' }, spec: { containers: [{ name: 'sh', image: 'busybox' }] } });
    const pod = await until(() => isReady(get(store, '', 'Pod', 'default', 'debug')) && get(store, '', 'Pod', 'default', 'debug'));
    expect(pod.spec.nodeName).toBe(NODE_NAME);
    expect(pod.status.qosClass).toBe('BestEffort');
  });

  it('init containers: ordinary ones complete, native sidecars keep running', async () => {
    const { store } = start();
    store.put(deployment('app', {
      ns: 'default',
      spec: {
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            initContainers: [{ name: 'istio-init', image: 'docker.io/istio/proxyv2:1.30.3' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3', restartPolicy: 'Always' }],
            containers: [{ name: 'app', image: 'example/app:1' }],
          },
        },
      },
    }));
    const pod = await until(() => isReady(pods(store, 'default')[0] ?? {}) && pods(store, 'default')[0]);
    expect(pod.status.initContainerStatuses).toEqual([
      expect.objectContaining({ name: 'istio-init', ready: true, state: { terminated: expect.objectContaining({ exitCode: 0, reason: 'Completed' }) } }),
      expect.objectContaining({ name: 'istio-proxy', ready: true, started: true, state: { running: expect.any(Object) } }),
    ]);
  });

  it('stop() ends the simulation: later objects are left alone', async () => {
    const { store, kubelet } = start();
    kubelet.stop();
    store.put(deployment('istiod'));
    await quiet(store);
    expect(replicaSets(store)).toEqual([]);
    expect(get(store, 'apps', 'Deployment', 'istio-system', 'istiod').status).toBeUndefined();
  });

  it('reconciles objects that were stored before it started', async () => {
    const store = new MemoryStore();
    store.put(deployment('istiod'));
    const kubelet = startKubelet(store, { readyDelayMs: 0, workloads: {} });
    running.push({ kubelet });
    await until(() => deploymentReady(store, 'istio-system', 'istiod'));
  });
});

describe('normalizeImage', () => {
  it.each([
    ['docker.io/istio/pilot:1.30.3', 'docker.io/istio/pilot:1.30.3'],
    ['istio/pilot:1.30.3', 'docker.io/istio/pilot:1.30.3'],
    ['busybox', 'docker.io/library/busybox:latest'],
    ['gcr.io/x/y@sha256:abc', 'gcr.io/x/y@sha256:abc'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
  ])('%s -> %s', (image, expected) => {
    expect(normalizeImage(image)).toBe(expected);
  });
});

/** Sends one request to the test server over HTTPS (trusting its CA) and returns status and parsed body. */
function call(cluster: TestCluster, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.url}${path}`, {
      method,
      ca: cluster.caPem,
      headers: { Authorization: `Bearer ${cluster.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': contentType }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('through the API server', () => {
  it('a Deployment applied over HTTP gets Pods and ready status; a failing one reports why, heals, and is deleted for good', async () => {
    const cluster = await startTestCluster({ readyDelayMs: 20, workloads: { 'istio-system/broken': { kind: 'fail', reason: 'ImagePullBackOff' } } });
    try {
      const apply = (d: KObject) => call(cluster, 'PATCH', `/apis/apps/v1/namespaces/istio-system/deployments/${d.metadata.name}?fieldManager=test&force=true`, d, 'application/apply-patch+yaml');
      expect((await call(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } })).status).toBe(201);
      expect((await apply(deployment('istiod'))).status).toBe(201);
      expect((await apply(deployment('broken'))).status).toBe(201);

      const ready = await vi.waitFor(async () => {
        const r = await call(cluster, 'GET', '/apis/apps/v1/namespaces/istio-system/deployments/istiod');
        if (r.body.status?.readyReplicas !== 1) throw new Error('not ready');
        return r.body;
      }, { timeout: 5000, interval: 10 });
      expect(ready.status).toMatchObject({ observedGeneration: ready.metadata.generation, updatedReplicas: 1, availableReplicas: 1 });
      const list = await call(cluster, 'GET', '/api/v1/namespaces/istio-system/pods?labelSelector=app%3Distiod');
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0].status.phase).toBe('Running');
      expect(list.body.items[0].status.containerStatuses[0]).toMatchObject({ name: 'discovery', ready: true, image: PILOT });

      const failing = await vi.waitFor(async () => {
        const r = await call(cluster, 'GET', '/api/v1/namespaces/istio-system/pods?labelSelector=app%3Dbroken');
        const pod = r.body.items[0];
        if (pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason !== 'ImagePullBackOff') throw new Error('not failing yet');
        return pod;
      }, { timeout: 5000, interval: 10 });
      const events = (await call(cluster, 'GET', '/api/v1/namespaces/istio-system/events')).body.items;
      expect(events.filter((e: any) => e.involvedObject.name === failing.metadata.name && e.type === 'Warning').map((e: any) => e.message))
        .toContain(`Failed to pull image "${PILOT}": rpc error: code = NotFound desc = failed to pull and unpack image "${PILOT}": failed to resolve reference "${PILOT}": ${PILOT}: not found`);
      expect((await call(cluster, 'GET', '/apis/apps/v1/namespaces/istio-system/deployments/broken')).body.status.readyReplicas).toBeUndefined();

      cluster.setWorkload('istio-system/broken', { kind: 'ready', delayMs: 0 });
      await vi.waitFor(async () => {
        const r = await call(cluster, 'GET', '/apis/apps/v1/namespaces/istio-system/deployments/broken');
        if (r.body.status?.readyReplicas !== 1) throw new Error('not healed');
      }, { timeout: 5000, interval: 10 });

      expect((await call(cluster, 'DELETE', '/apis/apps/v1/namespaces/istio-system/deployments/istiod')).status).toBe(200);
      await quiet(cluster.store as MemoryStore);
      expect((await call(cluster, 'GET', '/api/v1/namespaces/istio-system/pods?labelSelector=app%3Distiod')).body.items).toEqual([]);
      expect((await call(cluster, 'GET', '/apis/apps/v1/namespaces/istio-system/replicasets')).body.items.map((rs: any) => rs.metadata.ownerReferences[0].name)).toEqual(['broken']);
    } finally {
      await cluster.close();
    }
  });
});
