/** What `meshctl uninstall` does, loaded only when it runs. */
import type { Deps, OutStream } from '../deps.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { KubeClient } from '../kube/types.js';
import {
  componentTitle, executeUninstall, findProxies, findTerminatingNamespaces, itemName, planUninstall, revisionLabel, waitForDeletion,
  type DeletionResult, type ProxyUsage, type UninstallItem, type UninstallPlan, type UninstallTarget,
} from '../kube/uninstall.js';
import { formatDuration, parseDuration } from './duration.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { confirm } from './prompt.js';
import { configurationFrom, printWarnings } from './render-options.js';

/** Options of `uninstall`, from its flags. */
export interface UninstallOptions {
  revision?: string;
  filename?: string;
  set?: string[];
  force: boolean;
  purge: boolean;
  yes: boolean;
  dryRun: boolean;
  /** `--timeout`: longest wait for the deleted objects to be gone. */
  timeout: string;
  /** `--poll-interval` (hidden): longest interval between deletion checks. */
  pollInterval: string;
  istioNamespace: string;
}

/** istioctl prints at most this many proxies before asking (reference section 2.5). */
const MAX_PROXIES_LISTED = 30;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Returns the revision and namespace to uninstall. With `-f`/`--set` the configuration is
 * resolved as install would (so `-f` names the same revision and namespace it installed);
 * otherwise `-r` (`default` meaning '') and `-i`. Throws UsageError for an invalid revision.
 */
async function resolveTarget(deps: Deps, opts: UninstallOptions): Promise<UninstallTarget> {
  if (opts.purge) return { revision: '', namespace: opts.istioNamespace, purge: true };
  if (opts.filename !== undefined || (opts.set ?? []).length > 0) {
    const { config } = await configurationFrom(deps, {
      filename: opts.filename !== undefined ? [opts.filename] : [], set: opts.set, revision: opts.revision, force: opts.force,
    });
    printWarnings(deps, config.warnings);
    return { revision: config.revision, namespace: opts.filename !== undefined ? config.namespace : opts.istioNamespace, purge: false };
  }
  const rev = opts.revision === undefined || opts.revision === 'default' ? '' : opts.revision;
  if (rev && (!DNS1123_LABEL.test(rev) || rev.length > 63)) throw new UsageError(`invalid revision "${rev}": must be a DNS-1123 label (lower case letters, digits and "-")`);
  return { revision: rev, namespace: opts.istioNamespace, purge: false };
}

/**
 * Lists what will be deleted, warns about proxies that still use the revision, asks (unless -y
 * or --dry-run; refuses without a terminal), deletes in order, one line per object, waits until
 * the deleted objects are gone (up to `--timeout`), warns about namespaces of the installation
 * that are Terminating (with what holds them), and ends with `✔ Uninstall complete`. With
 * --dry-run the list goes to stdout (it is the result) and nothing is deleted. Throws when any
 * delete failed (after trying the rest), when deleted objects are still there at the timeout
 * (naming what holds each), or when interrupted; UsageError for a bad duration.
 */
