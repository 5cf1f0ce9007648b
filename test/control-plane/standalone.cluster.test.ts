// `npm run test-cluster` end to end: the script builds (or finds) the binaries, bundles the launcher,
// starts the real control plane, prints its kubeconfig path, answers kubectl through it, and on
// SIGTERM stops every process it started and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { kubectlPath } from './control-plane.js';

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

/** Returns the ids of the live processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const r = execaSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { reject: false });
  return r.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
  } catch {
    return false;
  }
}

describe('npm run test-cluster', () => {
  it('prints KUBECONFIG=<path> once the API answers, serves kubectl, and leaves no process behind on SIGTERM', async () => {
    const out = join(dir, 'nested', 'kubeconfig');
    const child = execa('node', ['scripts/test-cluster.mjs', '--kubeconfig-out', out, '--ready-delay', '0'], { cwd: repoRoot, reject: false });
    const line = await lineStartingWith(child, 'KUBECONFIG=');
    expect(line).toBe(`KUBECONFIG=${out}`);

    const version = await execa(kubectlPath(), ['version', '-o', 'json'], { env: { KUBECONFIG: out } });
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe('v1.35.3');
    const nodes = await execa(kubectlPath(), ['get', 'nodes', '-o', 'jsonpath={.items[*].status.nodeInfo.kubeletVersion}'], { env: { KUBECONFIG: out } });
    expect(nodes.stdout).toBe('v1.35.3');

    // etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok run under the launcher.
    const launched = childrenOf(child.pid!);
    expect(launched.length).toBeGreaterThanOrEqual(5);

    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`KUBECONFIG=${out}`);
    expect(result.stderr).toContain(`export KUBECONFIG=${out}`);
    expect(launched.filter(alive)).toEqual([]);
    // The kubeconfig pointed at a server that is gone; it goes too.
    expect(existsSync(out)).toBe(false);
  });

  it('rejects a malformed flag with exit code 64 and the usage, starting nothing', async () => {
    const result = await execa('node', ['scripts/test-cluster.mjs', '--fail', 'istiod=Broken'], { cwd: repoRoot, reject: false });
    expect(result.exitCode).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--fail: expected NAMESPACE/NAME=ImagePullBackOff|ErrImagePull|CrashLoopBackOff, got "istiod=Broken"');
    expect(result.stderr).toContain('usage: npm run test-cluster');
  });
});
