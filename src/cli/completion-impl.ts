/**
 * What `meshctl completion` and `meshctl __complete` do, loaded only when one of them runs.
 *
 * The completion scripts are thin: at each Tab they pass the words before the cursor to
 * `meshctl __complete`, which walks the same commander program that parses real runs and answers
 * with candidates. So commands, flags and choices can never drift from the program, the four
 * shells behave alike, and the logic is tested once here rather than in four shell languages.
 * The cost is one meshctl start per Tab (about as long as `meshctl version --short`), the price
 * kubectl, helm and istioctl pay for the same design.
 */
import type { Deps } from '../deps.js';
import { readKubeContexts, type KubeContexts } from '../kube/kubeconfig-contexts.js';
import { ANALYZE_FORMATS } from './analyze.js';
import type { COMPLETION_SHELLS } from './completion.js';
import { completionScript } from './completion-scripts.js';
import { collect, type AnyCommand } from './program.js';

/** A shell `meshctl completion` writes a script for. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Prints the completion script of `shell` to stdout. */
export function runCompletionScript(deps: Deps, shell: CompletionShell): void {
  deps.stdout.write(completionScript(shell));
}

/**
 * What a flag's value or a positional argument completes to: fixed words, files, profile names,
 * names from the kubeconfig, `--set` paths, command names, or nothing ("free": any text, such as a
 * revision or a duration, where guessing would mislead).
 */
export type ValueSource =
  | 'files' | 'profiles' | 'profiles-or-files' | 'contexts' | 'namespaces' | 'set-paths' | 'analyzers' | 'commands' | 'free'
  | readonly string[];

/** Levels of `--output-threshold` and `--failure-threshold`. */
const LEVELS = ['Info', 'Warning', 'Error'] as const;

/**
 * The values of every flag that takes one and has no commander choices, by long flag; an entry
 * `"<command path> <long flag>"` overrides it for one command (`-o` is a format for some commands
 * and a file for others). A test checks that every value-taking flag of the program is covered.
 */
export const OPTION_VALUES: Readonly<Record<string, ValueSource>> = {
  '--kubeconfig': 'files',
  '--context': 'contexts',
  '--request-timeout': 'free',
  '--filename': 'files',
  '--set': 'set-paths',
  '--revision': 'free',
  '--namespace': 'namespaces',
  '--istio-namespace': 'namespaces',
  '--output-threshold': LEVELS,
  '--failure-threshold': LEVELS,
  '--suppress': 'free',
  '--analyzer': 'analyzers',
  '--use-kube': 'free',
  '--remote': 'free',
  '--meshConfigFile': 'files',
  '--meshNetworksFile': 'files',
  '--operatorFileName': 'files',
  '--injectConfigFile': 'files',
  '--valuesFile': 'files',
  '--config-path': 'free',
  '--readiness-timeout': 'free',
  '--poll-interval': 'free',
  '--timeout': 'free',
  '--webhook-name': 'free',
  '--name': 'free',
  '--wait': 'free',
  '--waypoint-timeout': 'free',
  'analyze --output': ANALYZE_FORMATS,
  'manifest generate --output': 'files',
  'kube-inject --output': 'files',
  'kube-uninject --output': 'files',
};

/**
 * The positional arguments of every command that has some and no commander choices, by command
 * path; the last entry repeats for a variadic argument. Commands whose `[args...]` exists only to
 * refuse stray words with a helpful message complete nothing there.
 */
export const ARGUMENT_VALUES: Readonly<Record<string, readonly ValueSource[]>> = {
  'profile dump': ['profiles'],
  'profile diff': ['profiles-or-files', 'profiles-or-files'],
  'manifest generate': ['free'],
  'manifest diff': ['files', 'files'],
  analyze: ['files'],
  validate: ['files'],
  uninstall: ['free'],
  'verify-install': ['free'],
  'x precheck': ['free'],
  'tag set': ['free'],
  'tag generate': ['free'],
  'tag list': ['free'],
  'tag remove': ['free'],
  'waypoint generate': ['free'],
  'waypoint apply': ['free'],
  'waypoint list': ['free'],
  'waypoint status': ['free'],
  'waypoint delete': ['free'],
};

