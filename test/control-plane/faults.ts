/**
 * Fault plans for the test server: what goes wrong with which request. A plan is consulted once
 * per authenticated API request, in arrival order (discovery and /version included), and answers
 * with a `FaultAction` (types.ts). Plans are deterministic: the same seed or script and the same
 * sequence of requests give the same decisions, so a failing run can be replayed.
 */
import type { FaultAction, FaultPlan } from './types.js';

/**
 * Returns the mulberry32 pseudo-random generator for `seed`: a function yielding numbers in
 * [0, 1). Small, fast and good enough to spread faults; not for anything cryptographic.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Probabilities (0..1, per request) and sizes of the faults a seeded plan injects. */
export interface FaultRates {
  /** Range of the added delay, ms (inclusive). */
  latencyMs?: [min: number, max: number];
  /** Probability of adding a delay from `latencyMs`. Default 1 when `latencyMs` is given, else 0. */
  latency?: number;
  /** Probability of answering 429 Too Many Requests. */
  tooMany?: number;
  /** Retry-After of 429 answers, seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Probability of answering 500 Internal Server Error. */
  serverError?: number;
  /** Probability of answering 503 Service Unavailable. */
  unavailable?: number;
  /** Probability of destroying the connection without an answer. */
  drop?: number;
  /** Probability of sending the (successful) body slowly. */
  slow?: number;
  /** Duration of a slow body, ms. Default 200. */
  slowBodyMs?: number;
  /**
   * Most failing faults (429, 500, 503, drop) in a row, counted both over all requests and per
   * `METHOD path`; the next request is then served. Keeps a client with a bounded retry budget
   * able to make progress, even with concurrent requests. Default 2.
   */
  maxConsecutive?: number;
}

function probability(name: string, value: number | undefined): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`fault rate ${name} must be between 0 and 1, got ${String(value)}`);
  return p;
}

/**
 * Returns a plan that injects faults at random with the given `rates`, from a PRNG seeded with
 * `seed`. Every decision draws the same count of numbers, so the n-th decision depends only on
 * the seed and the requests before it. Failing faults exclude each other (their rates are
 * cumulative slices, so their sum must be at most 1); latency applies independently of them, a
 * slow body only to requests that are otherwise served.
 * Throws RangeError for rates outside 0..1, a sum of failing rates above 1, or a bad latency range.
 */
export function seededFaultPlan(seed: number, rates: FaultRates): FaultPlan {
  const latency = probability('latency', rates.latency ?? (rates.latencyMs ? 1 : 0));
  const [minLatency, maxLatency] = rates.latencyMs ?? [0, 0];
  if (!(minLatency >= 0 && maxLatency >= minLatency)) throw new RangeError(`fault latencyMs must be [min, max] with 0 <= min <= max, got [${minLatency}, ${maxLatency}]`);
  const failing: Array<[number, FaultAction]> = [
    [probability('tooMany', rates.tooMany), { status: 429, retryAfterSeconds: rates.retryAfterSeconds ?? 1 }],
    [probability('serverError', rates.serverError), { status: 500 }],
    [probability('unavailable', rates.unavailable), { status: 503 }],
    [probability('drop', rates.drop), { drop: true }],
  ];
  const failingTotal = failing.reduce((sum, [p]) => sum + p, 0);
  if (failingTotal > 1 + 1e-9) throw new RangeError(`fault rates tooMany + serverError + unavailable + drop must be at most 1, got ${failingTotal}`);
  const slow = probability('slow', rates.slow);
  const slowBodyMs = rates.slowBodyMs ?? 200;
  const maxConsecutive = rates.maxConsecutive ?? 2;
  const random = mulberry32(seed);
  let streak = 0;
  const streakByRequest = new Map<string, number>();

  return {
    decide(req) {
      const [rLatency, rDelay, rFail, rSlow] = [random(), random(), random(), random()];
      const action: FaultAction = {};
      if (rLatency < latency) action.latencyMs = minLatency + Math.floor(rDelay * (maxLatency - minLatency + 1));
      const key = `${req.method} ${req.path}`;
      const keyStreak = streakByRequest.get(key) ?? 0;
      let chosen: FaultAction | undefined;
      if (streak < maxConsecutive && keyStreak < maxConsecutive) {
        let edge = 0;
        for (const [p, fault] of failing) {
          edge += p;
          if (rFail < edge) {
            chosen = fault;
            break;
          }
        }
      }
      if (chosen) {
        streak++;
        streakByRequest.set(key, keyStreak + 1);
        return { ...action, ...chosen };
      }
      streak = 0;
      streakByRequest.delete(key);
      if (rSlow < slow) action.slowBodyMs = slowBodyMs;
      return action;
    },
  };
}

/** Returns a plan that delays every request by `ms` and does nothing else (network latency for benchmarks). */
export function latencyPlan(ms: number): FaultPlan {
  if (!(ms >= 0)) throw new RangeError(`latency must be at least 0 ms, got ${ms}`);
  return { decide: () => (ms > 0 ? { latencyMs: ms } : {}) };
}

/** Options of `scriptedPlan`. */
export interface ScriptOptions {
  /** Only requests for which this returns true consume script entries; others are served normally. */
  match?: (req: { method: string; path: string }) => boolean;
}

/**
 * Returns a plan that gives the n-th request (counted from 0 by the plan itself, among the
 * requests `opts.match` accepts) `actions[n]`, and every later request no fault.
 */
export function scriptedPlan(actions: FaultAction[], opts: ScriptOptions = {}): FaultPlan {
  const script = actions.map((a) => ({ ...a }));
  let next = 0;
  return {
    decide(req) {
      if (opts.match && !opts.match(req)) return {};
      const action = script[next++];
      return action ? { ...action } : {};
    },
  };
}
