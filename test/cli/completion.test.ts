/**
 * Shell completion: the program walk behind `meshctl __complete`, its answers, and the scripts of
 * `meshctl completion` sourced in real bash, zsh and fish, calling the built meshctl through a
 * `meshctl` on PATH as an installed one would be called.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, type AnyCommand } from '../../src/cli/program.js';
import {
  ARGUMENT_VALUES, OPTION_VALUES, commandPaths, complete, formatCompletion, optionValueSource, summary, valueFlags,
  type CompletionSources,
} from '../../src/cli/completion-impl.js';
import { contextsFromKubeconfigs } from '../../src/kube/kubeconfig-contexts.js';
import { repoRoot, run, testDeps } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshctl-completion-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: staging
clusters: []
users: []
contexts:
- name: staging
  context: {cluster: stage-cluster, user: me, namespace: shop}
- name: prod
  context: {cluster: prod-cluster, user: me, namespace: payments}
- name: "arn:aws:eks:eu-west-1:123456789012:cluster/edge"
  context: {cluster: edge}
`;
const kubeconfig = join(tmp, 'kubeconfig');
writeFileSync(kubeconfig, KUBECONFIG);
const otherKubeconfig = join(tmp, 'other-kubeconfig');
writeFileSync(otherKubeconfig, 'contexts:\n- name: lab\n  context: {namespace: lab-ns}\ncurrent-context: lab\n');

/** Runs `meshctl __complete -- ...words` in-process; returns the candidate values, descriptions and directive line. */
async function ask(words: string[], env: Record<string, string> = { KUBECONFIG: kubeconfig }) {
  const r = await run(['__complete', '--', ...words], { env });
  const lines = r.stdout.split('\n').slice(0, -1);
  const directive = lines.pop();
  return {
    code: r.code,
    stderr: r.stderr,
    values: lines.map((l) => l.split('\t')[0]!),
    descriptions: Object.fromEntries(lines.map((l) => l.split('\t') as [string, string])),
    directive,
  };
}

function program(): AnyCommand {
  return buildProgram(testDeps().deps);
}

describe('the program walk', () => {
  const paths = commandPaths(program()).map((p) => p.join(' '));

  it('finds every command, nested ones included, and leaves out the hidden __complete', () => {
    expect(paths).toStrictEqual(expect.arrayContaining([
      'analyze', 'completion', 'install', 'kube-inject', 'kube-uninject', 'manifest', 'manifest generate', 'manifest diff',
      'profile', 'profile list', 'profile dump', 'profile diff', 'uninstall', 'upgrade', 'validate', 'verify-install',
      'version', 'x', 'x precheck',
    ]));
    expect(paths.some((p) => p.includes('__complete'))).toBe(false);
  });

  it('answers for every command: its sub-commands, or every visible flag of it and of the program', async () => {
    const root = program();
    for (const path of commandPaths(root)) {
      let cmd = root;
      for (const name of path) cmd = cmd.commands.find((c) => c.name() === name) as AnyCommand;
      const subs = cmd.commands.map((c) => c.name());
      if (subs.length) {
        expect((await ask([...path, ''])).values, path.join(' ')).toStrictEqual(subs.sort());
        continue;
      }
      const flags = (await ask([...path, '-'])).values;
      const help = cmd.createHelp();
      for (const c of [cmd, root]) {
        for (const o of help.visibleOptions(c)) {
          if (c === root && o.long === '--help') continue;
          expect(flags, `${path.join(' ')} ${o.flags}`).toContain(o.long);
          if (o.short) expect(flags, `${path.join(' ')} ${o.flags}`).toContain(o.short);
        }
      }
    }
  });

  it('has a value source for every flag that takes a value, and no entry for a flag that does not exist', () => {
    const flags = valueFlags(program());
    const root = program();
    for (const { path, flag, hasChoices } of flags) {
      let cmd = root;
      for (const name of path ? path.split(' ') : []) cmd = cmd.commands.find((c) => c.name() === name) as AnyCommand;
      const option = cmd.options.find((o) => o.long === flag)!;
      const source = optionValueSource(path ? path.split(' ') : [], option);
      expect(source, `${path} ${flag}`).toBeDefined();
      if (hasChoices) expect(source).toStrictEqual(option.argChoices);
    }
    const known = new Set(flags.flatMap(({ path, flag }) => [flag, `${path} ${flag}`]));
    expect(Object.keys(OPTION_VALUES).filter((k) => !known.has(k))).toStrictEqual([]);
  });

  it('has a value source for every positional argument, and no entry for a command without one', () => {
    const root = program();
    const withArgs: string[] = [];
    for (const path of commandPaths(root)) {
      let cmd = root;
      for (const name of path) cmd = cmd.commands.find((c) => c.name() === name) as AnyCommand;
      for (const arg of cmd.registeredArguments) {
        if (arg.argChoices) continue;
        withArgs.push(path.join(' '));
        expect(ARGUMENT_VALUES[path.join(' ')], `${path.join(' ')} <${arg.name()}>`).toBeDefined();
      }
    }
    expect(Object.keys(ARGUMENT_VALUES).filter((k) => !withArgs.includes(k))).toStrictEqual([]);
  });
});

