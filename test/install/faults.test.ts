// The install under a seeded fault plan (429 with Retry-After, 500, 503, dropped connections,
// latency, slow bodies): every run ends in the same cluster state as a run without faults, and a
// fault-free rerun afterwards changes nothing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seededFaultPlan } from '../cluster/faults.js';
import { startTestCluster } from '../cluster/server.js';
import type { TestCluster } from '../cluster/types.js';
import { meshctl, rendered, snapshot, stored } from './support.js';

vi.setConfig({ testTimeout: 30_000 });

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster.close();
});

const rates = {
  tooMany: 0.05, retryAfterSeconds: 0, serverError: 0.04, unavailable: 0.04, drop: 0.04,
  latencyMs: [0, 5] as [number, number], slow: 0.05, slowBodyMs: 20,
};

/** Installed-state inventory of the default revision, as `Kind/name` keys. */
function inventory(): string[] {
  const cm = cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' });
  return (JSON.parse((cm!.data as Record<string, string>)['inventory.json']!) as { kind: string; name: string }[]).map((e) => `${e.kind}/${e.name}`).sort();
}

describe('install under faults', () => {
  // Alternating profiles makes every other run prune under faults too.
  const runs: [number, string][] = Array.from({ length: 12 }, (_, i) => [i + 1, i % 2 ? 'demo' : 'minimal']);
  it.each(runs)('seed %i, profile %s: converges to the rendering', async (seed, profile) => {
    cluster.setFaults(seededFaultPlan(seed, rates));
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', `profile=${profile}`, '-y']);
    cluster.setFaults(undefined);
    expect(r.stderr).toContain('✔ Installation complete');
    expect(r.code).toBe(0);
    // the plan did inject faults in this run
    expect(cluster.requests.filter((q) => q.fault && (q.fault.status || q.fault.drop)).length).toBeGreaterThan(0);

    const want = await rendered(['--set', `profile=${profile}`]);
    for (const o of want) expect(stored(cluster, o), `${o.kind}/${o.metadata.name}`).toBeDefined();
    expect(inventory()).toEqual(want.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    const gateways = cluster.store.list('apps', 'Deployment', 'istio-system').map((d) => d.metadata.name).filter((n) => n.includes('gateway'));
    expect(gateways.length).toBe(profile === 'demo' ? 2 : 0);
  });

  it('leaves nothing for a fault-free rerun to change', async () => {
    const before = snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nothing changed.');
    expect(snapshot(cluster)).toEqual(before);
  });
});
