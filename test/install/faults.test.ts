// The install under a seeded fault plan (429 with Retry-After, 500, 503, dropped connections,
// latency, slow bodies): every run ends in the same cluster state as a run without faults, and a
// fault-free rerun afterwards changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { seededFaultPlan } from '../control-plane/faults.js';
import { meshctl, rendered, snapshot, stored, waitFor } from './support.js';

// The faults come from the proxy between meshctl and the real API server (test/control-plane/).
let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane();
});
afterAll(async () => {
  await cluster?.close();
});

const rates = {
  tooMany: 0.05, retryAfterSeconds: 0, serverError: 0.04, unavailable: 0.04, drop: 0.04,
  latencyMs: [0, 5] as [number, number], slow: 0.05, slowBodyMs: 20,
};

/** Installed-state inventory of the default revision, as `Kind/name` keys. */
async function inventory(): Promise<string[]> {
  const cm = await cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' });
  return (JSON.parse((cm!.data as Record<string, string>)['inventory.json']!) as { kind: string; name: string }[]).map((e) => `${e.kind}/${e.name}`).sort();
}

/** Kinds of fault the proxy injected over all runs. */
const injected = new Set<string>();

describe('install under faults', () => {
  // Alternating profiles makes every other run prune under faults too.
  const runs: [number, string][] = Array.from({ length: 12 }, (_, i) => [i + 1, i % 2 ? 'demo' : 'minimal']);
  it.each(runs)('seed %i, profile %s: converges to the rendering', async (seed, profile) => {
    cluster.setFaults(seededFaultPlan(seed, rates));
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', `profile=${profile}`, '-y']);
    cluster.setFaults(undefined);
    for (const { fault } of cluster.requests) {
      if (fault?.status) injected.add(`${fault.status}${fault.status === 429 ? ` Retry-After ${fault.retryAfterSeconds}` : ''}`);
      if (fault?.drop) injected.add('drop');
      if (fault?.latencyMs) injected.add('latency');
      if (fault?.slowBodyMs) injected.add('slow body');
    }
    expect(r.stderr).toContain('✔ Installation complete');
    expect(r.code).toBe(0);
    // the plan did inject faults in this run
    expect(cluster.requests.filter((q) => q.fault && (q.fault.status || q.fault.drop)).length).toBeGreaterThan(0);

    const want = await rendered(['--set', `profile=${profile}`]);
    for (const o of want) {
      const s = await stored(cluster, o);
      expect(s, `${o.kind}/${o.metadata.name}`).toBeDefined();
      // not one being deleted by the previous run's prune
      expect(s!.metadata.deletionTimestamp, `${o.kind}/${o.metadata.name}`).toBeUndefined();
    }
    expect(await inventory()).toEqual(want.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    // The prune's deletes finish asynchronously (foreground deletion waits for the Pods).
    const gateways = async () => (await cluster.store.list('apps', 'Deployment', 'istio-system')).map((d) => d.metadata.name).filter((n) => n.includes('gateway'));
    await waitFor(`${profile === 'demo' ? 2 : 0} gateways`, async () => (await gateways()).length === (profile === 'demo' ? 2 : 0), 60_000, async () => (await gateways()).join(', '));
  });

  it('injected every kind of fault of the plan', () => {
    expect([...injected].sort()).toEqual(['429 Retry-After 0', '500', '503', 'drop', 'latency', 'slow body']);
  });

  it('leaves nothing for a fault-free rerun to change', async () => {
    const before = await snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nothing changed.');
    expect(await snapshot(cluster)).toEqual(before);
  });
});
