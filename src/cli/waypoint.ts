/** `meshctl waypoint generate|apply|list|status|delete`: waypoints of ambient mode, as istioctl 1.30.3 manages them. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { parseDuration } from './duration.js';
import type { AnyCommand } from './program.js';

// The cluster client loads only when a cluster sub-command runs.
const impl = () => import('./waypoint-impl.js');

/** `--for` values (upstream's validTrafficTypes, in its sorted order). */
const TRAFFIC_TYPES = ['all', 'none', 'service', 'workload'] as const;
/** How long `--wait` waits by default (istioctl's waitTimeout). */
const DEFAULT_WAYPOINT_TIMEOUT = '90s';
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Returns a Go-style boolean flag value (`--wait=false`), as cobra parses it. Throws UsageError naming the flag. */
function goBool(flag: string): (value: string) => boolean {
  return (value) => {
    if (/^(1|t|true)$/i.test(value)) return true;
    if (/^(0|f|false)$/i.test(value)) return false;
    throw new UsageError(`invalid argument "${value}" for ${flag}: use true or false`);
  };
}

/**
 * Returns the waypoint's name: `""` means `waypoint` (as upstream); `none` is reserved (it means
 * "no waypoint" in istio.io/use-waypoint). The name becomes the waypoint's Deployment and Service,
 * so it must be a DNS-1123 label. Throws UsageError.
 */
function waypointName(name: string): string {
  if (name === '') return 'waypoint';
  if (name === 'none') throw new UsageError('invalid name provided for waypoint, \'none\' is a reserved value');
  if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    throw new UsageError(`invalid --name "${name}": must be a DNS-1123 label (at most 63 lower case letters, digits and "-", starting and ending with a letter or digit)`);
  }
  return name;
}

/** Returns the `-r` value, checked as a label value (it becomes `istio.io/rev`). Throws UsageError. */
function revision(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 63 || !LABEL_VALUE.test(value)) throw new UsageError(`invalid --revision "${value}": must be a valid label value`);
  return value;
}

function noArguments(verb: string, args: readonly string[]): void {
  if (args.length) throw new UsageError(`waypoint ${verb} takes no arguments, got: ${args.join(' ')}`);
}

function namespaces(opts: { namespace?: string; allNamespaces?: boolean }): void {
  if (opts.namespace !== undefined && opts.allNamespaces) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
}

const NAME_HELP = 'name of the waypoint';
const NAMESPACE_HELP = 'namespace of the waypoint (default: the context\'s namespace)';
const forOption = () => new Option('--for <type>', 'traffic the waypoint takes (label istio.io/waypoint-for; default: not labelled, istiod then takes service)')
  .choices(TRAFFIC_TYPES);
const timeoutOption = (what: string) => new Option('--waypoint-timeout <duration>', `how long to wait for ${what}`).default(DEFAULT_WAYPOINT_TIMEOUT);

