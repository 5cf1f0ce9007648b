/** What `meshctl x precheck` does, loaded only when it runs. */
import { stringify } from 'yaml';
import { levelRank, parseLevel, type Level } from '../analyze/messages.js';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { precheck, precheckDocumentationUrl, type InstallPlan, type PrecheckMessage } from '../kube/precheck.js';
import { isObject, type Json } from '../manifest/objects.js';
import type { MeshConfiguration } from '../render/config.js';
import { configurationFrom } from './render-options.js';
import { useColor } from './color.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';

/** Options of `x precheck`, from its flags. */
export interface PrecheckCliOptions {
  output: 'log' | 'json' | 'yaml';
  outputThreshold: string;
  revision?: string;
  istioNamespace: string;
  /** `-f` files of the installation meant to be made. */
  filename?: string[];
  /** `--set` flags of the installation meant to be made. */
  set?: string[];
}

/** Returns what a resolved configuration runs, for the checks that depend on it. */
export function installPlanOf(config: MeshConfiguration): InstallPlan {
  const at = (v: Json | undefined, ...path: string[]): Json | undefined => path.reduce<Json | undefined>((o, k) => (isObject(o) ? o[k] : undefined), v);
  const global = at(config.spec, 'values', 'global');
  const platform = at(global, 'platform');
  return {
    profile: config.profile,
    cni: at(config.spec, 'components', 'cni', 'enabled') === true,
    ztunnel: at(config.spec, 'components', 'ztunnel', 'enabled') === true,
    platform: typeof platform === 'string' ? platform : '',
  };
}

/** Istio's page on analysis messages, named when issues are found (istioctl's `url.ConfigAnalysis`). */
const CONFIG_ANALYSIS_URL = 'https://istio.io/v1.30/docs/reference/config/analysis/';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// istioctl's colours: bold red for Error, yellow for Warning, the level word only.
const PAINT: Partial<Record<Level, string>> = { Error: '\u001b[1;31m', Warning: '\u001b[33m' };

/** Returns a finding as istioctl's log line: `Error [IST0141] (Cluster) Missing required permission ...`. */
export function precheckLogLine(m: PrecheckMessage, color = false): string {
  const paint = color ? PAINT[m.type.level] : undefined;
  const level = paint ? `${paint}${m.type.level}\u001b[0m` : m.type.level;
  return `${level} [${m.type.code}] (${m.origin}) ${m.message}`;
}

/** Returns the json/yaml record of a finding, with istioctl's keys in alphabetical order. */
function record(m: PrecheckMessage): Record<string, string> {
  return { code: m.type.code, documentationUrl: precheckDocumentationUrl(m.type.code), level: m.type.level, message: m.message, origin: m.origin };
}

/**
 * Runs the checks and prints the findings at or above the output threshold (stdout), or
 * `✔ No issues found when checking the cluster. Istio is safe to install or upgrade!` (stderr)
 * when none is shown and none is Warning or worse. With -f/--set the configuration is resolved
 * first, as install resolves it (UsageError/DataError for bad flags or files), and what it runs
 * decides the level of the ambient and platform findings (see `precheck`).
 * Throws (exit 1) when any finding is Warning or worse, whatever the
 * threshold, as istioctl does; UsageError for a bad threshold or revision.
 */
export async function runPrecheck(deps: Deps, opts: PrecheckCliOptions, globals: KubeGlobals & { color?: boolean }): Promise<void> {
  const threshold = parseLevel(opts.outputThreshold);
  if (!threshold) throw new UsageError(`invalid --output-threshold "${opts.outputThreshold}": use Info, Warning or Error`);
  const revision = opts.revision === undefined || opts.revision === 'default' ? '' : opts.revision;
  if (revision && !DNS1123_LABEL.test(revision)) throw new UsageError(`invalid revision "${revision}": must be a DNS-1123 label (lower case letters, digits and "-")`);

  // The configuration is resolved before connecting: a bad flag or file is a usage or data error whatever the cluster.
  const plan = opts.filename?.length || opts.set?.length
    ? installPlanOf((await configurationFrom(deps, { filename: opts.filename ?? [], set: opts.set ?? [], ...(revision ? { revision } : {}) })).config)
    : undefined;
  const client = await connectCluster(deps, globals);
  const msgs = await precheck(client, { istioNamespace: opts.istioNamespace, revision, ...(plan ? { plan } : {}) });
  const shown = msgs.filter((m) => levelRank(m.type.level) <= levelRank(threshold));

  const issues = msgs.some((m) => levelRank(m.type.level) <= levelRank('Warning'));
  if (shown.length === 0 && !issues) {
    deps.stderr.write('✔ No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/.\n');
  } else if (opts.output === 'json') {
    deps.stdout.write(`${JSON.stringify(shown.map(record), null, '\t')}\n`);
  } else if (opts.output === 'yaml') {
    deps.stdout.write(shown.length ? stringify(shown.map(record), { lineWidth: 0 }) : '[]\n');
  } else {
    const color = useColor(deps, 'stdout', globals);
    for (const m of shown) deps.stdout.write(`${precheckLogLine(m, color)}\n`);
  }
  // Unlike istioctl, never print the all-clear when the threshold merely hid the issues.
  const hidden = msgs.length - shown.length;
  if (issues && hidden > 0) deps.stderr.write(`${hidden} finding${hidden === 1 ? '' : 's'} below --output-threshold ${threshold} not shown\n`);
  if (issues) {
    throw new Error(`Issues found when checking the cluster. Istio may not be safe to install or upgrade.\nSee ${CONFIG_ANALYSIS_URL} for more information about causes and resolutions.`);
  }
}