export async function runUninstall(deps: Deps, opts: UninstallOptions, globals: KubeGlobals): Promise<void> {
  const timeoutMs = parseDuration('--timeout', opts.timeout);
  const pollIntervalMs = Math.max(1, parseDuration('--poll-interval', opts.pollInterval));
  if (opts.purge && (opts.revision !== undefined || opts.filename !== undefined)) {
    deps.stderr.write('Purge uninstall will remove all Istio resources, ignoring the specified revision or operator file\n');
  }
  const target = await resolveTarget(deps, opts);
  const client = await connectCluster(deps, globals);
  const plan = await planUninstall(client, target);
  if (plan.items.length === 0) {
    deps.stderr.write('No resources will be pruned from the cluster. Please double check the input configs\n');
    await printTerminatingNamespaces(deps.stderr, client, plan.namespaces);
    return;
  }
  const listing = opts.dryRun ? deps.stdout : deps.stderr;
  printPlan(listing, plan);
  const proxies = await findProxies(client, target.purge ? undefined : target.revision, target.namespace);
  printProxyWarning(deps.stderr, proxies, target);
  printTagWarning(deps.stderr, proxies, plan);
  printGatewayWarning(deps.stderr, plan);

  if (opts.dryRun) {
    deps.stderr.write(`Dry run: nothing was deleted (${plan.items.length} object${plan.items.length === 1 ? '' : 's'} would be).\n`);
    await printTerminatingNamespaces(deps.stderr, client, plan.namespaces);
    return;
  }
  if (!opts.yes) {
    const question = target.purge
      ? 'All Istio resources will be pruned from the cluster\nProceed? (y/N)'
      : `This will uninstall the Istio control plane revision "${revisionLabel(target.revision)}" (${plan.items.length} objects) from the cluster. Proceed? (y/N)`;
    if (!await confirm(deps, question)) {
      deps.stderr.write('Cancelled.\n');
      deps.exitCode = 1;
      return;
    }
  }

  const results: DeletionResult[] = [];
  const interrupted = () => new InterruptedError(`uninstall interrupted after ${results.length} of ${plan.items.length} objects `
    + `(${results.filter((r) => r.outcome === 'deleted').length} removed); run the same command again to remove the rest`);
  try {
    await executeUninstall(client, plan, { signal: deps.signal, onResult: (r) => { results.push(r); printResult(deps.stderr, r); } });
  } catch (err) {
    if (err instanceof InterruptedError) throw interrupted();
    throw err;
  }
  if (results.length < plan.items.length) throw interrupted();

  // The server answers a delete before the object is gone: wait for garbage collection and finalizers.
  const deleted = results.filter((r) => r.outcome === 'deleted').map((r) => r.item);
  const lingering = timeoutMs > 0 && deleted.length
    ? await waitForDeletion(client, deleted, {
      timeoutMs, pollIntervalMs, signal: deps.signal,
      onWaiting: (pending) => deps.stderr.write(`Waiting for ${pending.length} deleted object${pending.length === 1 ? '' : 's'} to be gone: ${listNames(pending)}\n`),
    }).catch((err: unknown) => {
      if (err instanceof InterruptedError) {
        throw new InterruptedError(`uninstall interrupted while waiting for the ${deleted.length} deleted objects to be gone; their deletion goes on in the cluster`);
      }
      throw err;
    })
    : [];
  for (const l of lingering) deps.stderr.write(`  ✘ ${itemName(l.item)} is still there after ${formatDuration(timeoutMs)}: ${l.reason}\n`);
  await printTerminatingNamespaces(deps.stderr, client, plan.namespaces);

  const failed = results.filter((r) => r.outcome === 'failed');
  if (failed.length) {
    const removed = results.filter((r) => r.outcome === 'deleted').length;
    throw new Error(`uninstall: ${failed.length} of ${plan.items.length} objects could not be removed (${removed} removed): ${failed.map((f) => itemName(f.item)).join(', ')}; fix the cause above and run the same command again`);
  }
  if (lingering.length) {
    throw new Error(`uninstall: ${lingering.length} deleted object${lingering.length === 1 ? ' is' : 's are'} still in the cluster after ${formatDuration(timeoutMs)}: ${listNames(lingering.map((l) => l.item))}; `
      + 'they go once what holds them (above) is resolved; run the same command again to check');
  }
  deps.stderr.write('✔ Uninstall complete\n');
}

/** How many names a one-line list shows before `and N more`. */
const NAMES_LISTED = 5;

/** Returns the names of the items, the first few, for one-line messages. */
function listNames(items: readonly UninstallItem[]): string {
  const names = items.slice(0, NAMES_LISTED).map(itemName).join(', ');
  return items.length > NAMES_LISTED ? `${names} and ${items.length - NAMES_LISTED} more` : names;
}

/**
 * Warns about each namespace of the installation that is being deleted, with what holds it (the
 * namespace controller's conditions): one stuck on a finalizer nobody removes stays Terminating
 * for good, and nothing can be installed into it until it is gone.
 */
async function printTerminatingNamespaces(err: OutStream, client: KubeClient, namespaces: readonly string[]): Promise<void> {
  for (const ns of await findTerminatingNamespaces(client, namespaces)) {
    err.write(`! Namespace ${ns.name} is being deleted (Terminating since ${ns.since}) and is still there: ${ns.reason}. `
      + 'Nothing can be installed into it until it is gone.\n');
  }
}