/** Adds `waypoint` and its sub-commands to the program. */
export function registerWaypoint(program: AnyCommand, deps: Deps): void {
  const waypoint = program.command('waypoint')
    .description('Manage waypoints: the Gateways (class istio-waypoint) that proxy L7 traffic in ambient mode')
    .addHelpText('after', `
A waypoint is a Gateway API Gateway of class istio-waypoint with one HBONE listener on port 15008;
istiod deploys a proxy for it. Namespaces, Services or workloads labelled istio.io/use-waypoint=<name>
send their traffic through it. The Gateway API CRDs must be installed.

Examples:
  meshctl waypoint apply -n shop --enroll-namespace --wait
  meshctl waypoint generate --for workload -n shop | kubectl apply -f -
  meshctl waypoint list -A
  meshctl waypoint delete --all -n shop`);

  waypoint.command('generate')
    .description('Print a waypoint\'s Gateway as YAML (stdout), for kubectl apply or GitOps; reads no cluster')
    .argument('[args...]')
    .usage('[options]')
    .option('--name <name>', NAME_HELP, 'waypoint')
    .option('-n, --namespace <namespace>', 'namespace of the waypoint (default: none in the output)')
    .addOption(forOption())
    .option('-r, --revision <revision>', 'control plane revision of the waypoint (label istio.io/rev)')
    .action(async (args, opts) => {
      noArguments('generate', args);
      await (await impl()).runWaypointGenerate(deps, {
        name: waypointName(opts.name),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.for !== undefined ? { trafficType: opts.for } : {}),
        ...optional('revision', revision(opts.revision)),
      });
    });

  waypoint.command('apply')
    .description('Apply a waypoint to the cluster (server-side apply), optionally enrolling its namespace')
    .argument('[args...]')
    .usage('[options]')
    .option('--name <name>', NAME_HELP, 'waypoint')
    .option('-n, --namespace <namespace>', NAMESPACE_HELP)
    .addOption(forOption())
    .option('-r, --revision <revision>', 'control plane revision of the waypoint (label istio.io/rev)')
    .option('--enroll-namespace', 'label the namespace istio.io/use-waypoint=<name> once the waypoint is applied (and ready, with --wait)')
    .option('--overwrite', 'with --enroll-namespace: enroll the namespace even when it already uses another waypoint')
    .addOption(new Option('-w, --wait [bool]', 'wait until the waypoint is programmed (Programmed=True)').argParser(goBool('--wait')).default(false))
    .addOption(timeoutOption('the waypoint to be programmed'))
    .addHelpText('after', `
Without istiod running in ambient mode nothing programs the waypoint: --wait then times out (exit 1).
A namespace that already uses another waypoint is not enrolled, nor the waypoint applied, without --overwrite.`)
    .action(async (args, opts, cmd) => {
      noArguments('apply', args);
      await (await impl()).runWaypointApply(deps, {
        name: waypointName(opts.name),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.for !== undefined ? { trafficType: opts.for } : {}),
        ...optional('revision', revision(opts.revision)),
        enrollNamespace: opts.enrollNamespace === true,
        overwrite: opts.overwrite === true,
        wait: opts.wait === true,
        timeoutMs: parseDuration('--waypoint-timeout', opts.waypointTimeout),
      }, cmd.optsWithGlobals());
    });

  waypoint.command('list')
    .description('List the waypoints: NAME, REVISION, TRAFFIC TYPE, PROGRAMMED (NAMESPACE first with -A)')
    .argument('[args...]')
    .usage('[options]')
    .option('--name <name>', `${NAME_HELP} (not used by list)`, 'waypoint')
    .option('-n, --namespace <namespace>', NAMESPACE_HELP)
    .option('-A, --all-namespaces', 'list the waypoints of every namespace')
    .action(async (args, opts, cmd) => {
      noArguments('list', args);
      namespaces(opts);
      await (await impl()).runWaypointList(deps, {
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        allNamespaces: opts.allNamespaces === true,
      }, cmd.optsWithGlobals());
    });

  waypoint.command('status')
    .description('Show the waypoints\' Programmed condition (and Accepted when it is False) with reason and message')
    .argument('[args...]')
    .usage('[options]')
    .option('--name <name>', `${NAME_HELP}: show only this one (default: every waypoint of the namespace)`)
    .option('-n, --namespace <namespace>', NAMESPACE_HELP)
    .option('-A, --all-namespaces', 'show the waypoints of every namespace')
    .addOption(new Option('-w, --wait [bool]', 'wait until every waypoint shown is programmed; --wait=false shows them at once').argParser(goBool('--wait')).default(true))
    .addOption(timeoutOption('the waypoints to be programmed'))
    .action(async (args, opts, cmd) => {
      noArguments('status', args);
      namespaces(opts);
      await (await impl()).runWaypointStatus(deps, {
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.name !== undefined ? { name: waypointName(opts.name) } : {}),
        allNamespaces: opts.allNamespaces === true,
        wait: opts.wait === true,
        timeoutMs: parseDuration('--waypoint-timeout', opts.waypointTimeout),
      }, cmd.optsWithGlobals());
    });

  waypoint.command('delete')
    .description('Delete waypoints by name, all of a namespace (--all) or all of a revision (-r); never a Gateway of another class')
    .argument('[names...]')
    .usage('<name...> | --all | -r REVISION [options]')
    .option('--name <name>', `${NAME_HELP} (not used by delete: name the waypoints as arguments)`, 'waypoint')
    .option('-n, --namespace <namespace>', NAMESPACE_HELP)
    .option('--all', 'delete every waypoint of the namespace')
    .option('-r, --revision <revision>', 'delete the waypoints of the namespace labelled with this revision (istio.io/rev)')
    .addHelpText('after', `
The namespace keeps its istio.io/use-waypoint label (as istioctl leaves it); a warning says so when
it names a deleted waypoint.`)
    .action(async (names, opts, cmd) => {
      const rev = revision(opts.revision);
      if ((opts.all || rev !== undefined) && names.length) throw new UsageError('cannot specify waypoint names when deleting all waypoints');
      if (!(opts.all || rev !== undefined) && names.length === 0) {
        throw new UsageError('must specify a waypoint name or delete all using --all or delete specific revision using --revision');
      }
      await (await impl()).runWaypointDelete(deps, {
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        selection: names.length ? { names } : { all: true, ...optional('revision', rev) },
      }, cmd.optsWithGlobals());
    });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
