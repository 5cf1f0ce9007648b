import { describe, expect, it } from 'vitest';
import { latencyPlan, mulberry32, scriptedPlan, seededFaultPlan } from './faults.js';
import type { FaultAction, FaultPlan } from './types.js';

const PATHS = ['/api', '/apis', '/version', '/api/v1/namespaces/istio-system/configmaps', '/apis/apps/v1/namespaces/istio-system/deployments/istiod'];

/** Feeds `n` requests through `plan` (cycling over a few paths) and returns its decisions. */
function run(plan: FaultPlan, n: number, path?: (i: number) => string): FaultAction[] {
  const out: FaultAction[] = [];
  for (let seq = 0; seq < n; seq++) {
    out.push(plan.decide({ method: seq % 3 === 0 ? 'PATCH' : 'GET', path: path ? path(seq) : PATHS[seq % PATHS.length]!, seq }));
  }
  return out;
}

const failing = (a: FaultAction): boolean => a.status !== undefined || a.drop === true;

describe('mulberry32', () => {
  it('repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const take = (seed: number) => {
      const r = mulberry32(seed);
      return Array.from({ length: 1000 }, () => r());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    const xs = take(42);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('seededFaultPlan', () => {
  const rates = { latencyMs: [5, 15] as [number, number], latency: 0.5, tooMany: 0.1, serverError: 0.05, unavailable: 0.05, drop: 0.05, slow: 0.1, slowBodyMs: 50 };

  it('replays the same decisions for the same seed and request sequence', () => {
    const a = run(seededFaultPlan(1234, rates), 2000);
    const b = run(seededFaultPlan(1234, rates), 2000);
    expect(a).toEqual(b);
    expect(a.some(failing)).toBe(true);
    expect(run(seededFaultPlan(1235, rates), 2000)).not.toEqual(a);
  });

  it('roughly honours the rates over many requests', () => {
    const n = 20_000;
    // Distinct paths and a high cap, so the consecutive-fault cap barely shapes the counts.
    const decisions = run(seededFaultPlan(99, { ...rates, maxConsecutive: 100 }), n, (i) => `/api/v1/namespaces/ns${i}/pods`);
    const share = (pred: (a: FaultAction) => boolean) => decisions.filter(pred).length / n;
    expect(Math.abs(share((a) => a.status === 429) - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(share((a) => a.status === 500) - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share((a) => a.status === 503) - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share((a) => a.drop === true) - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share((a) => a.latencyMs !== undefined) - 0.5)).toBeLessThan(0.01);
    // Slow bodies only go to requests that are otherwise served: 0.1 of the 75 % unfaulted.
    expect(Math.abs(share((a) => a.slowBodyMs === 50) - 0.075)).toBeLessThan(0.01);
    expect(decisions.filter((a) => a.slowBodyMs !== undefined).every((a) => !failing(a))).toBe(true);
    expect(decisions.filter((a) => a.status === 429).every((a) => a.retryAfterSeconds === 1)).toBe(true);
    const delays = decisions.flatMap((a) => (a.latencyMs === undefined ? [] : [a.latencyMs]));
    expect(Math.min(...delays)).toBe(5);
    expect(Math.max(...delays)).toBe(15);
  });

  it('never fails more than maxConsecutive requests in a row (default 2)', () => {
    const always = seededFaultPlan(5, { serverError: 1 });
    const statuses = Array.from({ length: 9 }, (_, seq) => always.decide({ method: 'GET', path: '/api', seq }).status ?? 'ok');
    expect(statuses).toEqual([500, 500, 'ok', 500, 500, 'ok', 500, 500, 'ok']);
    const plan = seededFaultPlan(6, { tooMany: 0.3, serverError: 0.3, unavailable: 0.2, drop: 0.2, maxConsecutive: 3 });
    let streak = 0;
    for (const a of run(plan, 5000)) {
      streak = failing(a) ? streak + 1 : 0;
      expect(streak).toBeLessThanOrEqual(3);
    }
  });

  it('caps faults per request, so each of several concurrent retry loops gets through', () => {
    const plan = seededFaultPlan(11, { unavailable: 1, maxConsecutive: 2 });
    const paths = ['/a', '/b', '/c'];
    const attempts = new Map(paths.map((p) => [p, 0]));
    const pending = new Set(paths);
    // Round-robin retries of three requests: each must succeed by its third attempt.
    for (let seq = 0; pending.size > 0 && seq < 100; seq++) {
      const path = [...pending][seq % pending.size]!;
      attempts.set(path, attempts.get(path)! + 1);
      if (!failing(plan.decide({ method: 'GET', path, seq }))) pending.delete(path);
    }
    expect(pending.size).toBe(0);
    for (const n of attempts.values()) expect(n).toBeLessThanOrEqual(3);
  });

  it('maxConsecutive 0 turns failing faults off but keeps latency', () => {
    const decisions = run(seededFaultPlan(3, { serverError: 1, latencyMs: [1, 1], maxConsecutive: 0 }), 20);
    expect(decisions.every((a) => a.status === undefined && a.latencyMs === 1)).toBe(true);
  });

  it('applies latency to every request when only the range is given', () => {
    expect(run(seededFaultPlan(1, { latencyMs: [3, 3] }), 50).every((a) => a.latencyMs === 3)).toBe(true);
    expect(run(seededFaultPlan(1, {}), 50)).toEqual(Array.from({ length: 50 }, () => ({})));
  });

  it('rejects impossible rates', () => {
    expect(() => seededFaultPlan(1, { drop: 1.5 })).toThrow(/drop must be between 0 and 1/);
    expect(() => seededFaultPlan(1, { tooMany: 0.6, serverError: 0.6 })).toThrow(/at most 1/);
    expect(() => seededFaultPlan(1, { latencyMs: [10, 5] })).toThrow(/latencyMs/);
  });
});

describe('latencyPlan and scriptedPlan', () => {
  it('latencyPlan delays every request and does nothing else', () => {
    expect(run(latencyPlan(20), 10)).toEqual(Array.from({ length: 10 }, () => ({ latencyMs: 20 })));
    expect(run(latencyPlan(0), 3)).toEqual([{}, {}, {}]);
  });

  it('scriptedPlan gives the n-th request the n-th action, then none', () => {
    const plan = scriptedPlan([{ status: 503 }, {}, { drop: true }]);
    expect(run(plan, 5)).toEqual([{ status: 503 }, {}, { drop: true }, {}, {}]);
  });

  it('scriptedPlan counts only matching requests when given a filter', () => {
    const plan = scriptedPlan([{ status: 429, retryAfterSeconds: 2 }], { match: (r) => r.method === 'PATCH' });
    expect(plan.decide({ method: 'GET', path: '/api', seq: 0 })).toEqual({});
    expect(plan.decide({ method: 'PATCH', path: '/apis/apps/v1/x', seq: 1 })).toEqual({ status: 429, retryAfterSeconds: 2 });
    expect(plan.decide({ method: 'PATCH', path: '/apis/apps/v1/x', seq: 2 })).toEqual({});
  });

  it('scriptedPlan hands out copies, so a server that annotates an action does not change the script', () => {
    const actions: FaultAction[] = [{ latencyMs: 5 }];
    const plan = scriptedPlan(actions);
    const first = plan.decide({ method: 'GET', path: '/', seq: 0 });
    first.latencyMs = 99;
    expect(actions[0]).toEqual({ latencyMs: 5 });
  });
});