/** Beginnings of `--set` paths: the IstioOperator spec's top-level fields. */
const SET_PATHS: readonly (readonly [string, string])[] = [
  ['profile=', 'install profile'],
  ['revision=', 'control plane revision'],
  ['namespace=', 'namespace of the control plane'],
  ['hub=', 'image registry'],
  ['tag=', 'image tag'],
  ['components.', 'component settings (enabled, k8s, ingressGateways[N], ...)'],
  ['values.', 'Helm-style values (global, pilot, gateways, ...)'],
  ['meshConfig.', 'mesh configuration'],
];

/** One completion candidate: the whole word that replaces the one being completed. */
export interface Candidate {
  value: string;
  description?: string;
}

/** The answer to one Tab: candidates, whether the shell adds file names, whether it adds no space after. */
export interface Completion {
  candidates: Candidate[];
  files: boolean;
  noSpace: boolean;
}

/** Where the candidates that are not in the program come from (tests pass their own). */
export interface CompletionSources {
  /** The install profile names. */
  profiles(): Promise<string[]>;
  /** The kubeconfig's contexts; `kubeconfig` is the `--kubeconfig` given on the line, if any. */
  contexts(kubeconfig: string | undefined): Promise<KubeContexts>;
  /** The analyzers `analyze --analyzer` selects from, with their descriptions. */
  analyzers(): Promise<{ name: string; description: string }[]>;
}

/**
 * Prints the candidates for `words` (the words after "meshctl" up to the cursor, the last one the
 * word being completed): one line per candidate, `value` or `value<Tab>description`, then a line
 * `:` followed by the comma-separated directives `files` and `nospace`. Never fails and never
 * writes to stderr: a completion must not put errors into the user's prompt.
 */
export async function runComplete(deps: Deps, program: AnyCommand, words: readonly string[]): Promise<void> {
  let result: Completion = { candidates: [], files: false, noSpace: false };
  try {
    result = await complete(program, words, systemSources(deps));
  } catch {
    // No candidates rather than a message in the middle of the command line.
  }
  deps.stdout.write(formatCompletion(result));
}

/** Returns the `__complete` output of a completion (see runComplete). */
export function formatCompletion(result: Completion): string {
  const lines = result.candidates
    .filter((c) => c.value !== '' && !/[\t\n\r]/.test(c.value))
    .map((c) => (c.description ? `${c.value}\t${c.description.replace(/[\t\n\r]+/g, ' ')}` : c.value));
  const directives = [...(result.files ? ['files'] : []), ...(result.noSpace ? ['nospace'] : [])];
  return [...lines, `:${directives.join(',')}`].join('\n') + '\n';
}

/** Returns the sources that read the package's profiles and the user's kubeconfig files. */
export function systemSources(deps: Deps): CompletionSources {
  return {
    profiles: async () => {
      // The renderer's module loads only when a profile name is being completed.
      const [{ loadAssets }, { profileNames }] = await Promise.all([import('./assets.js'), import('../render/config.js')]);
      return profileNames(await loadAssets(deps));
    },
    contexts: (kubeconfig) => readKubeContexts(deps.fs, deps.env, kubeconfig),
    // The analyzers load only when an analyzer name is being completed.
    analyzers: async () => (await import('../analyze/registry.js')).ANALYZERS.map(({ name, description }) => ({ name, description })),
  };
}

// commander's option and command objects, as the walk reads them.
type AnyOption = AnyCommand['options'][number];

/** What the words before the cursor selected: the command, its operands and the flags given. */
interface LineState {
  command: AnyCommand;
  /** Command names from the program down, e.g. ["profile", "dump"]; aliases resolved. */
  path: string[];
  operands: string[];
  given: Set<AnyOption>;
  /** The last value given to each long flag (`--kubeconfig`, `--context`). */
  values: Map<string, string>;
  /** `help` was given: the operands name commands. */
  help: boolean;
}

