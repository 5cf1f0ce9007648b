/**
 * `meshctl version`: flags only; the report and the cluster lookup are in `version-impl.ts`,
 * loaded when the command runs, so other commands do not pay for them at start-up.
 */
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { AnyCommand } from './program.js';
import type { Deps } from '../deps.js';
import type { KubeGlobals } from './kube-flags.js';

/** Options of `meshctl version` as commander parses them. */
export interface VersionOptions {
  /** Print only the meshctl version number (no cluster lookup). */
  short: boolean;
  output: 'json' | 'yaml' | undefined;
  /** Look up the control and data plane (default true). */
  remote: boolean;
  /** Namespace of the istiod pods. */
  istioNamespace: string;
  /** Only this control-plane revision (or the revision this tag points at) and its proxies. */
  revision?: string;
}

function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError(`"${value}" is not a boolean (true or false).`);
}

/** Adds `version` to the program. */
export function registerVersion(program: AnyCommand, deps: Deps): void {
  program.command('version')
    .description('Print the meshctl version, the Istio version it installs, and the control-plane and data-plane versions of the cluster')
    .option('-s, --short', 'print only the meshctl version number (no cluster lookup)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml'] as const))
    .addOption(new Option('--remote [bool]', 'also report the cluster\'s control-plane and data-plane versions').argParser(parseBool).default(true))
    .option('--no-remote', 'report only the client version (same as --remote=false)')
    .option('-i, --istio-namespace <namespace>', 'namespace of the Istio control plane', 'istio-system')
    .option('-r, --revision <revision>', 'report only this control-plane revision (or the revision a tag points at) and its proxies')
    .addHelpText('after', `
The control-plane version comes from the image of the running, ready istiod pods (app=istiod) in
the Istio namespace; the data-plane versions from the istio-proxy (proxyv2) image of every running
pod. With more than one revision, or revision tags, both are listed per revision, with the tags
pointing at each. Without a reachable cluster the client version is printed and a note goes to
stderr (exit 0). Warnings on stderr flag proxies outside Istio's skew policy (the control plane may
be at most one minor version ahead of its proxies, never behind) and revision tags pointing at a
revision with no running istiod.`)
    .action(async (opts, cmd) => (await import('./version-impl.js')).runVersion(deps, {
      short: opts.short === true,
      output: opts.output,
      remote: opts.remote !== false,
      istioNamespace: opts.istioNamespace,
      ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    }, quickGlobals(cmd.optsWithGlobals(), cmd.getOptionValueSourceWithGlobals('requestTimeout'))));
}

/**
 * `version` is asked in passing (scripts, bug reports); a cluster that does not answer should not
 * hold it for the 30 s meant for applying large CRDs. Unless `--request-timeout` was given, each
 * request gets VERSION_REQUEST_TIMEOUT.
 */
function quickGlobals(globals: KubeGlobals, source: string | undefined): KubeGlobals {
  return source === 'default' || source === undefined ? { ...globals, requestTimeout: VERSION_REQUEST_TIMEOUT } : globals;
}

/** Per-request timeout of the version lookup when `--request-timeout` is not given. */
export const VERSION_REQUEST_TIMEOUT = '5s';
