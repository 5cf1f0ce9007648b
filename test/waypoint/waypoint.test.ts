/**
 * `meshctl waypoint` against the real test control plane (test/control-plane/), with the Gateway API
 * CRDs of the version Istio 1.30.3 pins (sigs.k8s.io/gateway-api v1.5.1, from the Go module) installed
 * by kubectl, and kubectl as the second client. istiod does not run here, so nothing programs a
 * waypoint: the Gateway keeps the CRD's default conditions (Pending, "Waiting for controller") until
 * a test writes a Programmed condition through the status subresource, as istiod would. One control
 * plane for the file; the steps run in order and share its state.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { connect } from '../../src/kube/connect.js';
import { waypointsAppliedByMeshctl } from '../../src/kube/waypoints.js';
import { run, type RunResult } from '../helpers.js';
import { gatewayApiSkipReason, installGatewayApi } from './gateway-api.js';

let cp: ControlPlane;
let env: Record<string, string>;
const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });
const kubectl = (args: string[], input?: string) => execa(kubectlPath(), args, { env: { KUBECONFIG: cp.kubeconfigPath }, reject: false, ...(input !== undefined ? { input } : {}) });

async function ok(args: string[], input?: string): Promise<void> {
  const k = await kubectl(args, input);
  expect(k.exitCode, k.stderr).toBe(0);
}

/** The Gateways kubectl sees in `namespace`, by name. */
async function gateways(namespace: string): Promise<Map<string, any>> {
  const k = await kubectl(['get', 'gateways.gateway.networking.k8s.io', '-n', namespace, '-o', 'json', '--show-managed-fields']);
  expect(k.exitCode, k.stderr).toBe(0);
  return new Map(JSON.parse(k.stdout).items.map((g: any) => [g.metadata.name, g]));
}

async function namespaceLabels(name: string): Promise<Record<string, string>> {
  const k = await kubectl(['get', 'namespace', name, '-o', 'json']);
  expect(k.exitCode, k.stderr).toBe(0);
  return JSON.parse(k.stdout).metadata.labels ?? {};
}