describe('meshctl __complete', () => {
  it('completes commands, aliases resolved, and commander\'s help', async () => {
    expect((await ask(['prof'])).values).toStrictEqual(['profile']);
    expect((await ask(['ver'])).values).toStrictEqual(['verify-install', 'version']);
    expect((await ask([''])).values).toContain('help');
    expect((await ask(['help', 'an'])).values).toStrictEqual(['analyze']);
    expect((await ask(['profile', ''])).values).toStrictEqual(['diff', 'dump', 'list']);
    expect((await ask(['exp', ''])).values).toStrictEqual(['precheck']);
    expect((await ask(['apply', '--dry'])).values).toStrictEqual(['--dry-run']);
    expect((await ask(['manifest', ''])).descriptions).toMatchObject({ generate: 'Render the Kubernetes manifests of an installation' });
  });

  it('completes flags, long and short, with the program\'s global flags; hidden flags and flags already given are left out, repeatable ones stay', async () => {
    const r = await ask(['analyze', '-']);
    expect(r.values).toEqual(expect.arrayContaining(['-n', '--namespace', '-A', '-o', '--context', '-c', '--kubeconfig', '-h', '--help']));
    expect((await ask(['analyze', '--'])).values.every((v) => v.startsWith('--'))).toBe(true);
    expect((await ask(['install', '--'])).values).not.toContain('--poll-interval');
    const afterGiven = (await ask(['analyze', '-n', 'shop', '-S', 'IST0118=*', '--context=prod', '--'])).values;
    expect(afterGiven).not.toContain('--namespace');
    expect(afterGiven).not.toContain('--context');
    expect(afterGiven).toContain('--suppress');
    expect(r.descriptions).toMatchObject({ '--ignore-unknown': 'do not fail when a file cannot be parsed', '--kubeconfig': 'kubeconfig file to use' });
    // A command that names nothing offers its flags on an empty word.
    expect((await ask(['install', ''])).values).toContain('--skip-confirmation');
  });

  it('offers no flags after "--", and reads a short cluster whose last flag takes the next word', async () => {
    expect((await ask(['analyze', '--', '-'])).values).toStrictEqual([]);
    expect((await ask(['analyze', '--', '-']).then((r) => r.directive))).toBe(':files');
    expect((await ask(['analyze', '-Ao', ''])).values).toStrictEqual(['log', 'json', 'yaml', 'sarif', 'junit', 'github']);
    expect((await ask(['analyze', '-ojson', ''])).directive).toBe(':files');
  });

  it('completes -o from the command\'s fixed choices, and files where -o is a file', async () => {
    expect((await ask(['x', 'precheck', '-o', ''])).values).toStrictEqual(['log', 'json', 'yaml']);
    expect((await ask(['profile', 'dump', '--output', 'f'])).values).toStrictEqual(['flags']);
    expect((await ask(['profile', 'list', '-o', ''])).values).toStrictEqual(['text', 'json', 'yaml']);
    expect((await ask(['manifest', 'diff', '-o', ''])).values).toStrictEqual(['text', 'json']);
    expect((await ask(['version', '--output=y'])).values).toStrictEqual(['--output=yaml']);
    expect((await ask(['analyze', '--output-threshold', ''])).values).toStrictEqual(['Info', 'Warning', 'Error']);
    const { ANALYZERS } = await import('../../src/analyze/registry.js');
    expect((await ask(['analyze', '--analyzer', ''])).values).toStrictEqual(ANALYZERS.map((a) => a.name));
    expect((await ask(['analyze', '--analyzer', 'service.PortN'])).values).toStrictEqual(['service.PortNameAnalyzer']);
    for (const cmd of [['manifest', 'generate'], ['kube-inject'], ['kube-uninject']]) {
      const r = await ask([...cmd, '-o', '']);
      expect(r.values).toStrictEqual([]);
      expect(r.directive).toBe(':files');
    }
  });

  it('asks the shell for files for -f and the other file flags, in both spellings', async () => {
    for (const words of [['kube-inject', '-f', ''], ['validate', '--filename', 'x'], ['analyze', 'a.yaml', ''], ['--kubeconfig', ''],
      ['kube-inject', '--filename=k8s/'], ['analyze', '--meshConfigFile', ''], ['manifest', 'diff', 'a.yaml', '']]) {
      const r = await ask(words);
      expect(r, words.join(' ')).toMatchObject({ values: [], directive: ':files' });
    }
  });

  it('completes profile names for profile dump, profile diff (with files) and --set profile=', async () => {
    const names = ['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable'];
    expect((await ask(['profile', 'dump', ''])).values).toStrictEqual(names);
    expect((await ask(['profile', 'dump', 'de'])).values).toStrictEqual(['default', 'demo']);
    // One profile only: after it, the flags.
    const after = (await ask(['profile', 'dump', 'demo', ''])).values;
    expect(after).not.toContain('demo');
    expect(after).toContain('--config-path');
    expect(await ask(['profile', 'diff', 'demo', 'm'])).toMatchObject({ values: ['minimal'], directive: ':files' });
    expect((await ask(['manifest', 'generate', '--set', 'profile='])).values).toStrictEqual(names.map((n) => `profile=${n}`));
    expect((await ask(['install', '-s', 'profile=mi'])).values).toStrictEqual(['profile=minimal']);
    expect((await ask(['manifest', 'generate', '--set=profile=r'])).values).toStrictEqual(['--set=profile=remote']);
    const paths = await ask(['profile', 'dump', '--set', '']);
    expect(paths.values).toEqual(expect.arrayContaining(['profile=', 'revision=', 'components.', 'values.', 'meshConfig.']));
    expect(paths.directive).toBe(':nospace');
  });

  it('completes contexts and namespaces from the kubeconfig in KUBECONFIG or --kubeconfig, never from a cluster', async () => {
    const contexts = await ask(['--context', '']);
    expect(contexts.values).toStrictEqual(['staging', 'prod', 'arn:aws:eks:eu-west-1:123456789012:cluster/edge']);
    expect(contexts.descriptions).toMatchObject({ staging: 'current context, cluster stage-cluster, namespace shop', prod: 'context, cluster prod-cluster, namespace payments' });
    expect((await ask(['analyze', '--context=p'])).values).toStrictEqual(['--context=prod']);
    expect((await ask(['analyze', '--context', 'arn:aws:eks:eu'])).values).toStrictEqual(['arn:aws:eks:eu-west-1:123456789012:cluster/edge']);
    // The current context's namespace first, then the others', then "default".
    expect((await ask(['analyze', '-n', ''])).values).toStrictEqual(['shop', 'payments', 'default']);
    // --context on the line selects whose namespace comes first.
    expect((await ask(['--context', 'prod', 'analyze', '--namespace', ''])).values).toStrictEqual(['payments', 'shop', 'default']);
    // -i adds its own default.
    expect((await ask(['kube-inject', '-i', ''])).values).toStrictEqual(['shop', 'payments', 'default', 'istio-system']);
    // --kubeconfig on the line wins over KUBECONFIG, in either spelling.
    expect((await ask(['--kubeconfig', otherKubeconfig, 'version', '--context', ''])).values).toStrictEqual(['lab']);
    expect((await ask([`--kubeconfig=${otherKubeconfig}`, 'analyze', '-n', ''])).values).toStrictEqual(['lab-ns', 'default']);
    // KUBECONFIG lists files merged; the first to name a context wins.
    expect((await ask(['--context', ''], { KUBECONFIG: `${otherKubeconfig}:${kubeconfig}` })).values).toStrictEqual(['lab', 'staging', 'prod', 'arn:aws:eks:eu-west-1:123456789012:cluster/edge']);
  });

  it('answers with nothing, exit 0 and nothing on stderr, for a missing, broken or special kubeconfig and for nonsense', async () => {
    const broken = join(tmp, 'broken');
    writeFileSync(broken, 'contexts: [\n  - {name: [x\n');
    const fifo = join(tmp, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const cases: [string[], Record<string, string>][] = [
      [['--context', ''], {}],
      [['--context', ''], { KUBECONFIG: join(tmp, 'nope') }],
      [['--context', ''], { KUBECONFIG: broken }],
      [['analyze', '-n', ''], { KUBECONFIG: join(tmp) }],
      [['--kubeconfig', join(tmp, 'nope'), '--context', ''], {}],
      [['--context', ''], { KUBECONFIG: fifo }],
      [['--nope', '--set', 'x', 'nope', 'nope', ''], {}],
      [['--request-timeout'], {}],
      [['-'.repeat(3), '-h', '--help', '-V'], {}],
    ];
    for (const [words, env] of cases) {
      const r = await ask(words, env);
      expect(r.code, words.join(' ')).toBe(0);
      expect(r.stderr, words.join(' ')).toBe('');
      expect(r.directive, words.join(' ')).toMatch(/^:/);
    }
    expect((await ask(['--context', ''], { KUBECONFIG: broken })).values).toStrictEqual([]);
    expect((await ask(['analyze', '-n', ''], {})).values).toStrictEqual(['default']);
  }, 60_000);

  it('turns any failure of a source into no candidates', async () => {
    const boom = () => Promise.reject(new Error('boom'));
    const failing: CompletionSources = { profiles: boom, contexts: boom, analyzers: boom };
    await expect(complete(program(), ['profile', 'dump', ''], failing)).rejects.toThrow('boom');
    // runComplete (through main) catches it: shown by an unreadable assets directory.
    const { deps, out } = testDeps();
    deps.assetsDir = join(tmp, 'no-assets');
    const { main } = await import('../../src/main.js');
    expect(await main(['__complete', '--', 'profile', 'dump', ''], deps)).toBe(0);
    expect(out()).toStrictEqual({ stdout: ':\n', stderr: '' });
  });

  it('formats candidates one per line with an optional description, directives last, and drops what a line cannot carry', () => {
    expect(formatCompletion({ candidates: [{ value: 'a', description: 'first\tone' }, { value: 'b' }, { value: 'c\nd' }, { value: '' }], files: true, noSpace: true }))
      .toBe('a\tfirst one\nb\n:files,nospace\n');
    expect(formatCompletion({ candidates: [], files: false, noSpace: false })).toBe(':\n');
    expect(summary('Analyze mesh configuration (the cluster, and/or files (or -)) and report problems; more')).toBe('Analyze mesh configuration and report problems');
  });

  it('reads contexts from kubeconfig texts as kubectl merges them', () => {
    expect(contextsFromKubeconfigs(['', 'not: [a mapping', '- a list', `contexts:\n- name: a\n- {name: 3}\n- context: {}\n- name: b\n  context: {namespace: n, cluster: c}\n`, 'current-context: b\ncontexts: [{name: a, context: {namespace: other}}]']))
      .toStrictEqual({ contexts: [{ name: 'a' }, { name: 'b', namespace: 'n', cluster: 'c' }], current: 'b' });
  });
});

describe('meshctl completion', () => {
  it('prints a script for each shell', async () => {
    for (const [shell, marker] of [['bash', 'complete -F __meshctl_complete meshctl'], ['zsh', '#compdef meshctl'], ['fish', "complete -c meshctl -f -a '(__meshctl_complete)'"], ['powershell', "Register-ArgumentCompleter -Native -CommandName 'meshctl'"]] as const) {
      const r = await run(['completion', shell]);
      expect(r.code, shell).toBe(0);
      expect(r.stderr, shell).toBe('');
      expect(r.stdout, shell).toContain(marker);
      expect(r.stdout, shell).toContain('meshctl __complete');
      // The template markers are gone: a shell's ${...} is written as it ships.
      expect(r.stdout, shell).not.toContain('$\\{');
    }
  });

  it('PowerShell: the script asks __complete, which knows every command', async () => {
    const script = (await run(['completion', 'powershell'])).stdout;
    expect(script).toContain("@('__complete', '--')");
    expect(script).toContain('& meshctl @arguments');
    const top = (await ask([''])).values;
    for (const path of commandPaths(program()).filter((p) => p.length === 1)) expect(top).toContain(path[0]);
  });

  it('refuses an unknown or missing shell with exit 64', async () => {
    const r = await run(['completion', 'tcsh']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Allowed choices are bash, zsh, fish, powershell');
    expect((await run(['completion'])).code).toBe(64);
  });

  it('keeps its code out of the start-up path: the engine and the scripts load only when completing', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(join(repoRoot, 'src/cli/completion.ts'), 'utf8');
    expect(source).not.toMatch(/^import .*completion-(impl|scripts)/m);
    expect(source).toContain("import('./completion-impl.js')");
  });
});

// --- The scripts in real shells -------------------------------------------------------------

const SHELLS = ['bash', 'zsh', 'fish'] as const;
const available = Object.fromEntries(SHELLS.map((s) => [s, spawnSync('sh', ['-c', `command -v ${s}`]).status === 0])) as Record<(typeof SHELLS)[number], boolean>;
const missingShells = SHELLS.filter((s) => !available[s]);
// CI sets MESHCTL_REQUIRE_SHELLS so that a missing shell fails the run instead of skipping its tests.
if (missingShells.length && process.env.MESHCTL_REQUIRE_SHELLS) {
  throw new Error(`MESHCTL_REQUIRE_SHELLS is set but ${missingShells.join(', ')} ${missingShells.length > 1 ? 'are' : 'is'} not installed`);
}
const shellTitle = (shell: (typeof SHELLS)[number]) => (available[shell] ? `${shell}` : `${shell} [skipped: ${shell} is not installed; CI installs it]`);

const built = existsSync(join(repoRoot, 'dist/meshctl.js'));
const bin = join(tmp, 'bin');
const work = join(tmp, 'work');
const scripts: Record<string, string> = {};
const shellEnv = () => ({ PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: tmp, KUBECONFIG: kubeconfig, XDG_DATA_HOME: join(tmp, 'share'), XDG_CONFIG_HOME: join(tmp, 'config') });

/** Shell-quotes a word for bash, zsh and fish (single quotes; a quote inside is closed, escaped and reopened). */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the scripts in real shells', () => {
  beforeAll(async () => {
    // An installed meshctl: a command on PATH that runs the built package.
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'meshctl'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(join(repoRoot, 'bin/meshctl'))} "$@"\n`);
    chmodSync(join(bin, 'meshctl'), 0o755);
    mkdirSync(join(work, 'k8s'), { recursive: true });
    for (const f of ['app.yaml', 'app-2.yaml', 'k8s/svc.yaml']) writeFileSync(join(work, f), 'kind: Service\n');
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await execa('meshctl', ['completion', shell], { env: shellEnv(), reject: false });
      scripts[shell] = join(tmp, `meshctl.${shell}`);
      writeFileSync(scripts[shell]!, r.stdout + '\n');
    }
  }, 120_000);

  it('run the built meshctl, which knows the completion command (npm test builds first; run "npm run build" before vitest alone)', async () => {
    expect(built).toBe(true);
    const r = await execa('meshctl', ['__complete', '--', 'prof'], { env: shellEnv(), reject: false });
    expect(r.stdout).toBe('profile\tList, show and compare install profiles\n:');
  }, 60_000);

  it('the build loads the completion engine only for completion, and never the cluster client with it', async () => {
    const { readFileSync } = await import('node:fs');
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string }[] }> };
    /** The inputs of a chunk and of every chunk it imports statically. */
    const staticInputs = (start: string) => {
      const seen = new Set<string>();
      const todo = [start];
      while (todo.length) {
        const chunk = todo.pop()!;
        if (seen.has(chunk) || !meta.outputs[chunk]) continue;
        seen.add(chunk);
        todo.push(...meta.outputs[chunk]!.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path));
      }
      return [...seen].flatMap((c) => Object.keys(meta.outputs[c]!.inputs));
    };
    const entry = Object.keys(meta.outputs).find((k) => meta.outputs[k]!.entryPoint === 'src/main.ts')!;
    expect(staticInputs(entry)).toContain('src/cli/completion.ts');
    expect(staticInputs(entry).filter((i) => /completion-(impl|scripts)|kubeconfig-contexts/.test(i))).toStrictEqual([]);
    const engine = Object.keys(meta.outputs).find((k) => 'src/cli/completion-impl.ts' in meta.outputs[k]!.inputs)!;
    expect(engine).toBeDefined();
    expect(staticInputs(engine).filter((i) => i.includes('@kubernetes/client-node') || i.includes('src/kube/client'))).toStrictEqual([]);
  });

  describe.skipIf(!available.bash)(shellTitle('bash'), () => {
    /** Bash lines that complete `line` (the cursor at its end) and print the candidates, one per line, after a "== line" header. */
    const bashAsk = (line: string) => `
COMP_LINE=${q(line)}; COMP_POINT=\${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"; case $COMP_LINE in *' ') COMP_WORDS+=('') ;; esac
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); OPTS=''
__meshctl_complete
echo "== ${line.replace(/["$`\\]/g, '\\$&')}"; [ -n "$OPTS" ] && echo "opts:$OPTS"; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const lines = ['meshctl prof', 'meshctl profile ', 'meshctl profile dump de', 'meshctl manifest generate --set profile=', 'meshctl install --set=profile=mi',
      'meshctl manifest generate --set ', 'meshctl --context ', 'meshctl --context=arn:aws:eks:eu', 'meshctl analyze -n ', 'meshctl kube-inject -f app', 'meshctl kube-inject -f k8',
      'meshctl x precheck -o ', 'meshctl analyze --output-thr'];
    /** Parses the printed blocks into line -> candidates (and compopt options given). */
    const parse = (stdout: string) => {
      const out: Record<string, string[]> = {};
      let key = '';
      for (const l of stdout.split('\n')) {
        if (l.startsWith('== ')) out[key = l.slice(3)] = [];
        else if (l !== '' && key) out[key]!.push(l);
      }
      return out;
    };
    const expected = {
      'meshctl prof': ['profile'],
      'meshctl profile ': ['diff', 'dump', 'list'],
      'meshctl profile dump de': ['default', 'demo'],
      // bash replaces only the text after "=" (a COMP_WORDBREAKS character).
      'meshctl manifest generate --set profile=': ['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable'],
      'meshctl install --set=profile=mi': ['minimal'],
      'meshctl manifest generate --set ': ['opts: nospace', 'profile=', 'revision=', 'namespace=', 'hub=', 'tag=', 'components.', 'values.', 'meshConfig.'],
      'meshctl --context ': ['staging', 'prod', 'arn:aws:eks:eu-west-1:123456789012:cluster/edge'],
      // and after ":" as well.
      'meshctl --context=arn:aws:eks:eu': ['eu-west-1:123456789012:cluster/edge'],
      'meshctl analyze -n ': ['shop', 'payments', 'default'],
      'meshctl kube-inject -f app': ['opts: filenames', 'app-2.yaml', 'app.yaml'],
      'meshctl kube-inject -f k8': ['opts: filenames', 'k8s'],
      'meshctl x precheck -o ': ['log', 'json', 'yaml'],
      'meshctl analyze --output-thr': ['--output-threshold'],
    };
    const stubCompopt = `compopt() { OPTS="$OPTS $2"; }`;

    it('completes commands, flags, profiles, contexts, namespaces and files (no bash-completion loaded)', async () => {
      const program = [`source ${q(scripts.bash!)}`, stubCompopt, `complete -p meshctl`, ...lines.map(bashAsk)].join('\n');
      const r = await execa('bash', ['--norc', '--noprofile', '-c', program], { cwd: work, env: shellEnv(), reject: false });
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')[0]).toBe('complete -F __meshctl_complete meshctl');
      const got = parse(r.stdout);
      for (const [line, want] of Object.entries(expected)) {
        const sorted = (a: string[]) => [...a.filter((x) => x.startsWith('opts:')), ...a.filter((x) => !x.startsWith('opts:')).sort()];
        expect(sorted(got[line] ?? []), line).toStrictEqual(sorted(want));
      }
    }, 180_000);

    const bashCompletion = '/usr/share/bash-completion/bash_completion';
    if (!existsSync(bashCompletion) && process.env.MESHCTL_REQUIRE_SHELLS) {
      it('has bash-completion installed (MESHCTL_REQUIRE_SHELLS is set)', () => {
        expect.fail(`MESHCTL_REQUIRE_SHELLS is set but ${bashCompletion} does not exist`);
      });
    }
    it.skipIf(!existsSync(bashCompletion))(`works when bash-completion loads it on demand from its completions directory${existsSync(bashCompletion) ? '' : ' [skipped: bash-completion is not installed]'}`, async () => {
      mkdirSync(join(tmp, 'share/bash-completion/completions'), { recursive: true });
      const { readFileSync } = await import('node:fs');
      writeFileSync(join(tmp, 'share/bash-completion/completions/meshctl'), readFileSync(scripts.bash!, 'utf8'));
      const program = [`source ${bashCompletion}`, `_completion_loader meshctl`, stubCompopt, 'complete -p meshctl',
        bashAsk('meshctl manifest generate --set profile=de'), bashAsk('meshctl --context=pr')].join('\n');
      const r = await execa('bash', ['--norc', '--noprofile', '-c', program], { cwd: work, env: shellEnv(), reject: false });
      expect(r.stdout.split('\n')[0]).toBe('complete -F __meshctl_complete meshctl');
      const got = parse(r.stdout);
      expect(got['meshctl manifest generate --set profile=de']).toStrictEqual(['default', 'demo']);
      expect(got['meshctl --context=pr']).toStrictEqual(['prod']);
    }, 120_000);

    it('gives no candidates and prints nothing when meshctl is not on PATH', async () => {
      const program = [`source ${q(scripts.bash!)}`, stubCompopt, bashAsk('meshctl prof')].join('\n');
      const r = await execa('bash', ['--norc', '--noprofile', '-c', program], { cwd: work, env: { ...shellEnv(), PATH: '/usr/bin:/bin' }, reject: false });
      expect(r.stderr).toBe('');
      expect(parse(r.stdout)['meshctl prof']).toStrictEqual([]);
    }, 60_000);
  });

  describe.skipIf(!available.zsh)(shellTitle('zsh'), () => {
    // compadd and _files work only inside a completion widget; outside one they are stubbed to
    // print what the completion function handed them: the candidates and the options.
    const stubs = `
compadd() { local -a got; got=("\${(@P)\${@[-1]}}"); print -r -- "compadd \${(j: :)\${@[1,-3]}} | \${(j:|:)got}"; }
_files() { print -r -- "_files"; }
compset() { print -r -- "compset $*"; }
ask() { words=("\${(@z)1}"); [[ $1 == *' ' ]] && words+=(''); CURRENT=\${#words}; PREFIX=$words[-1]; print -r -- "== $1"; _meshctl; }
`;
    const lines = ['meshctl prof', 'meshctl profile dump ', 'meshctl manifest generate --set ', 'meshctl --context ', `meshctl --kubeconfig ${otherKubeconfig} analyze -n `, 'meshctl kube-inject --filename=a', 'meshctl completion '];
    const check = (stdout: string) => {
      expect(stdout).toContain('== meshctl prof\ncompadd -l -d shown | profile\n');
      expect(stdout).toContain('== meshctl profile dump \ncompadd -l -d shown | ambient|default|demo|empty|minimal|openshift|openshift-ambient|preview|remote|stable\n');
      expect(stdout).toContain("== meshctl manifest generate --set \ncompadd -l -d shown -S  | profile=|revision=|namespace=|hub=|tag=|components.|values.|meshConfig.\n");
      expect(stdout).toContain('== meshctl --context \ncompadd -l -d shown | staging|prod|arn:aws:eks:eu-west-1:123456789012:cluster/edge\n');
      expect(stdout).toContain('analyze -n \ncompadd -l -d shown | lab-ns|default\n');
      expect(stdout).toContain('== meshctl kube-inject --filename=a\ncompset -P *=\n_files\n');
      expect(stdout).toContain('== meshctl completion \ncompadd  | bash|zsh|fish|powershell');
    };

    it('completes when sourced after compinit', async () => {
      const program = ['autoload -U compinit && compinit -u -d "$HOME/.zcompdump"', `source ${q(scripts.zsh!)}`, 'print -r -- "registered: $_comps[meshctl]"', stubs, ...lines.map((l) => `ask ${q(l)}`)].join('\n');
      const r = await execa('zsh', ['-f', '-c', program], { cwd: work, env: shellEnv(), reject: false });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('registered: _meshctl\n');
      check(r.stdout);
    }, 180_000);

    it('completes when compinit finds it as _meshctl on $fpath', async () => {
      const dir = join(tmp, 'zfunc');
      mkdirSync(dir, { recursive: true });
      const { readFileSync } = await import('node:fs');
      writeFileSync(join(dir, '_meshctl'), readFileSync(scripts.zsh!, 'utf8'));
      const program = [`fpath=(${q(dir)} $fpath)`, 'autoload -U compinit && compinit -u -d "$HOME/.zcompdump-fpath"', 'print -r -- "registered: $_comps[meshctl]"', stubs, ...lines.map((l) => `ask ${q(l)}`)].join('\n');
      const r = await execa('zsh', ['-f', '-c', program], { cwd: work, env: shellEnv(), reject: false });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('registered: _meshctl\n');
      check(r.stdout);
    }, 180_000);

    it('completes at a real Tab in an interactive zsh (zpty): the real compadd, _files and suffixes', async () => {
      // A driver zsh runs an interactive zsh in a pseudo-terminal (its zpty module), types each
      // line, a Tab and a Z (which keeps the space zsh adds after a whole word), then wraps the
      // edited line in a print to a log file, so no screen is parsed.
      const driver = join(tmp, 'zpty-driver.zsh');
      const log = join(tmp, 'zpty.log');
      writeFileSync(driver, `zmodload zsh/zpty || exit 3
LOG=$1 SCRIPT=$2; shift 2
: > $LOG
zpty z zsh -f -i
zpty -w z "bindkey -e; PS1='> '; autoload -U compinit && compinit -u -d \\$HOME/.zcompdump-pty; source \${(q)SCRIPT}"
for line in "$@"; do
  zpty -w -n z "$line"$'\\tZ'
  zpty -w z $'\\x05\\x01print -r -- "[LINE:'$'\\x05'']" >> '\${(q)LOG}
done
zpty -w z "print -r -- DONE >> \${(q)LOG}"
# Drain the terminal while waiting (a full pseudo-terminal would block the shell), keeping what it showed.
screen=''
for i in {1..1200}; do
  while zpty -rt z chunk; do screen+=$chunk; done
  grep -qx DONE $LOG 2>/dev/null && break
  sleep 0.1
done
zpty -d z
cat $LOG
print -r -- "--- screen"
print -r -- "$screen"
`);
      const lines = ['meshctl prof', 'meshctl manifest generate --set pro', 'meshctl profile dump mi', 'meshctl --context=pr', 'meshctl analyze -n pay',
        'meshctl kube-inject -f app-', 'meshctl x precheck -o ya'];
      const r = await execa('zsh', ['-f', driver, log, scripts.zsh!, ...lines], { cwd: work, env: shellEnv(), reject: false });
      expect(r.exitCode).toBe(0);
      const [edited, screen] = r.stdout.split('\n--- screen\n');
      // No error of the script or of _files reached the terminal.
      expect(screen).not.toMatch(/no matches found|command not found|\(eval\)|_meshctl:/);
      expect(edited!.split('\n')).toStrictEqual([
        '[LINE:meshctl profile Z]',
        '[LINE:meshctl manifest generate --set profile=Z]',
        '[LINE:meshctl profile dump minimal Z]',
        '[LINE:meshctl --context=prod Z]',
        '[LINE:meshctl analyze -n payments Z]',
        '[LINE:meshctl kube-inject -f app-2.yaml Z]',
        '[LINE:meshctl x precheck -o yaml Z]',
        'DONE',
      ]);
    }, 180_000);

    it('says how to load it when sourced before compinit', async () => {
      const r = await execa('zsh', ['-f', '-c', `source ${q(scripts.zsh!)}`], { env: shellEnv(), reject: false });
      expect(r.stderr).toBe('meshctl completion: load it after "autoload -U compinit && compinit"');
    }, 60_000);
  });

  describe.skipIf(!available.fish)(shellTitle('fish'), () => {
    it('completes commands, flags, profiles, contexts, namespaces and files', async () => {
      const lines = ['meshctl prof', 'meshctl profile dump ', 'meshctl manifest generate --set profile=m', 'meshctl --context ', 'meshctl analyze -n ', 'meshctl kube-inject -f app', 'meshctl kube-inject --filename=k8', 'meshctl analyze --output-t'];
      const program = [`source ${q(scripts.fish!)}`, ...lines.map((l) => `echo ${q(`== ${l}`)}; complete -C ${q(l)}`)].join('\n');
      const r = await execa('fish', ['--no-config', '-c', program], { cwd: work, env: shellEnv(), reject: false });
      expect(r.stderr).toBe('');
      const blocks = Object.fromEntries(r.stdout.split(/^== /m).filter(Boolean).map((b) => {
        const [head, ...rest] = b.split('\n');
        return [head!, rest.filter(Boolean).map((l) => l.split('\t')[0]!)];
      }));
      expect(blocks['meshctl prof']).toStrictEqual(['profile']);
      expect(blocks['meshctl profile dump ']).toStrictEqual(['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable']);
      expect(blocks['meshctl manifest generate --set profile=m']).toStrictEqual(['profile=minimal']);
      expect([...blocks['meshctl --context ']!].sort()).toStrictEqual(['arn:aws:eks:eu-west-1:123456789012:cluster/edge', 'prod', 'staging']);
      expect([...blocks['meshctl analyze -n ']!].sort()).toStrictEqual(['default', 'payments', 'shop']);
      expect([...blocks['meshctl kube-inject -f app']!].sort()).toStrictEqual(['app-2.yaml', 'app.yaml']);
      expect(blocks['meshctl kube-inject --filename=k8']).toStrictEqual(['--filename=k8s/']);
      expect(blocks['meshctl analyze --output-t']).toStrictEqual(['--output-threshold']);
    }, 180_000);
  });
});
