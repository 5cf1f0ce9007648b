// `npm run test-cluster` end to end: the script bundles test/cluster/standalone.ts, serves, prints
// its kubeconfig path, answers a client through that kubeconfig and exits 0 on SIGTERM.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { parseStandaloneArgs } from './standalone.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshctl-standalone-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves with the first stdout line of `child` that starts with `prefix`. */
function lineStartingWith(child: ReturnType<typeof execa>, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').slice(0, -1).find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`test cluster exited (${code}) before printing ${prefix}`)));
  });
}

describe('npm run test-cluster', () => {
  it('prints KUBECONFIG=<path>, serves /version through it, and exits 0 on SIGTERM', async () => {
    const out = join(dir, 'nested', 'kubeconfig');
    const child = execa('node', ['scripts/test-cluster.mjs', '--kubeconfig-out', out, '--ready-delay', '0'], { cwd: repoRoot, reject: false, env: { PORT: '' } });
    const line = await lineStartingWith(child, 'KUBECONFIG=');
    expect(line).toBe(`KUBECONFIG=${out}`);

    const kc = new KubeConfig();
    kc.loadFromFile(out);
    expect(kc.getCurrentContext()).toBe('test-cluster');
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.33.2');

    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`KUBECONFIG=${out}`);
    expect(result.stderr).toContain(`export KUBECONFIG=${out}`);
    // The kubeconfig pointed at a server that is gone; it goes too.
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('rejects a malformed flag with exit code 64 and the usage', async () => {
    const result = await execa('node', ['scripts/test-cluster.mjs', '--fail', 'istiod=Broken'], { cwd: repoRoot, reject: false });
    expect(result.exitCode).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--fail: expected NAMESPACE/NAME=ImagePullBackOff|ErrImagePull|CrashLoopBackOff, got "istiod=Broken"');
    expect(result.stderr).toContain('usage: npm run test-cluster');
  }, 30_000);
});

describe('parseStandaloneArgs', () => {
  it('defaults: ./.test-cluster/kubeconfig, any port, 1 s readiness, TLS, no faults', () => {
    const o = parseStandaloneArgs([], {});
    expect(o).toMatchObject({ kubeconfigOut: join(process.cwd(), '.test-cluster', 'kubeconfig'), port: 0, readyDelayMs: 1000, workloads: {}, tls: true, help: false });
    expect(o.faults).toBeUndefined();
  });

  it('takes the port and kubeconfig path from the environment, flags first', () => {
    expect(parseStandaloneArgs([], { PORT: '6443', TEST_CLUSTER_KUBECONFIG: '/tmp/x/kc' })).toMatchObject({ port: 6443, kubeconfigOut: '/tmp/x/kc' });
    expect(parseStandaloneArgs(['--port', '7000', '--kubeconfig-out', '/tmp/y'], { PORT: '6443', TEST_CLUSTER_KUBECONFIG: '/tmp/x/kc' })).toMatchObject({ port: 7000, kubeconfigOut: '/tmp/y' });
  });

  it('builds workload behaviours and fault plans from flags', () => {
    const o = parseStandaloneArgs(['--fail', 'istio-system/istiod=ImagePullBackOff', '--fail', 'default/app=CrashLoopBackOff', '--latency', '20', '--http'], {});
    expect(o.workloads).toEqual({
      'istio-system/istiod': { kind: 'fail', reason: 'ImagePullBackOff' },
      'default/app': { kind: 'fail', reason: 'CrashLoopBackOff' },
    });
    expect(o.tls).toBe(false);
    expect(o.faults?.decide({ method: 'GET', path: '/api', seq: 0 })).toEqual({ latencyMs: 20 });

    const seeded = (seed: string) => {
      const plan = parseStandaloneArgs(['--seed', seed, '--fault-rate', '0.5'], {}).faults!;
      return Array.from({ length: 200 }, (_, seq) => plan.decide({ method: 'GET', path: `/p${seq}`, seq }));
    };
    expect(seeded('7')).toEqual(seeded('7'));
    expect(seeded('7').filter((a) => a.status !== undefined || a.drop).length).toBeGreaterThan(50);
  });

  it('rejects bad values', () => {
    expect(() => parseStandaloneArgs(['--port', '70000'], {})).toThrow(/--port/);
    expect(() => parseStandaloneArgs(['--fault-rate', '2'], {})).toThrow(/--fault-rate/);
    expect(() => parseStandaloneArgs(['--fail', 'a/b=Sleepy'], {})).toThrow(/--fail/);
    expect(() => parseStandaloneArgs(['--nope'], {})).toThrow(/nope/);
  });
});
