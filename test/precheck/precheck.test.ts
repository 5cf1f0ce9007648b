/**
 * `meshctl x precheck` against a real control plane (test/control-plane/). Permissions are the
 * API server's RBAC answers to meshctl's SelfSubjectAccessReviews: the admin may do everything,
 * user `restricted` nothing until a test binds roles to it. The Kubernetes version is what the
 * fault proxy answers on /version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { REQUIRED_PERMISSIONS } from '../../src/kube/precheck.js';
import { run, type RunResult } from '../helpers.js';
import { waitFor } from '../control-plane/wait.js';

const SAFE = '✔ No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/.\n';
const ISSUES = 'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee https://istio.io/v1.30/docs/reference/config/analysis/ for more information about causes and resolutions.\n';

/** The resources of the IST0141 lines in precheck's log output, in order. */
function deniedResources(stdout: string): string[] {
  return [...stdout.matchAll(/^Error \[IST0141\] \(Cluster\) Missing required permission to create resource (\S+) \(.+\)$/gm)].map((m) => m[1]!);
}

describe('x precheck', () => {
  let cp: ControlPlane;
  const admin = (...argv: string[]): Promise<RunResult> => run(['x', 'precheck', ...argv], { env: { KUBECONFIG: cp.kubeconfigPath } });
  const restricted = (...argv: string[]): Promise<RunResult> => run(['x', 'precheck', ...argv], { env: { KUBECONFIG: cp.restrictedKubeconfigPath } });

  beforeAll(async () => {
    cp = await startControlPlane({ readyDelayMs: 0 });
  });
  afterAll(async () => cp?.close());

  it('finds nothing on a fresh, supported cluster for an admin', async () => {
    cp.resetRequests();
    const r = await admin();
    expect(r).toEqual({ code: 0, stdout: '', stderr: SAFE });
    // Every permission was asked of the API server with a SelfSubjectAccessReview, and granted.
    const reviews = cp.requests.filter((q) => q.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(reviews).toHaveLength(REQUIRED_PERMISSIONS.length);
    expect(reviews.every((q) => q.method === 'POST' && q.status === 201)).toBe(true);
    // The same under the `experimental` and `exp` aliases.
    expect((await run(['experimental', 'precheck'], { env: { KUBECONFIG: cp.kubeconfigPath } })).code).toBe(0);
    expect((await run(['exp', 'precheck'], { env: { KUBECONFIG: cp.kubeconfigPath } })).code).toBe(0);
  });

  it('reports a Kubernetes version below 1.32 as IST0142', async () => {
    cp.setVersion({ major: '1', minor: '29', gitVersion: 'v1.29.4' });
    try {
      const r = await admin();
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('Error [IST0142] (Cluster) The Kubernetes Version "v1.29.4" is lower than the minimum version: 1.32\n');
      expect(r.stderr).toBe(ISSUES);
      // A provider's minor version with a trailing "+" is read as its number.
      cp.setVersion({ major: '1', minor: '31+', gitVersion: 'v1.31.2-eks-7f9249a' });
      expect((await admin()).stdout).toBe('Error [IST0142] (Cluster) The Kubernetes Version "v1.31.2-eks-7f9249a" is lower than the minimum version: 1.32\n');
      cp.setVersion({ major: '1', minor: '32+', gitVersion: 'v1.32.0-eks-1' });
      expect(await admin()).toEqual({ code: 0, stdout: '', stderr: SAFE });
    } finally {
      cp.setVersion(undefined);
    }
  });

  it('reports every create permission a user without RBAC rights lacks as IST0141, and the checks it could not run', async () => {
    const r = await restricted();
    expect(r.code).toBe(1);
    expect(deniedResources(r.stdout)).toEqual(REQUIRED_PERMISSIONS.map((p) => p.resource).sort());
    // Listing CRDs and ConfigMaps is forbidden too: those checks say so instead of ending precheck.
    const warnings = r.stdout.split('\n').filter((l) => l.startsWith('Warning'));
    expect(warnings).toEqual([
      expect.stringMatching(/^Warning \[MSH0103\] \(Cluster\) Could not check for an existing installation: list ConfigMap: .*User "restricted" cannot list resource "configmaps"/),
      expect.stringMatching(/^Warning \[MSH0103\] \(Cluster\) Could not check the Gateway API CRD versions \(IST0156\): list CustomResourceDefinition: .*User "restricted" cannot list resource "customresourcedefinitions" in API group "apiextensions.k8s.io"/),
    ]);
    expect(r.stderr).toBe(ISSUES);
  });

  it('asks for each permission with the group, resource and namespace RBAC grants it by: one missing grant is one IST0141, in every output format', async () => {
    // Cluster-wide grants, and the namespaced ones only in the install namespace, as a namespace
    // admin of istio-system would have them; create on CRDs is left out.
    const clusterWide = REQUIRED_PERMISSIONS.filter((p) => !p.namespaced && p.resource !== 'customresourcedefinitions');
    const namespaced = REQUIRED_PERMISSIONS.filter((p) => p.namespaced);
    const rules = (perms: typeof REQUIRED_PERMISSIONS) => perms.map((p) => ({ apiGroups: [p.group], resources: [p.resource], verbs: ['create'] }));
    const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'restricted' }];
    const rbac = 'rbac.authorization.k8s.io/v1';
    await cp.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    const objects = [
      { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'precheck-installer' }, rules: [
        ...rules(clusterWide),
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list'] },
      ] },
      { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: 'precheck-installer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'precheck-installer' }, subjects },
      { apiVersion: rbac, kind: 'Role', metadata: { name: 'precheck-installer', namespace: 'istio-system' }, rules: rules(namespaced) },
      { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'precheck-installer', namespace: 'istio-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'precheck-installer' }, subjects },
    ];
    for (const o of objects) await cp.store.create(o);
    try {
      // RBAC answers from its informers' caches: wait until they hold the new bindings.
      let log!: RunResult;
      await waitFor('the RBAC grants to take effect', async () => {
        log = await restricted();
        return deniedResources(log.stdout).length === 1;
      });
      expect(log.code).toBe(1);
      expect(log.stdout).toMatch(/^Error \[IST0141\] \(Cluster\) Missing required permission to create resource customresourcedefinitions \(.+\)\n$/);
      expect(log.stderr).toBe(ISSUES);

      const json = await restricted('-o', 'json');
      expect(json.code).toBe(1);
      const records = JSON.parse(json.stdout);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ code: 'IST0141', level: 'Error', origin: 'Cluster', documentationUrl: 'https://istio.io/v1.30/docs/reference/config/analysis/ist0141/' });
      expect(Object.keys(records[0])).toEqual(['code', 'documentationUrl', 'level', 'message', 'origin']);
      const yaml = await restricted('-o', 'yaml');
      expect(parse(yaml.stdout)).toEqual(records);

      // Into another namespace the namespaced grants do not reach: each of them is missing there.
      const elsewhere = await restricted('-i', 'mesh-elsewhere');
      expect(deniedResources(elsewhere.stdout)).toEqual([...namespaced.map((p) => p.resource), 'customresourcedefinitions'].sort());
    } finally {
      for (const o of objects.reverse()) {
        await cp.store.remove({ group: 'rbac.authorization.k8s.io', kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
      }
    }
  });

  it('rejects a bad threshold or output format as a usage error', async () => {
    expect((await admin('--output-threshold', 'loud')).code).toBe(64);
    expect((await admin('-o', 'xml')).code).toBe(64);
  });

  it('reports an existing installation as Info, and an upgrade outside policy as a warning', async () => {
    const installed = await run(['install', '--set', 'profile=minimal', '-y', '--poll-interval', '100ms'], { env: { KUBECONFIG: cp.kubeconfigPath } });
    expect(installed.code, installed.stderr).toBe(0);

    // Info is below the default threshold (Warning), so the all-clear is printed.
    expect(await admin()).toEqual({ code: 0, stdout: '', stderr: SAFE });
    const info = await admin('--output-threshold', 'Info');
    expect(info.code).toBe(0);
    expect(info.stdout).toBe('Info [MSH0101] (Cluster) Istio 1.30.3 is installed (revision "default", namespace istio-system, profile "minimal"; found by its installed state); installing 1.30.3 again would reconfigure it in place\n');
    const canary = await admin('--output-threshold', 'Info', '-r', 'canary');
    expect(canary.stdout).toContain('installing revision "canary" would add a control plane beside it');

    // The record says 1.27.1: installing 1.30.3 over it skips two minor versions.
    await cp.store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meshctl-installed-state', namespace: 'istio-system' }, data: { istioVersion: '1.27.1' } });
    const old = await admin();
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/^Warning \[MSH0102\] \(Cluster\) Istio 1\.27\.1 is installed .*would skip 2 minor version\(s\)/);
    expect(old.stderr).toBe(ISSUES);
    // A threshold that hides the warning does not turn it into an all-clear.
    const hidden = await admin('--output-threshold', 'Error');
    expect(hidden).toEqual({ code: 1, stdout: '', stderr: `1 finding below --output-threshold Error not shown\n${ISSUES}` });
  });
});
