// What an install says when a workload never becomes ready or the API server refuses an object,
// and what Ctrl-C leaves behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { meshctl, meshctlWith, purge, rendered, stored } from './support.js';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'ImagePullBackOff' } } });
});
afterAll(async () => {
  await cluster?.close();
});

const stateRef = { group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' };
const deploymentRef = (name: string) => ({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name });

describe('a workload that never becomes ready', () => {
  it('times out naming the Deployment, its pod waiting reason and recent events; exit 1', async () => {
    // Long enough for the real controllers to create the Pod and the kubelet stand-in to report on it.
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y', '--readiness-timeout', '6s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✔ Istio core installed');
    expect(r.stderr).toContain('✘ Istiod encountered an error: resources not ready after 6s:');
    const detail = r.stderr.split('\n').find((l) => l.startsWith('  Deployment/istio-system/istiod ('));
    expect(detail).toBeDefined();
    expect(detail).toContain('0/1 replicas ready');
    expect(detail).toContain('container failed to start: ImagePullBackOff: Back-off pulling image "docker.io/istio/pilot:1.30.3"');
    expect(detail).toMatch(/event: Failed: (Error: ImagePullBackOff|Failed to pull image)/);
    // dependents never started; nothing was pruned or recorded
    expect(r.stderr).not.toMatch(/gateways installed|Installation complete/);
    expect(r.stderr).toMatch(/Error: installation incomplete: Istiod failed \(see above\); \d+ of 42 objects were applied/);
    expect(await cluster.store.get(deploymentRef('istio-ingressgateway'))).toBeUndefined();
    expect(await cluster.store.get(stateRef)).toBeUndefined();

    // once the image pulls, the same command converges
    await cluster.setWorkload('istio-system/istiod', { kind: 'ready' });
    const again = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('✔ Installation complete');
  });
});

describe('an object the API server refuses', () => {
  it('fails its component at once with the server\'s reason, changes nothing of it, exit 1', async () => {
    const before = await cluster.store.get(deploymentRef('istiod'));
    const state = await cluster.store.get(stateRef);
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '--set', 'components.pilot.k8s.resources.requests.cpu=lots', '-y']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✔ Istio core installed');
    expect(r.stderr).toMatch(/✘ Istiod encountered an error: apply Deployment\/istio-system\/istiod: .*quantities must match the regular expression/);
    expect(r.stderr).toMatch(/Error: installation incomplete: Istiod failed \(see above\)/);
    // the refusal (a 500 from the API server) is final: one attempt, no backoff
    const applies = cluster.requests.filter((q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/istio-system/deployments/istiod');
    expect(applies.map((q) => q.status)).toEqual([500]);
    expect((await cluster.store.get(deploymentRef('istiod')))!.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
    expect((await cluster.store.get(stateRef))!.metadata.resourceVersion).toBe(state!.metadata.resourceVersion);
  });
});

describe('Ctrl-C', () => {
  it('before the first apply (while rendering or connecting): says nothing was applied, exits 130', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    const r = await meshctlWith(cluster, ['install', '--set', 'profile=demo', '-y'], (deps) => { deps.signal = ctrl.signal; });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Error: interrupted: no objects were applied/);
  });
  it('stops between requests, says what was applied, exits 130; a rerun converges', async () => {
    await purge(cluster);
    const ctrl = new AbortController();
    // Interrupt as soon as the first Deployment is created (istiod, mid-install).
    const stop = await cluster.store.watch('apps', 'Deployment', (e) => {
      if (e.type === 'ADDED' && e.object.metadata.namespace === 'istio-system') ctrl.abort();
    });
    let r;
    try {
      r = await meshctlWith(cluster, ['install', '--set', 'profile=demo', '-y'], (deps) => { deps.signal = ctrl.signal; });
    } finally {
      stop();
    }
    expect(ctrl.signal.aborted).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Error: interrupted: objects applied so far: Istio core \d+\/\d+, Istiod \d+\/\d+; the installed-state record was not updated\. Run the same command again/);
    expect(r.stderr).not.toContain('Installation complete');
    expect(await cluster.store.get(deploymentRef('istio-egressgateway'))).toBeUndefined();
    expect(await cluster.store.get(stateRef)).toBeUndefined();

    // What the interrupted run left: the rerun must count those objects from the server's answers
    // (not created again: their UIDs and resourceVersions stay), the rest as created.
    const desired = await rendered(['--set', 'profile=demo']);
    const before = new Map<string, { uid: string; resourceVersion: string }>();
    for (const o of desired) {
      const live = await stored(cluster, o);
      if (live) before.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, { uid: String(live.metadata.uid), resourceVersion: String(live.metadata.resourceVersion) });
    }
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(desired.length);

    const again = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(again.code).toBe(0);
    expect(await cluster.store.get(deploymentRef('istio-egressgateway'))).toBeDefined();
    expect(await cluster.store.get(stateRef)).toBeDefined();
    const summary = /(\d+) objects applied \((\d+) created, (\d+) configured, (\d+) unchanged\)/.exec(again.stderr);
    expect(summary, again.stderr).not.toBeNull();
    const [total, created, configured, unchanged] = summary!.slice(1).map(Number) as [number, number, number, number];
    expect(total).toBe(desired.length);
    expect(created).toBe(desired.length - before.size);
    let kept = 0;
    for (const o of desired) {
      const was = before.get(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      if (!was) continue;
      const now = (await stored(cluster, o))!;
      expect(String(now.metadata.uid)).toBe(was.uid);
      if (String(now.metadata.resourceVersion) === was.resourceVersion) kept++;
    }
    // The rerun's applies of what the interrupted run left change nothing: unchanged, not created.
    expect(kept).toBeGreaterThan(0);
    expect(configured).toBe(0);
    expect(unchanged).toBe(before.size);
  });
});
