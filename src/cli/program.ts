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

/**
 * Every sub-command, by the names and aliases that select it on the command line, and the function
 * that adds it (and its flags, help and lazily loaded runner) to the program.
 */
const COMMANDS: readonly { names: readonly string[]; register: (program: AnyCommand, deps: Deps) => void }[] = [
  { names: ['version'], register: registerVersion },
  { names: ['profile'], register: registerProfile },
  { names: ['manifest'], register: registerManifest },
  { names: ['kube-inject', 'kube-uninject'], register: registerKubeInject },
  { names: ['analyze'], register: registerAnalyze },
  { names: ['validate'], register: registerValidate },
  { names: ['install', 'apply', 'upgrade'], register: registerInstall },
  { names: ['uninstall'], register: registerUninstall },
  { names: ['verify-install'], register: registerVerifyInstall },
  { names: ['x', 'experimental', 'exp'], register: registerPrecheck },
  { names: ['tag'], register: registerTag },
  { names: ['waypoint'], register: registerWaypoint },
  // Never alone: `__complete` answers from the whole tree of commands.
  { names: [], register: registerCompletion },
];

/**
 * Returns a new program whose output goes to the injected streams and whose errors throw instead of
 * exiting. Given the run's `argv`, only the sub-command it names is registered (the others' flags and
 * help are work a run does not need: start-up, bench/README.md); the whole program is built when argv
 * names no known command (top-level help, `help <command>`, a mistyped name that gets a suggestion),
 * and always without argv (completion walks the whole tree).
 */
export function buildProgram(deps: Deps, argv?: readonly string[]): AnyCommand {
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
  const name = argv === undefined ? undefined : commandName(program, argv);
  const selected = COMMANDS.find((c) => name !== undefined && c.names.includes(name));
  for (const c of selected ? [selected] : COMMANDS) c.register(program, deps);
  return program;
}

/**
 * Returns the first operand of `argv` (the sub-command's name), skipping the program's own options
 * and the values of those that take one (`--context dev`, `-c file`); undefined when there is none
 * before `--` or the end.
 */
function commandName(program: AnyCommand, argv: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (takesValue.has(arg)) i++;
  }
  return undefined;
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
