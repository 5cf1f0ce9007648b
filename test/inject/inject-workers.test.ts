/**
 * kube-inject with the pods injected on a worker thread (src/cli/inject-workers.ts) gives what one
 * thread gives: the same outcomes in the same order, the same output and reports, and the same
 * first error with its position. The worker is forced from the first workload (`minSize: 0`), or
 * starts part way through a file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { injectFile, type FileResult } from '../../src/inject/documents.js';
import { workerOptionsFromEnv, workerPods, WorkerPods } from '../../src/cli/inject-workers.js';
import { injectPod, InjectionError, type PodInput } from '../../src/inject/pod.js';
import { repoRoot } from '../helpers.js';
import { defaultInjector } from './injector.js';
import { workerScript } from './worker-script.js';

const bookinfo = readFileSync(join(repoRoot, 'test/testdata/inject/input/bookinfo.yaml'), 'utf8');
const bad = readFileSync(join(repoRoot, 'test/testdata/inject/bad/interception-mode-bad.yaml'), 'utf8');

/** Bookinfo `copies` times, each copy's names made distinct. */
function manyBookinfos(copies: number): string {
  return Array.from({ length: copies }, (_, i) => bookinfo.replace(/name: ([a-z]+(?:-v\d)?)\b/g, `name: $1-${i}`)).join('---\n');
}

/** The outcome of a run, or its error's class, message and position. */
function attempt(run: () => FileResult): unknown {
  try {
    return { result: run() };
  } catch (e) {
    return { error: e instanceof Error ? { name: e.name, message: e.message, ...(e as { position?: unknown }) } : e };
  }
}

const pod = (name: string, annotations: Record<string, string> = {}, hostNetwork = false): PodInput => ({
  typeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' },
  workload: { name, namespace: 'shop' },
  meta: { labels: { app: name }, annotations },
  spec: { ...(hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'app', image: `example/${name}:1` }] },
});

describe('pod injections on a worker thread', () => {
  it('returns in order what injectPod returns, failures included, with every pod sent to the worker', async () => {
    const injector = await defaultInjector();
    const pods = [pod('a'), pod('b', {}, true), pod('c', { 'sidecar.istio.io/interceptionMode': 'MAGIC' }), pod('d'), pod('e', { 'sidecar.istio.io/inject': 'false' })];
    const local = pods.map((p) => attempt(() => injectPod(injector, p) as unknown as FileResult));
    const injections = new WorkerPods(injector, { minSize: 0, script: await workerScript() }, 0);
    try {
      for (const p of pods) injections.submit(p);
      const remote = pods.map(() => attempt(() => injections.next() as unknown as FileResult));
      expect(injections.sent).toBe(pods.length);
      expect(remote).toEqual(local);
    } finally {
      injections.close();
    }
    expect(local.filter((x) => 'error' in (x as object))).toHaveLength(1);
    // A file smaller than minSize stays on this thread.
    const small = new WorkerPods(injector, { minSize: 1000, script: await workerScript() }, 999);
    small.submit(pods[0]!);
    expect(small.next()).toEqual(injectPod(injector, pods[0]!));
    expect(small.sent).toBe(0);
    small.close();
    expect(() => injectPod(injector, pods[2]!)).toThrow(InjectionError);
  });

  it('gives the same output and report lines as one thread, whether the worker starts first or part way through', async () => {
    const injector = await defaultInjector();
    const text = manyBookinfos(40);
    const one = injectFile(injector, text, 'many.yaml');
    expect(one.workloads.filter((w) => w.action === 'injected')).toHaveLength(240);
    const script = await workerScript();
    // minSize 0 waits for the worker; 1 injects here until it is ready.
    for (const minSize of [0, 1]) {
      const two = injectFile(injector, text, 'many.yaml', workerPods({ minSize, script }));
      expect(two.output === one.output).toBe(true);
      expect(two.workloads).toEqual(one.workloads);
    }
  });

  it('reports the first failing workload, with its position, as one thread does; a later syntax error wins in both', async () => {
    const injector = await defaultInjector();
    const script = await workerScript();
    const failing = `${manyBookinfos(10)}---\n${bad}---\n${manyBookinfos(5)}`;
    const withSyntaxError = `${failing}---\nkind: Deployment\nmetadata: {name: x\n`;
    for (const text of [failing, withSyntaxError]) {
      const one = attempt(() => injectFile(injector, text, 'many.yaml'));
      expect(one).toHaveProperty('error');
      expect(attempt(() => injectFile(injector, text, 'many.yaml', workerPods({ minSize: 0, script })))).toEqual(one);
    }
    expect(JSON.stringify(attempt(() => injectFile(injector, failing, 'many.yaml')))).toMatch(/invalid value 'MAGIC'/);
    expect(JSON.stringify(attempt(() => injectFile(injector, withSyntaxError, 'many.yaml')))).toMatch(/YAML syntax error/);
  });

  it('runs on one thread when there is no worker script (running from src/), the environment turns it off or there is one CPU', async () => {
    const script = await workerScript();
    expect(workerOptionsFromEnv({})).toBeUndefined();
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_MIN_SIZE: '0', MESHCTL_INJECT_WORKER_SCRIPT: join(repoRoot, 'no-such-worker.js') })).toBeUndefined();
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_MIN_SIZE: 'off', MESHCTL_INJECT_WORKER_SCRIPT: script })).toBeUndefined();
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_MIN_SIZE: '0', MESHCTL_INJECT_WORKER_SCRIPT: script })).toEqual({ minSize: 0, script });
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_SCRIPT: script }, 2)).toEqual({ minSize: 600_000, script });
    // One CPU: one thread, unless the variable asks for the worker.
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_SCRIPT: script }, 1)).toBeUndefined();
    expect(workerOptionsFromEnv({ MESHCTL_INJECT_WORKER_MIN_SIZE: '0', MESHCTL_INJECT_WORKER_SCRIPT: script }, 1)).toEqual({ minSize: 0, script });
  });

  it('injects on this thread when the worker cannot build the injector', async () => {
    const injector = await defaultInjector();
    // A template the worker cannot parse (this thread never parses it: injectors are built once).
    const broken = { ...injector, config: { ...injector.config, templates: { ...injector.config.templates, sidecar: '{{ if }}' } } };
    const text = manyBookinfos(3);
    const one = injectFile(injector, text, 'many.yaml');
    const pods = new WorkerPods(broken, { minSize: 0, script: await workerScript() }, 0);
    const onThisThread = injectFile(broken, text, 'many.yaml', () => pods);
    expect(pods.sent).toBe(0);
    expect(onThisThread.output === one.output).toBe(true);
    expect(onThisThread.workloads).toEqual(one.workloads);
  });
});
