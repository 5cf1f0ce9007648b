// What an install says when a workload never becomes ready, and what Ctrl-C leaves behind.
import { describe, expect, it, vi } from 'vitest';
import { startTestCluster } from '../cluster/server.js';
import { meshctl, meshctlWith } from './support.js';

vi.setConfig({ testTimeout: 30_000 });

describe('a workload that never becomes ready', () => {
  it('times out naming the Deployment, its pod waiting reason and recent events; exit 1', async () => {
    const cluster = await startTestCluster({ workloads: { 'istio-system/istiod': { kind: 'fail', reason: 'ImagePullBackOff' } } });
    try {
      const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y', '--readiness-timeout', '500ms']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('✔ Istio core installed');
      expect(r.stderr).toContain('✘ Istiod encountered an error: resources not ready after 500ms:');
      const detail = r.stderr.split('\n').find((l) => l.startsWith('  Deployment/istio-system/istiod ('));
      expect(detail).toBeDefined();
      expect(detail).toContain('0/1 replicas ready');
      expect(detail).toContain('container failed to start: ImagePullBackOff: Back-off pulling image "docker.io/istio/pilot:1.30.3"');
      expect(detail).toMatch(/event: Failed: (Error: ImagePullBackOff|Failed to pull image)/);
      // dependents never started; nothing was pruned or recorded
      expect(r.stderr).not.toMatch(/gateways installed|Installation complete/);
      expect(r.stderr).toMatch(/Error: installation incomplete: Istiod failed \(see above\); \d+ of 42 objects were applied/);
      expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-ingressgateway' })).toBeUndefined();
      expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' })).toBeUndefined();

      // once the image pulls, the same command converges
      cluster.setWorkload('istio-system/istiod', { kind: 'ready' });
      const again = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('✔ Installation complete');
    } finally {
      await cluster.close();
    }
  });
});

describe('Ctrl-C', () => {
  it('stops between requests, says what was applied, exits 130; a rerun converges', async () => {
    const cluster = await startTestCluster();
    try {
      const ctrl = new AbortController();
      // Interrupt as soon as the first Deployment reaches the store (istiod, mid-install).
      const stop = cluster.store.subscribe((e) => {
        if (e.object.kind === 'Deployment') ctrl.abort();
      });
      const r = await meshctlWith(cluster, ['install', '--set', 'profile=demo', '-y'], (deps) => { deps.signal = ctrl.signal; });
      stop();
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/Error: interrupted: objects applied so far: Istio core \d+\/\d+, Istiod \d+\/\d+; the installed-state record was not updated\. Run the same command again/);
      expect(r.stderr).not.toContain('Installation complete');
      expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-egressgateway' })).toBeUndefined();
      expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' })).toBeUndefined();

      const again = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
      expect(again.code).toBe(0);
      expect(cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-egressgateway' })).toBeDefined();
      expect(cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' })).toBeDefined();
    } finally {
      await cluster.close();
    }
  });
});