/** Writes the deletion list, grouped by component in deletion order. */
function printPlan(out: OutStream, plan: UninstallPlan): void {
  const what = plan.target.purge
    ? 'Istio objects in the cluster (--purge: every revision, CRDs included)'
    : `objects of control plane revision "${revisionLabel(plan.target.revision)}"`;
  out.write(`The following ${plan.items.length} ${what} will be deleted, in this order:\n`);
  let current: string | undefined;
  for (const item of plan.items) {
    const group = item.state ? 'Installed state' : componentTitle(item.component || 'unknown');
    if (group !== current) {
      current = group;
      const n = plan.items.filter((i) => (i.state ? 'Installed state' : componentTitle(i.component || 'unknown')) === group).length;
      out.write(`  ${group} (${n}):\n`);
    }
    out.write(`    ${itemName(item)}\n`);
  }
}

/** Warns about proxies and namespaces that would lose their control plane (istioctl's pre-uninstall check). */
function printProxyWarning(err: OutStream, usage: ProxyUsage, target: UninstallTarget): void {
  const rev = target.purge ? '(any revision)' : `revision ${revisionLabel(target.revision)}`;
  if (usage.pods.length) {
    err.write(`There are still ${usage.pods.length} prox${usage.pods.length === 1 ? 'y' : 'ies'} pointing to the control plane ${rev}:\n`);
    for (const p of usage.pods.slice(0, MAX_PROXIES_LISTED)) err.write(`  ${p}\n`);
    if (usage.pods.length > MAX_PROXIES_LISTED) err.write(`  ... and ${usage.pods.length - MAX_PROXIES_LISTED} more\n`);
    err.write('If you proceed with the uninstall, these proxies will become detached from any control plane and will not function correctly.\n');
  }
  if (usage.namespaces.length) {
    err.write(`Namespaces still labelled for injection by the control plane ${rev}: ${usage.namespaces.join(', ')}; new pods there will start without a sidecar.\n`);
  }
}

/**
 * Warns about the revision tags pointing at the revision: namespaces that inject through them, and
 * the tags whose webhooks uninstall leaves behind (made by `tag set`, which puts no owner labels on
 * them), with the two ways to resolve each.
 */
function printTagWarning(err: OutStream, usage: ProxyUsage, plan: UninstallPlan): void {
  const deleted = new Set(plan.items.filter((i) => i.ref.kind === 'MutatingWebhookConfiguration').map((i) => i.ref.name));
  const left = usage.tags.filter((t) => !t.webhooks.every((w) => deleted.has(w)));
  for (const t of usage.tags) {
    if (!t.namespaces.length) continue;
    const outcome = left.includes(t)
      ? 'new pods there will be refused by the tag\'s injection webhook, which has no istiod left to call'
      : 'new pods there will start without a sidecar';
    err.write(`Namespaces using revision tag ${t.tag}, which points at revision ${t.revision}: ${t.namespaces.join(', ')}; ${outcome}.\n`);
  }
  if (!left.length) return;
  const names = left.map((t) => t.tag).join(', ');
  const several = left.length > 1;
  if (plan.target.purge) {
    err.write(`Revision tag${several ? 's' : ''} ${names} ${several ? 'are' : 'is'} not removed by --purge and will be left dangling; remove ${several ? 'each' : 'it'} with meshctl tag remove <tag>.\n`);
    return;
  }
  err.write(`Revision tag${several ? 's' : ''} ${names} ${several ? 'point' : 'points'} at revision ${revisionLabel(plan.target.revision)} and will be left dangling: `
    + `point ${several ? 'each' : 'it'} at another revision (meshctl tag set <tag> -r <other> --overwrite) or remove ${several ? 'each' : 'it'} (meshctl tag remove <tag>).\n`);
}

/** istioctl's warning when a revision's gateways go with it: traffic through them stops. */
function printGatewayWarning(err: OutStream, plan: UninstallPlan): void {
  if (plan.target.purge) return;
  const gateways = plan.items
    .filter((i) => i.ref.kind === 'Deployment' && (i.component === 'IngressGateways' || i.component === 'EgressGateways'))
    .map((i) => `${i.ref.name}.${i.ref.namespace ?? ''}`);
  if (!gateways.length) return;
  err.write(`You are about to remove the following gateways: ${gateways.join(', ')}. To avoid downtime, please quit this command and reinstall the gateway(s) with a revision that is not being removed from the cluster.\n`);
}

function printResult(err: OutStream, r: DeletionResult): void {
  const name = itemName(r.item);
  if (r.outcome === 'deleted') err.write(`  Removed ${name}.\n`);
  else if (r.outcome === 'gone') err.write(`  Already gone: ${name}.\n`);
  else err.write(`  ✘ Could not remove ${name}: ${r.error?.message ?? 'unknown error'}\n`);
}