/**
 * Returns the completion of the last of `words` (the words after "meshctl"; the last one the word
 * being completed, possibly empty) against the program, the way commander would parse the line:
 * sub-commands and their aliases, global flags anywhere, `--flag=value`, `-abc` short clusters,
 * `--` ending the flags.
 */
export async function complete(program: AnyCommand, words: readonly string[], sources: CompletionSources): Promise<Completion> {
  const current = words.length ? words[words.length - 1]! : '';
  const state: LineState = { command: program, path: [], operands: [], given: new Set(), values: new Map(), help: false };
  let pending: AnyOption | undefined;
  let flagsEnded = false;
  for (const word of words.slice(0, -1)) {
    if (pending) {
      remember(state, pending, word);
      pending = undefined;
    } else if (!flagsEnded && word === '--') {
      flagsEnded = true;
    } else if (!flagsEnded && word.startsWith('--')) {
      const eq = word.indexOf('=');
      const option = findOption(state.command, eq < 0 ? word : word.slice(0, eq));
      if (!option) continue;
      state.given.add(option);
      if (eq >= 0) remember(state, option, word.slice(eq + 1));
      else if (option.required) pending = option;
    } else if (!flagsEnded && word.startsWith('-') && word.length > 1) {
      pending = shortCluster(state, word);
    } else {
      const sub = state.operands.length === 0 && !state.help ? findSubcommand(state.command, word) : undefined;
      if (sub) {
        state.command = sub;
        state.path.push(sub.name());
      } else if (word === 'help' && state.operands.length === 0 && !state.help && hasSubcommands(state.command)) {
        state.help = true;
      } else {
        state.operands.push(word);
      }
    }
  }

  let result: Completion;
  if (pending) {
    result = await optionValues(state, pending, current, '', sources);
  } else if (!flagsEnded && current.startsWith('--') && current.includes('=')) {
    const eq = current.indexOf('=');
    const option = findOption(state.command, current.slice(0, eq));
    result = option && (option.required || option.optional)
      ? await optionValues(state, option, current.slice(eq + 1), current.slice(0, eq + 1), sources)
      : empty();
  } else if (!flagsEnded && current.startsWith('-')) {
    result = { candidates: flagCandidates(state, true), files: false, noSpace: false };
  } else {
    result = await operandValues(state, current, sources);
    if (!result.candidates.length && !result.files && !flagsEnded && current === '') {
      // Nothing to name here (`meshctl install <Tab>`): offer the flags.
      result = { candidates: flagCandidates(state, false), files: false, noSpace: false };
    }
  }
  return { ...result, candidates: dedupe(result.candidates.filter((c) => c.value.startsWith(current))) };
}

