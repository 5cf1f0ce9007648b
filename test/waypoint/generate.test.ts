/**
 * Waypoints as Istio 1.30.3's `istioctl waypoint` generates and reports them
 * (istioctl/pkg/waypoint/waypoint.go and waypoint_test.go with its testdata/waypoint/*): the
 * Gateway object, the list and status tables, and the flags' refusals. No cluster.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { K8sObject } from '../../src/manifest/objects.js';
import {
  isWaypoint, statusConditions, tabwrite, waypointGateway, waypointListTable, waypointStatusTable,
} from '../../src/render/waypoint.js';
import { run } from '../helpers.js';

/** A Gateway as upstream's test builds one (makeGateway, makeGatewayWithRevision, makeGatewayWithTrafficType). */
function gateway(name: string, namespace: string, programmed: boolean, waypoint: boolean, labels?: Record<string, string>): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { gatewayClassName: waypoint ? 'istio-waypoint' : 'other' },
    status: { conditions: [{ type: 'Programmed', status: programmed ? 'True' : 'False' }] },
  };
}

/** The default waypoint as `istioctl waypoint generate -n default` prints it (sigs.k8s.io/yaml: keys sorted, creationTimestamp and status stripped). */
const GENERATED_DEFAULT = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
  namespace: default
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
`;

describe('waypoint generate', () => {
  it('prints the Gateway istioctl generates: class istio-waypoint, listener mesh on 15008 HBONE, no labels without --for and -r', async () => {
    expect(await run(['waypoint', 'generate', '-n', 'default'])).toStrictEqual({ code: 0, stdout: GENERATED_DEFAULT, stderr: '' });
  });

  it('leaves the namespace out without -n (upstream generates for no namespace), and takes --name', async () => {
    const r = await run(['waypoint', 'generate', '--name', 'reviews-wp']);
    expect(r.code, r.stderr).toBe(0);
    const gw = parse(r.stdout);
    expect(gw.metadata).toStrictEqual({ name: 'reviews-wp' });
    expect(gw.spec.listeners).toStrictEqual([{ name: 'mesh', port: 15008, protocol: 'HBONE' }]);
  });

  it('labels istio.io/waypoint-for with --for and istio.io/rev with -r, in sorted key order', async () => {
    const r = await run(['waypoint', 'generate', '-n', 'shop', '--for', 'workload', '-r', 'canary']);
    expect(r.stdout).toBe(GENERATED_DEFAULT
      .replace('metadata:\n', 'metadata:\n  labels:\n    istio.io/rev: canary\n    istio.io/waypoint-for: workload\n')
      .replace('namespace: default', 'namespace: shop'));
  });

  it.each(['service', 'workload', 'all', 'none'] as const)('accepts --for %s', (t) => {
    expect(waypointGateway({ name: 'waypoint', trafficType: t }).metadata.labels).toStrictEqual({ 'istio.io/waypoint-for': t });
  });

  it('takes an empty --name as the default name, and refuses the reserved name none', async () => {
    expect(waypointGateway({ name: '' }).metadata.name).toBe('waypoint');
    expect(() => waypointGateway({ name: 'none' })).toThrow('\'none\' is a reserved value');
    expect(parse((await run(['waypoint', 'generate', '--name', ''])).stdout).metadata.name).toBe('waypoint');
  });

  it('is a waypoint by its class only', () => {
    expect(isWaypoint(waypointGateway({ name: 'x' }))).toBe(true);
    expect(isWaypoint(gateway('waypoint', 'default', true, false))).toBe(false);
  });
});

describe('the flags refuse bad values (exit 64, one line)', () => {
  it.each([
    [['waypoint', 'generate', '--name', 'none'], 'Error: invalid name provided for waypoint, \'none\' is a reserved value\n'],
    [['waypoint', 'generate', '--name', 'Bad_Name'], 'Error: invalid --name "Bad_Name": must be a DNS-1123 label'],
    [['waypoint', 'generate', '--for', 'pods'], 'argument \'pods\' is invalid. Allowed choices are all, none, service, workload.'],
    [['waypoint', 'generate', '-r', 'a b'], 'Error: invalid --revision "a b": must be a valid label value\n'],
    [['waypoint', 'generate', 'extra'], 'Error: waypoint generate takes no arguments, got: extra\n'],
    [['waypoint', 'apply', '--waypoint-timeout', 'soon'], 'Error: invalid --waypoint-timeout "soon"'],
    [['waypoint', 'apply', '--wait=maybe'], 'Error: invalid argument "maybe" for --wait: use true or false\n'],
    [['waypoint', 'list', '-A', '-n', 'default'], 'Error: -n/--namespace and -A/--all-namespaces cannot be used together\n'],
    [['waypoint', 'status', '-A', '-n', 'default'], 'Error: -n/--namespace and -A/--all-namespaces cannot be used together\n'],
    [['waypoint', 'delete'], 'Error: must specify a waypoint name or delete all using --all or delete specific revision using --revision\n'],
    [['waypoint', 'delete', 'a', '--all'], 'Error: cannot specify waypoint names when deleting all waypoints\n'],
    [['waypoint', 'delete', 'a', '-r', 'canary'], 'Error: cannot specify waypoint names when deleting all waypoints\n'],
  ])('%j', async (argv, message) => {
    // No kubeconfig at all: a refusal of the flags must come before any connection attempt.
    const r = await run(argv, { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('waypoint list table (upstream testdata/waypoint)', () => {
  it('default-gateway: the namespace\'s waypoints, REVISION default and TRAFFIC TYPE none without labels', () => {
    expect(waypointListTable([gateway('waypoint', 'default', true, true)], false)).toBe(
      'NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\n'
      + 'waypoint     default      none             True\n');
  });

  it('all-gateway: NAMESPACE first with -A', () => {
    expect(waypointListTable([gateway('waypoint', 'default', true, true), gateway('waypoint', 'fake', true, true)], true)).toBe(
      'NAMESPACE     NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\n'
      + 'default       waypoint     default      none             True\n'
      + 'fake          waypoint     default      none             True\n');
  });

  it('combined-gateway: only class istio-waypoint, sorted by namespace then name, labels shown', async () => {
    const { sortedWaypoints } = await import('../../src/render/waypoint.js');
    const gws = [
      gateway('bookinfo', 'default', false, true),
      gateway('bookinfo-invalid', 'fake', true, false),
      gateway('waypoint', 'default', false, true),
      gateway('bookinfo-valid', 'bookinfo', true, true),
      gateway('no-name-convention', 'default', true, true),
      gateway('bookinfo-rev', 'bookinfo', true, true, { 'istio.io/rev': 'rev1' }),
      gateway('bookinfo-traffic-type', 'bookinfo', true, true, { 'istio.io/waypoint-for': 'all' }),
    ];
    expect(waypointListTable(sortedWaypoints(gws), true)).toBe(
      'NAMESPACE     NAME                      REVISION     TRAFFIC TYPE     PROGRAMMED\n'
      + 'bookinfo      bookinfo-rev              rev1         none             True\n'
      + 'bookinfo      bookinfo-traffic-type     default      all              True\n'
      + 'bookinfo      bookinfo-valid            default      none             True\n'
      + 'default       bookinfo                  default      none             False\n'
      + 'default       no-name-convention        default      none             True\n'
      + 'default       waypoint                  default      none             False\n');
  });

  it('PROGRAMMED is False for a Gateway without a Programmed condition', () => {
    const gw = { ...gateway('waypoint', 'default', true, true), status: {} };
    expect(waypointListTable([gw], false)).toContain('waypoint     default      none             False\n');
  });
});

describe('waypoint status table (upstream testdata/waypoint)', () => {
  it('waypoint-status-ready and -notready: the Programmed condition, empty reason and message', () => {
    expect(waypointStatusTable([gateway('waypoint', 'default', true, true)], false)).toBe(
      'NAME         STATUS     TYPE           REASON     MESSAGE\n'
      + 'waypoint     True       Programmed                \n');
    expect(waypointStatusTable([gateway('waypoint', 'default', false, true)], false)).toBe(
      'NAME         STATUS     TYPE           REASON     MESSAGE\n'
      + 'waypoint     False      Programmed                \n');
  });

  it('waypoint-status-all: NAMESPACE first with -A', () => {
    const gws = ['fake1', 'fake2', 'fake3'].map((ns) => gateway('waypoint', ns, true, true));
    expect(waypointStatusTable(gws, true)).toBe(
      'NAMESPACE     NAME         STATUS     TYPE           REASON     MESSAGE\n'
      + 'fake1         waypoint     True       Programmed                \n'
      + 'fake2         waypoint     True       Programmed                \n'
      + 'fake3         waypoint     True       Programmed                \n');
  });

  it('shows why a waypoint is not programmed: the Accepted condition first when it is False, with reasons and messages', () => {
    const gw: K8sObject = {
      ...gateway('waypoint', 'default', false, true),
      status: {
        conditions: [
          { type: 'Accepted', status: 'False', reason: 'InvalidParameters', message: 'parametersRef not found' },
          { type: 'Programmed', status: 'False', reason: 'Invalid', message: 'Gateway not accepted' },
        ],
      },
    };
    expect(statusConditions(gw).map((c) => `${c.type}=${c.status}/${c.reason}`)).toStrictEqual(['Accepted=False/InvalidParameters', 'Programmed=False/Invalid']);
    expect(waypointStatusTable([gw], false)).toBe(
      'NAME         STATUS     TYPE           REASON                MESSAGE\n'
      + 'waypoint     False      Accepted       InvalidParameters     parametersRef not found\n'
      + 'waypoint     False      Programmed     Invalid               Gateway not accepted\n');
  });

  it('shows Accepted only when it is False: not while both conditions are Pending (the CRD\'s default status)', () => {
    const pending = (type: string) => ({ type, status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' });
    const gw = { ...gateway('w', 'd', true, true), status: { conditions: [pending('Accepted'), pending('Programmed')] } };
    expect(statusConditions(gw)).toStrictEqual([pending('Programmed')]);
  });

  it('a Gateway with no conditions at all is Unknown', () => {
    expect(statusConditions({ ...gateway('w', 'd', true, true), status: {} })).toStrictEqual([{ type: 'Programmed', status: 'Unknown', reason: '', message: '' }]);
  });

  it('lays out cells as Go\'s tabwriter with padding 5: the last cell unpadded', () => {
    expect(tabwrite([['A', 'BB', 'C'], ['CCC', '', '']])).toBe('A       BB     C\nCCC            \n');
  });
});