/** Writes the Gateway's status as istiod does once it has deployed the waypoint (status subresource, merge patch). */
async function markProgrammed(namespace: string, name: string, programmed: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: now, observedGeneration: 1 });
  const r = await cp.rest.request(`/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways/${name}/status`, {
    method: 'PATCH',
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        conditions: programmed
          ? [condition('Accepted', 'True', 'Accepted', 'Resource accepted'), condition('Programmed', 'True', 'Programmed', 'Resource programmed, assigned to service(s) waypoint.default.svc.cluster.local:15008')]
          : [condition('Accepted', 'False', 'InvalidParameters', 'Unsupported parametersRef'), condition('Programmed', 'False', 'Invalid', 'Resource not accepted')],
      },
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

const A_GATEWAY = (name: string, namespace: string, cls: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  gatewayClassName: ${cls}
  listeners:
  - name: http
    port: 80
    protocol: HTTP
`;

beforeAll(async () => {
  cp = await startControlPlane({ readyDelayMs: 0 });
  env = { KUBECONFIG: cp.kubeconfigPath };
});
afterAll(async () => cp?.close());

describe('without the Gateway API CRDs', () => {
  it.each([
    [['waypoint', 'apply']],
    [['waypoint', 'list', '-A']],
    [['waypoint', 'status', '--wait=false']],
    [['waypoint', 'delete', '--all']],
  ])('%j fails with one line naming the missing CRD and how to install it (exit 1)', async (argv) => {
    const r = await meshctl(...argv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: the Gateway API CRDs are not installed: the cluster does not serve gateways.gateway.networking.k8s.io '
      + '(gateway.networking.k8s.io/v1), which waypoints are made of; install them with: '
      + 'kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml\n');
  });

  it('generate needs no cluster at all', async () => {
    const r = await meshctl('waypoint', 'generate');
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout).spec.gatewayClassName).toBe('istio-waypoint');
  });
});

const title = (name: string): string => (gatewayApiSkipReason ? `${name} [skipped: ${gatewayApiSkipReason}]` : name);

describe.skipIf(gatewayApiSkipReason !== undefined)(title('with the Gateway API CRDs v1.5.1'), () => {
  beforeAll(async () => {
    await installGatewayApi(kubectlPath(), cp.kubeconfigPath);
    for (const ns of ['shop', 'rev']) await ok(['create', 'namespace', ns]);
  });

  it('generates a Gateway the API server accepts against the v1.5.1 schema (kubectl apply --dry-run=server)', async () => {
    const g = await meshctl('waypoint', 'generate', '-n', 'default', '--for', 'service', '-r', 'canary');
    expect(g.code, g.stderr).toBe(0);
    const k = await kubectl(['apply', '--dry-run=server', '-f', '-'], g.stdout);
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stdout).toBe('gateway.gateway.networking.k8s.io/waypoint created (server dry run)');
    expect((await gateways('default')).size).toBe(0);
  });

  it('finds no waypoints in a cluster that has none', async () => {
    expect(await meshctl('waypoint', 'list')).toStrictEqual({ code: 0, stdout: '', stderr: 'No waypoints found.\n' });
    expect(await meshctl('waypoint', 'status')).toStrictEqual({ code: 0, stdout: '', stderr: 'No waypoints found.\n' });
  });

  it('applies the waypoint in the context\'s namespace by server-side apply (field manager meshctl)', async () => {
    const r = await meshctl('waypoint', 'apply');
    expect(r).toStrictEqual({ code: 0, stdout: '', stderr: '✅ waypoint default/waypoint applied\n' });
    const gw = (await gateways('default')).get('waypoint');
    expect(gw.spec.gatewayClassName).toBe('istio-waypoint');
    expect(gw.spec.listeners).toStrictEqual([{ name: 'mesh', port: 15008, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'Same' } } }]);
    expect(gw.metadata.labels).toBeUndefined();
    expect(gw.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toContain('meshctl/Apply');
    // The CRD's default status: nothing has programmed it.
    expect(gw.status.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)).toStrictEqual(['Accepted=Unknown/Pending', 'Programmed=Unknown/Pending']);
    // Again: the same object, no error.
    expect((await meshctl('waypoint', 'apply')).code).toBe(0);
  });

  it('reports the waypoint as not programmed: list, status --wait=false, and status and apply --wait time out (exit 1)', async () => {
    expect(await meshctl('waypoint', 'list')).toStrictEqual({
      code: 0,
      stdout: 'NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\nwaypoint     default      none             Unknown\n',
      stderr: '',
    });
    const status = 'NAME         STATUS      TYPE           REASON      MESSAGE\nwaypoint     Unknown     Programmed     Pending     Waiting for controller\n';
    expect(await meshctl('waypoint', 'status', '--wait=false')).toStrictEqual({ code: 0, stdout: status, stderr: '' });

    const waited = await meshctl('waypoint', 'status', '--waypoint-timeout', '1s');
    expect(waited.code).toBe(1);
    expect(waited.stdout).toBe(status);
    expect(waited.stderr).toBe('Error: timed out after 1s waiting for waypoint default/waypoint to be programmed (see the table; --wait=false shows the status without waiting)\n');

    const applied = await meshctl('waypoint', 'apply', '--wait', '--waypoint-timeout', '1s');
    expect(applied.code).toBe(1);
    expect(applied.stderr).toBe('✅ waypoint default/waypoint applied\n'
      + 'Error: timed out after 1s waiting for waypoint default/waypoint to be programmed: Programmed is Unknown (Pending: Waiting for controller); '
      + 'istiod programs waypoints only with ambient mode enabled (PILOT_ENABLE_AMBIENT=true, as the ambient profile sets)\n');
  });

  it('shows the conditions istiod writes: why it is not accepted, then programmed', async () => {
    await markProgrammed('default', 'waypoint', false);
    expect((await meshctl('waypoint', 'status', '--wait=false')).stdout).toBe(
      'NAME         STATUS     TYPE           REASON                MESSAGE\n'
      + 'waypoint     False      Accepted       InvalidParameters     Unsupported parametersRef\n'
      + 'waypoint     False      Programmed     Invalid               Resource not accepted\n');
    await markProgrammed('default', 'waypoint', true);
    expect(await meshctl('waypoint', 'status')).toStrictEqual({
      code: 0,
      stdout: 'NAME         STATUS     TYPE           REASON         MESSAGE\n'
        + 'waypoint     True       Programmed     Programmed     Resource programmed, assigned to service(s) waypoint.default.svc.cluster.local:15008\n',
      stderr: '',
    });
    expect((await meshctl('waypoint', 'list')).stdout).toBe('NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\nwaypoint     default      none             True\n');
    const applied = await meshctl('waypoint', 'apply', '--wait');
    expect(applied).toStrictEqual({ code: 0, stdout: '', stderr: '✅ waypoint default/waypoint applied\n✅ waypoint default/waypoint is ready!\n' });
  });

  it('applies with --for, -r and --enroll-namespace: labels on the Gateway, the namespace enrolled, a warning when it is not ambient', async () => {
    const r = await meshctl('waypoint', 'apply', '-n', 'shop', '--name', 'shop-wp', '--for', 'workload', '-r', 'canary', '--enroll-namespace');
    expect(r).toStrictEqual({
      code: 0,
      stdout: '',
      stderr: '⚠️ Warning: namespace is not enrolled in ambient. Consider running\t`kubectl label namespace shop istio.io/dataplane-mode=ambient`\n'
        + '✅ waypoint shop/shop-wp applied\n'
        + '✅ namespace shop labeled with "istio.io/use-waypoint: shop-wp"\n',
    });
    expect((await gateways('shop')).get('shop-wp').metadata.labels).toStrictEqual({ 'istio.io/waypoint-for': 'workload', 'istio.io/rev': 'canary' });
    expect(await namespaceLabels('shop')).toMatchObject({ 'istio.io/use-waypoint': 'shop-wp' });
    // Enrolled with this very waypoint: applying it again is no conflict.
    await ok(['label', 'namespace', 'shop', 'istio.io/dataplane-mode=ambient']);
    expect(await meshctl('waypoint', 'apply', '-n', 'shop', '--name', 'shop-wp', '--for', 'workload', '-r', 'canary', '--enroll-namespace')).toStrictEqual({
      code: 0, stdout: '', stderr: '✅ waypoint shop/shop-wp applied\n✅ namespace shop labeled with "istio.io/use-waypoint: shop-wp"\n',
    });
  });

  it('leaves a namespace enrolled with another waypoint alone without --overwrite, and moves it with --overwrite', async () => {
    const refused = await meshctl('waypoint', 'apply', '-n', 'shop', '--name', 'other', '--enroll-namespace');
    expect(refused).toStrictEqual({
      code: 0,
      stdout: '',
      stderr: '⚠️ Warning: namespace (shop) already has an enrolled Waypoint ("shop-wp"); nothing was applied. Consider adding the `--overwrite` flag to your apply command.\n',
    });
    expect((await gateways('shop')).has('other')).toBe(false);
    expect((await namespaceLabels('shop'))['istio.io/use-waypoint']).toBe('shop-wp');

    const moved = await meshctl('waypoint', 'apply', '-n', 'shop', '--name', 'other', '--enroll-namespace', '--overwrite');
    expect(moved).toStrictEqual({ code: 0, stdout: '', stderr: '✅ waypoint shop/other applied\n✅ namespace shop labeled with "istio.io/use-waypoint: other"\n' });
    expect((await namespaceLabels('shop'))['istio.io/use-waypoint']).toBe('other');
  });

  it('refuses to turn a Gateway of another class into a waypoint, and a namespace that does not exist (exit 1)', async () => {
    await ok(['apply', '-f', '-'], A_GATEWAY('ingress', 'shop', 'istio'));
    const r = await meshctl('waypoint', 'apply', '-n', 'shop', '--name', 'ingress');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: Gateway shop/ingress already exists and is not a waypoint (gatewayClassName "istio", not "istio-waypoint"); choose another --name\n');
    expect((await gateways('shop')).get('ingress').spec.gatewayClassName).toBe('istio');

    const missing = await meshctl('waypoint', 'apply', '-n', 'nope');
    expect(missing).toStrictEqual({ code: 1, stdout: '', stderr: 'Error: namespace "nope" not found\n' });
  });

  it('lists the waypoints of every namespace with -A, and never other Gateways', async () => {
    await ok(['apply', '-f', '-'], A_GATEWAY('waypoint', 'rev', 'other-class'));
    expect(await meshctl('waypoint', 'list', '-A')).toStrictEqual({
      code: 0,
      stdout: 'NAMESPACE     NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\n'
        + 'default       waypoint     default      none             True\n'
        + 'shop          other        default      none             Unknown\n'
        + 'shop          shop-wp      canary       workload         Unknown\n',
      stderr: '',
    });
    expect((await meshctl('waypoint', 'list', '-n', 'rev')).stderr).toBe('No waypoints found.\n');
    expect((await meshctl('waypoint', 'status', '-n', 'shop', '--name', 'shop-wp', '--wait=false')).stdout).toBe(
      'NAME        STATUS      TYPE           REASON      MESSAGE\nshop-wp     Unknown     Programmed     Pending     Waiting for controller\n');
    expect(await meshctl('waypoint', 'status', '-n', 'shop', '--name', 'nope', '--wait=false')).toStrictEqual({ code: 1, stdout: '', stderr: 'Error: waypoint shop/nope not found\n' });
  });

  it('deletes by revision only the waypoints labelled with it (istio#54056: the other-class Gateway of the same name survives)', async () => {
    expect((await meshctl('waypoint', 'apply', '-n', 'rev', '--name', 'a', '-r', 'canary')).code).toBe(0);
    expect((await meshctl('waypoint', 'apply', '-n', 'rev', '--name', 'b', '-r', 'stable')).code).toBe(0);
    expect((await meshctl('waypoint', 'apply', '-n', 'rev', '--name', 'c')).code).toBe(0);
    const r = await meshctl('waypoint', 'delete', '-n', 'rev', '-r', 'canary');
    expect(r).toStrictEqual({ code: 0, stdout: '', stderr: 'waypoint rev/a deleted\n' });
    expect([...(await gateways('rev')).keys()].sort()).toStrictEqual(['b', 'c', 'waypoint']);
    expect((await meshctl('waypoint', 'delete', '-n', 'rev', '-r', 'canary')).stderr).toBe('No waypoints of revision "canary" found in namespace rev.\n');
  });

  it('deletes named waypoints, says which are not found, and keeps a named Gateway of another class', async () => {
    const r = await meshctl('waypoint', 'delete', '-n', 'rev', 'b', 'missing', 'waypoint');
    expect(r).toStrictEqual({
      code: 0,
      stdout: '',
      stderr: 'waypoint rev/b deleted\nwaypoint rev/missing not found\nGateway rev/waypoint is not a waypoint (gatewayClassName "other-class"): not deleted\n',
    });
    expect([...(await gateways('rev')).keys()].sort()).toStrictEqual(['c', 'waypoint']);
  });

  it('delete --all removes every waypoint of the namespace and nothing else, and warns that the namespace still names one', async () => {
    const r = await meshctl('waypoint', 'delete', '--all', '-n', 'shop');
    expect(r).toStrictEqual({
      code: 0,
      stdout: '',
      stderr: 'waypoint shop/other deleted\nwaypoint shop/shop-wp deleted\n'
        + '⚠️ Warning: namespace shop is still labeled istio.io/use-waypoint=other, a waypoint that no longer exists; '
        + 'to stop using it: kubectl label namespace shop istio.io/use-waypoint-\n',
    });
    expect([...(await gateways('shop')).keys()]).toStrictEqual(['ingress']);
    // As istioctl, the namespace keeps its label.
    expect((await namespaceLabels('shop'))['istio.io/use-waypoint']).toBe('other');

    expect(await meshctl('waypoint', 'delete', '--all', '-n', 'rev')).toStrictEqual({ code: 0, stdout: '', stderr: 'waypoint rev/c deleted\n' });
    expect([...(await gateways('rev')).keys()]).toStrictEqual(['waypoint']);
    expect(await meshctl('waypoint', 'delete', 'waypoint')).toStrictEqual({ code: 0, stdout: '', stderr: 'waypoint default/waypoint deleted\n' });
    expect((await meshctl('waypoint', 'list', '-A')).stderr).toBe('No waypoints found.\n');
    expect(await meshctl('waypoint', 'delete', '--all', '-n', 'nope')).toStrictEqual({ code: 1, stdout: '', stderr: 'Error: namespace "nope" not found\n' });
  });

  it('tells the waypoints meshctl applied from those applied with kubectl (for uninstall --purge)', async () => {
    expect((await meshctl('waypoint', 'apply', '--name', 'by-meshctl')).code).toBe(0);
    await ok(['apply', '-f', '-'], (await meshctl('waypoint', 'generate', '-n', 'default', '--name', 'by-kubectl')).stdout);
    const client = await connect({ env, requestTimeoutMs: 30_000 });
    expect((await waypointsAppliedByMeshctl(client)).map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toStrictEqual(['default/by-meshctl']);
    expect((await meshctl('waypoint', 'delete', 'by-meshctl', 'by-kubectl')).code).toBe(0);
    expect(await waypointsAppliedByMeshctl(client)).toStrictEqual([]);
  });
});
