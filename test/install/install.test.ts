// `meshctl install` against the Kubernetes API test server: a demo install end to end, a rerun
// that changes nothing, and the confirmation rules.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestCluster } from '../cluster/server.js';
import type { TestCluster } from '../cluster/types.js';
import { meshctl, meshctlWith, linesStarting, rendered, snapshot, stored } from './support.js';

// A cluster install takes a few seconds of the test server's work (CRD applies dominate).
vi.setConfig({ testTimeout: 30_000 });

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ readyDelayMs: 20 });
});
afterAll(async () => {
  await cluster.close();
});

describe('install without confirmation', () => {
  it('refuses when stdin is not a terminal and -y is missing, writing nothing', async () => {
    const before = snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/standard input is not a terminal; pass -y/);
    expect(snapshot(cluster)).toEqual(before);
    expect(cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeUndefined();
  });

  it('asks on a terminal and stops at "n" with Cancelled. and exit 1', async () => {
    const before = snapshot(cluster);
    const questions: string[] = [];
    const r = await meshctlWith(cluster, ['install', '--set', 'profile=demo'], (deps) => {
      deps.stdinIsTTY = true;
      deps.prompt = async (q) => { questions.push(q); return 'n'; };
    });
    expect(r.code).toBe(1);
    expect(questions).toEqual(['This will install the Istio 1.30.3 profile "demo" into the cluster. Proceed? (y/N) ']);
    expect(r.stderr).toContain('Cancelled.');
    expect(snapshot(cluster)).toEqual(before);
  });
});

describe('install demo -y', () => {
  it('applies every object with owner labels, waits, and reports like istioctl', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual([
      '✔ Istio core installed',
      '✔ Istiod installed',
      '✔ Ingress gateways installed',
      '✔ Egress gateways installed',
      '✔ Installation complete',
    ]);
    expect(r.stderr).not.toMatch(/\x1b\[/);
    const objects = await rendered(['--set', 'profile=demo']);
    expect(r.stderr).toContain(`${objects.length} objects applied (${objects.length} created, 0 configured, 0 unchanged), 0 pruned.`);

    for (const o of objects) {
      const s = stored(cluster, o);
      expect(s, `${o.kind}/${o.metadata.name}`).toBeDefined();
      expect(s!.metadata.labels).toMatchObject({
        'operator.istio.io/component': o.metadata.labels?.['operator.istio.io/component'] ?? expect.stringMatching(/^(Base|Pilot|IngressGateways|EgressGateways)$/),
        'operator.istio.io/managed': 'Reconcile',
        'operator.istio.io/version': '1.30.3',
        'install.operator.istio.io/owning-resource': 'meshctl-installed-state',
        'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        'istio.io/rev': 'default',
      });
      const managers = (s!.metadata.managedFields as { manager: string; operation: string }[]).filter((m) => m.operation === 'Apply').map((m) => m.manager);
      expect(managers).toEqual(['meshctl']);
      if (o.kind === 'CustomResourceDefinition') {
        expect((s!.status as any).conditions.find((c: any) => c.type === 'Established')?.status).toBe('True');
      }
      if (o.kind === 'Deployment') {
        expect((s!.status as any).readyReplicas).toBeGreaterThanOrEqual(1);
        // owner labels go on the object, not into the pod template
        expect((s!.spec as any).template.metadata.labels['install.operator.istio.io/owning-resource']).toBe('unknown');
      }
    }
    expect(cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeDefined();

    const state = cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' });
    expect(state).toBeDefined();
    const data = state!.data as Record<string, string>;
    expect(data.profile).toBe('demo');
    expect(data.istioVersion).toBe('1.30.3');
    expect(data['config.yaml']).toContain('profile: demo');
    const inventory = JSON.parse(data['inventory.json']!) as { kind: string; name: string; component: string }[];
    expect(inventory.map((e) => `${e.kind}/${e.name}`).sort()).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    expect(new Set(inventory.map((e) => e.component))).toEqual(new Set(['Base', 'Pilot', 'IngressGateways', 'EgressGateways']));
  });

  it('changes nothing when run again, and says so', async () => {
    const before = snapshot(cluster);
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.code).toBe(0);
    expect(snapshot(cluster)).toEqual(before);
    expect(r.stderr).toMatch(/\d+ objects applied \(0 created, 0 configured, (\d+) unchanged\), 0 pruned: nothing changed\./);
    expect(r.stderr).not.toContain('Pruning');
    // nothing but reads and server-side applies (no deletes, no updates)
    const writes = cluster.requests.filter((q) => q.method !== 'GET' && q.method !== 'PATCH');
    expect(writes).toEqual([]);
    expect(cluster.requests.filter((q) => q.method === 'PATCH').every((q) => q.query.fieldManager === 'meshctl' && q.query.force === 'true')).toBe(true);
  });
});
