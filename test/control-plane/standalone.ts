/**
 * The test control plane as a process of its own, for trying meshctl (or kubectl) by hand:
 * `npm run test-cluster` (scripts/test-cluster.mjs builds the binaries when needed, bundles and
 * runs this file). It prints exactly one line on stdout, `KUBECONFIG=<absolute path>`, once the API
 * server answers, a hint on stderr, and runs until SIGINT or SIGTERM; then it stops every process
 * it started, removes the kubeconfig it wrote and exits 0. A bad flag exits 64 with a message on stderr.
 *
 *   npm run test-cluster -- [--kubeconfig-out PATH] [--ready-delay MS] [--kubelet-version V]
 *                           [--fail NS/NAME=REASON]... [--latency MS] [--seed N --fault-rate P]
 *                           [--injection]
 *
 * TEST_CLUSTER_KUBECONFIG in the environment sets the kubeconfig path (the flag wins). Default
 * kubeconfig path: ./.test-cluster/kubeconfig.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { latencyPlan, seededFaultPlan } from './faults.js';
import { startControlPlane, type ControlPlane, type WorkloadBehaviour } from './control-plane.js';
import type { FaultPlan } from './types.js';

const USAGE = `usage: npm run test-cluster -- [options]

  --kubeconfig-out PATH   where to write the kubeconfig (env TEST_CLUSTER_KUBECONFIG; default ./.test-cluster/kubeconfig)
  --ready-delay MS        time until Pods become ready (default 1000)
  --kubelet-version V     kubelet version of the Node (default v1.35.3; Istio 1.30 injects native sidecars from v1.33)
  --fail NS/NAME=REASON   make a workload fail: ImagePullBackOff, ErrImagePull or CrashLoopBackOff (repeatable)
  --latency MS            delay every API request
  --seed N                seed of random faults (with --fault-rate; default 1)
  --fault-rate P          probability 0..1 of a 429/500/503/dropped connection per request
  --injection             inject Pods as istiod of the revision a webhook selects would (else admit them unchanged)
  -h, --help              show this help
`;

const FAIL_REASONS = ['ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff'] as const;

/** A command-line mistake: reported without a stack, exit code 64 like meshctl's UsageError. */
class FlagError extends Error {}

/** Parsed command line and environment. */
export interface StandaloneOptions {
  /** Absolute path the kubeconfig is copied to. */
  kubeconfigOut: string;
  /** Default readiness delay of workloads, ms. */
  readyDelayMs: number;
  /** Behaviours from `--fail`, keyed `namespace/name`. */
  workloads: Record<string, WorkloadBehaviour>;
  /** From `--latency` and/or `--seed`/`--fault-rate`; absent when neither is given. */
  faults?: FaultPlan;
  /** From `--kubelet-version`. */
  kubeletVersion?: string;
  /** From `--injection`: the webhook stand-in injects Pods (test/control-plane/injection.ts). */
  injection: boolean;
  help: boolean;
}

function number(flag: string, text: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new FlagError(`${flag}: expected a number between 0 and ${max}, got "${text}"`);
  return n;
}

function kubeletVersionOf(text: string): string {
  if (!/^v?\d+\.\d+\.\d+$/.test(text)) throw new FlagError(`--kubelet-version: expected a version like v1.35.3, got "${text}"`);
  return text.startsWith('v') ? text : `v${text}`;
}

/**
 * Returns the options for `argv` (without node and script) and `env`. Throws FlagError for an
 * unknown flag, a malformed number or `--fail` value.
 */
export function parseStandaloneArgs(argv: string[], env: NodeJS.ProcessEnv): StandaloneOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'kubeconfig-out': { type: 'string' },
        'kubelet-version': { type: 'string' },
        'ready-delay': { type: 'string' },
        fail: { type: 'string', multiple: true },
        latency: { type: 'string' },
        seed: { type: 'string' },
        'fault-rate': { type: 'string' },
        injection: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  const workloads: Record<string, WorkloadBehaviour> = {};
  for (const spec of values.fail ?? []) {
    const m = /^([^/=\s]+)\/([^/=\s]+)=(\w+)$/.exec(spec);
    const reason = m?.[3] as (typeof FAIL_REASONS)[number] | undefined;
    if (!m || !reason || !FAIL_REASONS.includes(reason)) {
      throw new FlagError(`--fail: expected NAMESPACE/NAME=${FAIL_REASONS.join('|')}, got "${spec}"`);
    }
    workloads[`${m[1]}/${m[2]}`] = { kind: 'fail', reason };
  }
  const latency = number('--latency', values.latency, 0);
  const rate = number('--fault-rate', values['fault-rate'], 0, 1);
  const seed = number('--seed', values.seed, 1);
  let faults: FaultPlan | undefined;
  if (rate > 0) {
    // 429 is what a busy real server sends most; the rest split evenly.
    faults = seededFaultPlan(seed, {
      tooMany: rate * 0.4, serverError: rate * 0.2, unavailable: rate * 0.2, drop: rate * 0.2,
      ...(latency > 0 ? { latencyMs: [latency, latency] as [number, number] } : {}),
    });
  } else if (latency > 0) {
    faults = latencyPlan(latency);
  }
  return {
    kubeconfigOut: resolve(values['kubeconfig-out'] ?? env.TEST_CLUSTER_KUBECONFIG ?? '.test-cluster/kubeconfig'),
    readyDelayMs: number('--ready-delay', values['ready-delay'], 1000),
    workloads,
    ...(faults ? { faults } : {}),
    ...(values['kubelet-version'] ? { kubeletVersion: kubeletVersionOf(values['kubelet-version']) } : {}),
    injection: values.injection ?? false,
    help: values.help ?? false,
  };
}

/** Runs the standalone cluster until a signal; resolves with the process exit code. */
export async function runStandalone(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let opts: StandaloneOptions;
  try {
    opts = parseStandaloneArgs(argv, env);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`test-cluster: ${err.message}\n\n${USAGE}`);
    return 64;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  process.stderr.write('test cluster: starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok ...\n');
  let cluster: ControlPlane;
  try {
    cluster = await startControlPlane({
      readyDelayMs: opts.readyDelayMs,
      workloads: opts.workloads,
      ...(opts.kubeletVersion ? { kubeletVersion: opts.kubeletVersion } : {}),
      injection: opts.injection,
    });
  } catch (err) {
    process.stderr.write(`test-cluster: ${(err as Error).message}\n`);
    return 1;
  }
  if (opts.faults) cluster.setFaults(opts.faults);
  // The control plane's kubeconfig lives in a temp dir it removes on close; copy it to the stable path.
  await mkdir(dirname(opts.kubeconfigOut), { recursive: true });
  await writeFile(opts.kubeconfigOut, await readFile(cluster.kubeconfigPath), { mode: 0o600 });

  const stopped = new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  process.stdout.write(`KUBECONFIG=${opts.kubeconfigOut}\n`);
  process.stderr.write(`test cluster: kube-apiserver ${cluster.apiServerUrl}, through the fault proxy at ${cluster.url}; up in ${cluster.startupMs} ms (ready delay ${opts.readyDelayMs} ms${Object.keys(opts.workloads).length ? `, failing: ${Object.keys(opts.workloads).join(', ')}` : ''})\n`
    + `  export KUBECONFIG=${opts.kubeconfigOut}; meshctl install --set profile=demo -y\n`
    + 'Stop with Ctrl-C.\n');

  const signal = await stopped;
  process.stderr.write(`test cluster: ${signal}, shutting down\n`);
  await cluster.close();
  await rm(opts.kubeconfigOut, { force: true });
  return 0;
}
