// The flags of `npm run test-cluster` (the process itself is tested in standalone.cluster.test.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStandaloneArgs } from './standalone.js';

describe('parseStandaloneArgs', () => {
  it('defaults: ./.test-cluster/kubeconfig, 1 s readiness, no failing workloads, no faults, the release kubelet', () => {
    const o = parseStandaloneArgs([], {});
    expect(o).toMatchObject({ kubeconfigOut: join(process.cwd(), '.test-cluster', 'kubeconfig'), readyDelayMs: 1000, workloads: {}, injection: false, help: false });
    expect(o.faults).toBeUndefined();
    expect(o.kubeletVersion).toBeUndefined();
  });

  it('takes the kubeconfig path from the environment, the flag first', () => {
    expect(parseStandaloneArgs([], { TEST_CLUSTER_KUBECONFIG: '/tmp/x/kc' })).toMatchObject({ kubeconfigOut: '/tmp/x/kc' });
    expect(parseStandaloneArgs(['--kubeconfig-out', '/tmp/y'], { TEST_CLUSTER_KUBECONFIG: '/tmp/x/kc' })).toMatchObject({ kubeconfigOut: '/tmp/y' });
  });

  it('builds workload behaviours, the kubelet version and fault plans from flags', () => {
    const o = parseStandaloneArgs(['--fail', 'istio-system/istiod=ImagePullBackOff', '--fail', 'default/app=CrashLoopBackOff', '--latency', '20', '--kubelet-version', '1.28.4'], {});
    expect(o.workloads).toEqual({
      'istio-system/istiod': { kind: 'fail', reason: 'ImagePullBackOff' },
      'default/app': { kind: 'fail', reason: 'CrashLoopBackOff' },
    });
    expect(o.kubeletVersion).toBe('v1.28.4');
    expect(parseStandaloneArgs(['--injection'], {}).injection).toBe(true);
    expect(o.faults?.decide({ method: 'GET', path: '/api', seq: 0 })).toEqual({ latencyMs: 20 });

    const seeded = (seed: string) => {
      const plan = parseStandaloneArgs(['--seed', seed, '--fault-rate', '0.5'], {}).faults!;
      return Array.from({ length: 200 }, (_, seq) => plan.decide({ method: 'GET', path: `/p${seq}`, seq }));
    };
    expect(seeded('7')).toEqual(seeded('7'));
    expect(seeded('7').filter((a) => a.status !== undefined || a.drop).length).toBeGreaterThan(50);
  });

  it('rejects bad values', () => {
    expect(() => parseStandaloneArgs(['--fault-rate', '2'], {})).toThrow(/--fault-rate/);
    expect(() => parseStandaloneArgs(['--fail', 'a/b=Sleepy'], {})).toThrow(/--fail/);
    expect(() => parseStandaloneArgs(['--kubelet-version', 'latest'], {})).toThrow(/--kubelet-version/);
    expect(() => parseStandaloneArgs(['--port', '6443'], {})).toThrow(/port/);
    expect(() => parseStandaloneArgs(['--nope'], {})).toThrow(/nope/);
  });
});
