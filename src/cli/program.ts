/** The commander program: global flags and one sub-command per file, built fresh per run (DESIGN.md rule 2). */
import { Command } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { registerAnalyze } from './analyze.js';
import { registerCompletion } from './completion.js';
import { registerInstall } from './install.js';
import { DEFAULT_REQUEST_TIMEOUT } from './kube-flags.js';
import { registerPrecheck } from './precheck.js';
import { registerUninstall } from './uninstall.js';
import { registerVerifyInstall } from './verify-install.js';
import { registerKubeInject } from './kube-inject.js';
import { registerManifest } from './manifest.js';
import { registerProfile } from './profile.js';
import { registerTag } from './tag.js';
import { registerValidate } from './validate.js';
import { registerVersion } from './version.js';
import { registerWaypoint } from './waypoint.js';

/** Any command of the program; sub-command files attach to it without caring about its option types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's typed generics do not compose across files
export type AnyCommand = Command<any[], any, any>;

/** Returns a new program whose output goes to the injected streams and whose errors throw instead of exiting. */
export function buildProgram(deps: Deps): AnyCommand {
  const program = new Command('meshctl')
    .description('Install and operate an Istio-compatible service mesh (Istio 1.30.3).')
    .option('--verbose', 'print stack traces with errors')
    .option('--no-color', 'disable colour output (also NO_COLOR)')
    .option('-c, --kubeconfig <file>', 'kubeconfig file to use (default: KUBECONFIG, merged, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('--request-timeout <duration>', 'timeout of each request to the cluster, e.g. 30s', DEFAULT_REQUEST_TIMEOUT)
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: true });
  configure(program, deps);
  registerVersion(program, deps);
  registerProfile(program, deps);
  registerManifest(program, deps);
  registerKubeInject(program, deps);
  registerAnalyze(program, deps);
  registerValidate(program, deps);
  registerInstall(program, deps);
  registerUninstall(program, deps);
  registerVerifyInstall(program, deps);
  registerPrecheck(program, deps);
  registerTag(program, deps);
  registerWaypoint(program, deps);
  registerCompletion(program, deps);
  return program;
}

/** Applies exitOverride and the injected streams to a command (sub-commands copy these settings when added). */
export function configure<T extends AnyCommand>(cmd: T, deps: Deps): T {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => deps.stdout.write(s),
    writeErr: (s) => deps.stderr.write(s),
  });
  return cmd;
}

/** Collects repeatable option values (`--set a=b --set c=d`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
