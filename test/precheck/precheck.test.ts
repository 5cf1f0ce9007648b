/** `meshctl x precheck` against the Kubernetes API test server. */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../cluster/server.js';
import { run, type RunResult } from '../helpers.js';

const SAFE = '✔ No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/.\n';
const ISSUES = 'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v1.30/docs/reference/config/analysis/ for more information about causes and resolutions.\n';

describe('x precheck', () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });
  async function precheck(opts: TestClusterOptions, ...argv: string[]): Promise<RunResult> {
    c ??= await startTestCluster({ readyDelayMs: 0, ...opts });
    return run(['x', 'precheck', ...argv], { env: { KUBECONFIG: c.kubeconfigPath } });
  }

  it('finds nothing on a fresh, supported cluster', async () => {
    const r = await precheck({});
    expect(r).toEqual({ code: 0, stdout: '', stderr: SAFE });
    c!.resetRequests();
    // The same under the `experimental` and `exp` aliases.
    expect((await run(['experimental', 'precheck'], { env: { KUBECONFIG: c!.kubeconfigPath } })).code).toBe(0);
    expect((await run(['exp', 'precheck'], { env: { KUBECONFIG: c!.kubeconfigPath } })).code).toBe(0);
    // Permissions were asked with SelfSubjectAccessReviews.
    expect(c!.requests.filter((q) => q.path.endsWith('/selfsubjectaccessreviews')).length).toBeGreaterThanOrEqual(24);
  });

  it('reports a Kubernetes version below 1.32 as IST0142', async () => {
    const r = await precheck({ version: { major: '1', minor: '29', gitVersion: 'v1.29.4' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Error [IST0142] (Cluster) The Kubernetes Version "v1.29.4" is lower than the minimum version: 1.32\n');
    expect(r.stderr).toBe(ISSUES);
  });

  it('reports a missing create permission as IST0141, in every output format', async () => {
    const deny = ['create apiextensions.k8s.io/customresourcedefinitions'];
    const log = await precheck({ deny });
    expect(log.code).toBe(1);
    expect(log.stdout).toMatch(/^Error \[IST0141\] \(Cluster\) Missing required permission to create resource customresourcedefinitions \(.+\)\n$/);
    const json = await precheck({ deny }, '-o', 'json');
    expect(json.code).toBe(1);
    const [rec] = JSON.parse(json.stdout);
    expect(rec).toMatchObject({ code: 'IST0141', level: 'Error', origin: 'Cluster', documentationUrl: 'https://istio.io/v1.30/docs/reference/config/analysis/ist0141/' });
    expect(Object.keys(rec)).toEqual(['code', 'documentationUrl', 'level', 'message', 'origin']);
    const yaml = await precheck({ deny }, '-o', 'yaml');
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('rejects a bad threshold as a usage error', async () => {
    expect((await precheck({}, '--output-threshold', 'loud')).code).toBe(64);
    expect((await precheck({}, '-o', 'xml')).code).toBe(64);
  });

  it('reports an existing installation as Info, and an upgrade outside policy as a warning', async () => {
    c = await startTestCluster({ readyDelayMs: 0 });
    const env = { KUBECONFIG: c.kubeconfigPath };
    const installed = await run(['install', '--set', 'profile=minimal', '-y', '--poll-interval', '10ms'], { env });
    expect(installed.code, installed.stderr).toBe(0);

    // Info is below the default threshold (Warning), so the all-clear is printed.
    expect(await precheck({})).toEqual({ code: 0, stdout: '', stderr: SAFE });
    const info = await precheck({}, '--output-threshold', 'Info');
    expect(info.code).toBe(0);
    expect(info.stdout).toBe('Info [MSH0101] (Cluster) Istio 1.30.3 is installed (revision "default", namespace istio-system, profile "minimal"; found by its installed state); installing 1.30.3 again would reconfigure it in place\n');
    const canary = await precheck({}, '--output-threshold', 'Info', '-r', 'canary');
    expect(canary.stdout).toContain('installing revision "canary" would add a control plane beside it');

    // The record says 1.27.1: installing 1.30.3 over it skips two minor versions.
    const ref = { group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' };
    const state = c.store.get(ref)!;
    c.store.put({ ...state, data: { ...(state.data as object), istioVersion: '1.27.1' } });
    const old = await precheck({});
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/^Warning \[MSH0102\] \(Cluster\) Istio 1\.27\.1 is installed .*would skip 2 minor version\(s\)/);
    expect(old.stderr).toBe(ISSUES);
    // A threshold that hides the warning does not turn it into an all-clear.
    const hidden = await precheck({}, '--output-threshold', 'Error');
    expect(hidden).toEqual({ code: 1, stdout: '', stderr: `1 finding below --output-threshold Error not shown\n${ISSUES}` });
  }, 20_000);
});