/** Returns every command path of the program, e.g. ["profile", "dump"]; hidden commands left out. */
export function commandPaths(program: AnyCommand): string[][] {
  const paths: string[][] = [];
  const walk = (cmd: AnyCommand, path: string[]) => {
    for (const sub of visibleSubcommands(cmd)) {
      paths.push([...path, sub.name()]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return paths;
}

/** Returns the flags of a command and its ancestors that take a value, with the completion key each is looked up under. */
export function valueFlags(program: AnyCommand): { path: string; flag: string; hasChoices: boolean }[] {
  const found: { path: string; flag: string; hasChoices: boolean }[] = [];
  const walk = (cmd: AnyCommand, path: string[]) => {
    for (const option of cmd.options as AnyOption[]) {
      if ((option.required || option.optional) && option.long) found.push({ path: path.join(' '), flag: option.long, hasChoices: !!option.argChoices });
    }
    for (const sub of visibleSubcommands(cmd)) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return found;
}

/** Returns where the completion of a flag's value is looked up: the command's own entry, else the flag's. */
export function optionValueSource(path: readonly string[], option: AnyOption): ValueSource | undefined {
  if (option.argChoices) return option.argChoices;
  const long = option.long ?? '';
  return OPTION_VALUES[`${path.join(' ')} ${long}`] ?? OPTION_VALUES[long];
}

function empty(): Completion {
  return { candidates: [], files: false, noSpace: false };
}

function remember(state: LineState, option: AnyOption, value: string): void {
  if (option.long) state.values.set(option.long, value);
}

/** Reads `-abc`: boolean flags, up to one that takes a value (the rest of the word, else the next word). Returns that flag when its value is the next word. */
function shortCluster(state: LineState, word: string): AnyOption | undefined {
  for (let i = 1; i < word.length; i++) {
    const option = findOption(state.command, `-${word[i]}`);
    if (!option) return undefined;
    state.given.add(option);
    if (option.required || option.optional) {
      const rest = word.slice(i + 1);
      if (rest) remember(state, option, rest);
      return rest || option.optional ? undefined : option;
    }
  }
  return undefined;
}

/** Returns the options a command accepts: its own (hidden ones too), its help flag, then its ancestors'. */
function optionsOf(cmd: AnyCommand): AnyOption[] {
  const all: AnyOption[] = [];
  for (let c: AnyCommand | null = cmd; c; c = c.parent as AnyCommand | null) {
    const own = c.options as AnyOption[];
    const visible = c.createHelp().visibleOptions(c) as AnyOption[];
    // visibleOptions adds the help flag; the parent's help flag does not apply to a sub-command.
    all.push(...own, ...(c === cmd ? visible.filter((o) => !own.includes(o)) : []));
  }
  return all;
}

function findOption(cmd: AnyCommand, flag: string): AnyOption | undefined {
  return optionsOf(cmd).find((o) => o.long === flag || o.short === flag);
}

/** Returns the sub-commands help lists (hidden ones such as `__complete` left out), without commander's own `help`. */
function visibleSubcommands(cmd: AnyCommand): AnyCommand[] {
  const own = cmd.commands as AnyCommand[];
  return (cmd.createHelp().visibleCommands(cmd) as AnyCommand[]).filter((c) => own.includes(c));
}

function hasSubcommands(cmd: AnyCommand): boolean {
  return visibleSubcommands(cmd).length > 0;
}

function findSubcommand(cmd: AnyCommand, word: string): AnyCommand | undefined {
  return visibleSubcommands(cmd).find((c) => c.name() === word || c.aliases().includes(word));
}

/** Returns the flags that can still be given: long forms, and short forms when `withShort`; a flag given once is left out unless it repeats. */
function flagCandidates(state: LineState, withShort: boolean): Candidate[] {
  const out: Candidate[] = [];
  const visible = new Set<AnyOption>();
  for (let c: AnyCommand | null = state.command; c; c = c.parent as AnyCommand | null) {
    for (const o of c.createHelp().visibleOptions(c) as AnyOption[]) visible.add(o);
  }
  for (const option of optionsOf(state.command)) {
    if (!visible.has(option)) continue;
    if (state.given.has(option) && option.parseArg !== collect) continue;
    const description = summary(option.description);
    if (option.long) out.push({ value: option.long, description });
    if (withShort && option.short) out.push({ value: option.short, description });
  }
  return out;
}

/** Completes the value of a flag; `prefix` is `--flag=` when the value is in the same word. */
async function optionValues(state: LineState, option: AnyOption, value: string, prefix: string, sources: CompletionSources): Promise<Completion> {
  const source = optionValueSource(state.path, option);
  if (!source) return empty();
  const result = await valuesOf(source, value, state, sources, option);
  return { ...result, candidates: result.candidates.map((c) => ({ ...c, value: prefix + c.value })) };
}

/** Completes an operand: a sub-command, a command name after `help`, or the command's positional argument. */
async function operandValues(state: LineState, current: string, sources: CompletionSources): Promise<Completion> {
  if (state.help) return state.operands.length === 0 ? valuesOf('commands', current, state, sources) : empty();
  if (state.operands.length === 0 && hasSubcommands(state.command)) {
    const candidates = visibleSubcommands(state.command).map((c) => ({ value: c.name(), description: summary(c.description()) }));
    if (state.command.parent === null) candidates.push({ value: 'help', description: 'help for a command' });
    return { candidates, files: false, noSpace: false };
  }
  const args = state.command.registeredArguments;
  if (!args.length) return empty();
  const index = state.operands.length;
  const arg = args[Math.min(index, args.length - 1)]!;
  if (index >= args.length && !arg.variadic) return empty();
  if (arg.argChoices) return valuesOf(arg.argChoices, current, state, sources);
  const declared = ARGUMENT_VALUES[state.path.join(' ')];
  if (!declared?.length) return empty();
  return valuesOf(declared[Math.min(index, declared.length - 1)]!, current, state, sources);
}

/** Returns the candidates of one value source for the word `value`. */
async function valuesOf(source: ValueSource, value: string, state: LineState, sources: CompletionSources, option?: AnyOption): Promise<Completion> {
  if (typeof source !== 'string') return { candidates: source.map((v) => ({ value: v })), files: false, noSpace: false };
  switch (source) {
    case 'files':
      return { candidates: [], files: true, noSpace: false };
    case 'profiles':
    case 'profiles-or-files':
      return {
        candidates: (await sources.profiles()).map((p) => ({ value: p, description: 'install profile' })),
        files: source === 'profiles-or-files',
        noSpace: false,
      };
    case 'set-paths':
      if (value.startsWith('profile=')) {
        return { candidates: (await sources.profiles()).map((p) => ({ value: `profile=${p}`, description: 'install profile' })), files: false, noSpace: false };
      }
      return { candidates: SET_PATHS.map(([v, description]) => ({ value: v, description })), files: false, noSpace: true };
    case 'contexts': {
      const { contexts, current } = await sources.contexts(state.values.get('--kubeconfig'));
      return {
        candidates: contexts.map((c) => ({
          value: c.name,
          description: [c.name === current ? 'current context' : 'context', c.cluster && `cluster ${c.cluster}`, c.namespace && `namespace ${c.namespace}`].filter(Boolean).join(', '),
        })),
        files: false,
        noSpace: false,
      };
    }
    case 'namespaces':
      return { candidates: await namespaceCandidates(state, sources, option), files: false, noSpace: false };
    case 'analyzers':
      return { candidates: (await sources.analyzers()).map((a) => ({ value: a.name, description: summary(a.description) })), files: false, noSpace: false };
    case 'commands':
      return { candidates: visibleSubcommands(state.command).map((c) => ({ value: c.name(), description: summary(c.description()) })), files: false, noSpace: false };
    case 'free':
      return empty();
  }
}

/**
 * Returns the namespaces the kubeconfig names: the selected context's first (`--context` on the
 * line, else the current context), then the other contexts', then "default" and the flag's own
 * default (istio-system for `-i`).
 */
async function namespaceCandidates(state: LineState, sources: CompletionSources, option?: AnyOption): Promise<Candidate[]> {
  const { contexts, current } = await sources.contexts(state.values.get('--kubeconfig'));
  const selected = state.values.get('--context') ?? current;
  const ordered = [...contexts.filter((c) => c.name === selected), ...contexts.filter((c) => c.name !== selected)];
  const out: Candidate[] = [];
  for (const c of ordered) if (c.namespace) out.push({ value: c.namespace, description: `namespace of context ${c.name}` });
  out.push({ value: 'default', description: 'namespace' });
  if (typeof option?.defaultValue === 'string') out.push({ value: option.defaultValue, description: 'default of this flag' });
  return out;
}

/** Drops later candidates whose value an earlier one has. */
function dedupe(candidates: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.value) && seen.add(c.value));
}

/** Returns the first clause of a help text without its asides in parentheses, short enough for a completion menu. */
export function summary(text: string): string {
  let plain = text;
  for (let previous = ''; previous !== plain;) {
    previous = plain;
    plain = plain.replace(/ ?\([^()]*\)/g, '');
  }
  const cut = plain.search(/; |: /);
  const head = (cut > 0 ? plain.slice(0, cut) : plain).trim();
  return head.length > 72 ? `${head.slice(0, 71)}…` : head;
}
