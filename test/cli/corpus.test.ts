/**
 * The bad-input corpus: every hostile input of test/testdata/hostile/ (and the binary, huge and
 * special ones made here at run time) through the commands that take files. Each row is
 * (command, input, exit code, position `line:column` or message substring); every run also asserts
 * no stack trace, an error naming the file, the input unchanged (content, mode, link), and no
 * partial output (`-o` and `--in-place` leave the old file, no temporary file stays behind). A
 * generous time bound per run catches a hang. Most rows run in-process; a subset runs the real
 * `bin/meshctl` so what Node itself prints is seen too.
 *
 * Rows whose expected behaviour belongs to work not landed yet are in PENDING (with the reason)
 * and run only with `CORPUS_PENDING=1`.
 */
import { createHash } from 'node:crypto';
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync,
  statSync, symlinkSync, truncateSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, run, type RunResult } from '../helpers.js';
import { BINARY_ROWS, EXPECTED, PENDING, type CommandId, type Outcome } from './corpus-table.js';

/** Upper bound for one run: far above any normal run, so only a hang trips it. */
const HANG_MS = 60_000;
const HOSTILE = join(repoRoot, 'test/testdata/hostile');
const VALID = join(HOSTILE, 'valid-deployment.yaml');
/** What an `-o` file holds before each run; a failed run must leave it so. */
const SENTINEL = '# written by the corpus test: a failed run leaves this file as it is\n';
const isRoot = process.getuid?.() === 0;
const built = existsSync(join(repoRoot, 'dist/meshctl.js'));
const withPending = process.env.CORPUS_PENDING === '1';

/** Where one run happens: the input, an `-o` target holding SENTINEL, a valid workload for flags that need one. */
interface Work {
  dir: string;
  input: string;
  out: string;
  base: string;
}

/** Every file-taking command, with how the input is passed. */
const COMMANDS = {
  'inject': { argv: (w: Work) => ['kube-inject', '-f', w.input, '-o', w.out], writes: 'out' },
  'inject-in-place': { argv: (w: Work) => ['kube-inject', '-f', w.input, '--in-place'], writes: 'in-place' },
  'uninject': { argv: (w: Work) => ['kube-uninject', '-f', w.input] },
  'uninject-in-place': { argv: (w: Work) => ['kube-uninject', '-f', w.input, '--in-place'], writes: 'in-place' },
  'validate': { argv: (w: Work) => ['validate', '-f', w.input] },
  'analyze': { argv: (w: Work) => ['analyze', '--use-kube=false', w.input] },
  'manifest-diff': { argv: (w: Work) => ['manifest', 'diff', w.input, w.base] },
  'generate': { argv: (w: Work) => ['manifest', 'generate', '-f', w.input, '-o', w.out], writes: 'out' },
  'dump': { argv: (w: Work) => ['profile', 'dump', '-f', w.input] },
  'profile-diff': { argv: (w: Work) => ['profile', 'diff', w.input, 'default'] },
  // No kubeconfig anywhere (the in-process environment is empty): a bad file must be refused first.
  'install': { argv: (w: Work) => ['install', '-f', w.input, '--dry-run'] },
  'verify-install': { argv: (w: Work) => ['verify-install', '-f', w.input] },
  'operator-file': { argv: (w: Work) => ['kube-inject', '-f', w.base, '--operatorFileName', w.input] },
  'mesh-config': { argv: (w: Work) => ['kube-inject', '-f', w.base, '--meshConfigFile', w.input] },
  'inject-config': { argv: (w: Work) => ['kube-inject', '-f', w.base, '--injectConfigFile', w.input] },
  'values': { argv: (w: Work) => ['kube-inject', '-f', w.base, '--valuesFile', w.input] },
  'analyze-mesh-config': { argv: (w: Work) => ['analyze', '--use-kube=false', w.base, '--meshConfigFile', w.input] },
  'analyze-mesh-networks': { argv: (w: Work) => ['analyze', '--use-kube=false', w.base, '--meshNetworksFile', w.input] },
} satisfies Record<CommandId, { argv: (w: Work) => string[]; writes?: 'out' | 'in-place' }>;

const ALL = Object.keys(COMMANDS) as CommandId[];
/**
 * Syntax errors are found by one parser, so each syntax input goes through the cheap readers and,
 * taking turns, one of kube-inject (which has its own JSON path) and analyze, the two slow ones.
 */
const SYNTAX: CommandId[] = ['uninject', 'validate', 'generate'];
const SHAPE: CommandId[] = ['inject', 'uninject', 'validate', 'analyze'];
const IOP: CommandId[] = ['generate', 'dump', 'profile-diff', 'install', 'verify-install', 'operator-file', 'validate'];
const CONFIG: CommandId[] = ['mesh-config', 'inject-config', 'values', 'analyze-mesh-config', 'analyze-mesh-networks', 'validate'];
/** Inputs that go through every command, config-file flags included. */
const EVERYWHERE = new Set([
  'yaml-bad-indent-map.yaml', 'yaml-duplicate-key.yaml', 'yaml-alias-bomb.yaml', 'yaml-alias-undeclared.yaml',
  'yaml-alias-self-reference.yaml', 'yaml-multi-doc-second-bad.yaml', 'json-trailing-comma.json', 'json-duplicate-key.json',
  'empty.yaml', 'valid-deployment.yaml',
]);

/** One corpus input: how it is made in the run's directory, and the commands it goes through. */
interface Input {
  name: string;
  commands: readonly CommandId[];
  /** Creates the input in `dir` and returns the path given to the command; `cleanup` registers what to undo after the run. */
  make: (dir: string, cleanup: (undo: () => Promise<void> | void) => void) => string | Promise<string>;
  /** Text written into a FIFO input by another process while the command reads it. */
  feed?: string;
  /** Root reads a mode-000 file anyway: as root, this input is expected to behave as the named input. */
  asRoot?: string;
}

/** The commands an input goes through; `turn` alternates the slow commands between syntax inputs. */
function commandsFor(name: string, turn: number): readonly CommandId[] {
  if (EVERYWHERE.has(name)) return ALL;
  if (/^(yaml|json|text|binary|deep|long)-/.test(name) || /^(empty|whitespace|comment|newline)/.test(name)) {
    return [...SYNTAX, turn % 2 === 0 ? 'inject' : 'analyze'];
  }
  if (name.startsWith('shape-')) return SHAPE;
  if (name.startsWith('iop-')) return IOP;
  if (name.startsWith('config-')) return CONFIG;
  return ALL;
}

/** The committed inputs: copied into the run's directory, so `--in-place` cannot touch the repository. */
const FILE_INPUTS: Input[] = readdirSync(HOSTILE).sort().map((name, i) => ({
  name,
  commands: commandsFor(name, i),
  make: (dir: string) => {
    const path = join(dir, name);
    copyFileSync(join(HOSTILE, name), path);
    return path;
  },
}));

/** Deterministic bytes (a linear congruential generator), so a failure can be reproduced. */
function noise(size: number, seed = 13): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const validText = () => readFileSync(VALID, 'utf8');
const write = (name: string, content: string | Buffer) => (dir: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
/** A ConfigMap whose one value is `size` bytes long: large, valid, and not a workload. */
const bigConfigMap = (size: number, lines: number) => {
  const line = 'x'.repeat(Math.floor(size / lines));
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n  blob: |\n${`    ${line}\n`.repeat(lines)}`;
};

/** Inputs made at run time: binary, huge, badly encoded and special files. */
const MADE_INPUTS: Input[] = [
  { name: 'binary-random.yaml', commands: ALL, make: write('binary-random.yaml', noise(4096)) },
  { name: 'binary-png-header.yaml', commands: commandsFor('binary-png-header.yaml', 0), make: write('binary-png-header.yaml', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')) },
  { name: 'binary-elf-header.yaml', commands: commandsFor('binary-elf-header.yaml', 1), make: write('binary-elf-header.yaml', Buffer.concat([Buffer.from('7f454c46020101000000000000000000', 'hex'), noise(48, 7)])) },
  { name: 'text-nul-byte.yaml', commands: commandsFor('text-nul-byte.yaml', 0), make: (d) => write('text-nul-byte.yaml', validText().replace('image: nginx', 'image: ngi\u0000nx'))(d) },
  { name: 'text-latin1.yaml', commands: ALL, make: (d) => write('text-latin1.yaml', Buffer.from(validText().replace('image: nginx', 'image: nginx # caf\u00e9'), 'latin1'))(d) },
  { name: 'text-utf16le-bom.yaml', commands: ALL, make: (d) => write('text-utf16le-bom.yaml', Buffer.from(`\uFEFF${validText()}`, 'utf16le'))(d) },
  { name: 'text-utf16be-bom.yaml', commands: commandsFor('text-utf16be-bom.yaml', 1), make: (d) => write('text-utf16be-bom.yaml', Buffer.from(`\uFEFF${validText()}`, 'utf16le').swap16())(d) },
  { name: 'text-utf16le.yaml', commands: commandsFor('text-utf16le.yaml', 0), make: (d) => write('text-utf16le.yaml', Buffer.from(validText(), 'utf16le'))(d) },
  { name: 'deep-flow-seq.yaml', commands: ALL, make: write('deep-flow-seq.yaml', `${'['.repeat(10_000)}${']'.repeat(10_000)}\n`) },
  { name: 'deep-flow-map.yaml', commands: commandsFor('deep-flow-map.yaml', 1), make: write('deep-flow-map.yaml', `${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`) },
  { name: 'deep-flow-map.json', commands: commandsFor('deep-flow-map.json', 0), make: write('deep-flow-map.json', `${'{"a": '.repeat(10_000)}1${'}'.repeat(10_000)}\n`) },
  { name: 'long-line.yaml', commands: commandsFor('long-line.yaml', 1), make: write('long-line.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long, namespace: default}\ndata: {line: ${'y'.repeat(1 << 20)}}\n`) },
  { name: 'huge-scalar-20mb.yaml', commands: ['inject', 'validate'], make: write('huge-scalar-20mb.yaml', bigConfigMap(20 << 20, 1)) },
  { name: 'huge-valid-20mb.yaml', commands: ['uninject', 'validate'], make: write('huge-valid-20mb.yaml', bigConfigMap(20 << 20, 200_000)) },
  {
    // Sparse (truncate extends with a hole): 300 MB long without 300 MB of disk.
    name: 'over-256mib.yaml', commands: ALL, make: (dir) => {
      const path = join(dir, 'over-256mib.yaml');
      writeFileSync(path, '');
      truncateSync(path, 300 * 1024 * 1024);
      return path;
    },
  },
  { name: 'dev-null', commands: ALL, make: () => '/dev/null' },
  { name: 'dev-zero', commands: ['mesh-config', 'inject-config', 'values', 'analyze-mesh-config', 'analyze-mesh-networks', 'operator-file', 'install'], make: () => '/dev/zero' },
  { name: 'directory.yaml', commands: ALL, make: (dir) => { mkdirSync(join(dir, 'directory.yaml')); return join(dir, 'directory.yaml'); } },
  { name: 'dangling-link.yaml', commands: ALL, make: (dir) => { symlinkSync('missing.yaml', join(dir, 'dangling-link.yaml')); return join(dir, 'dangling-link.yaml'); } },
  {
    name: 'link-loop.yaml', commands: ALL, make: (dir) => {
      symlinkSync('link-loop-b.yaml', join(dir, 'link-loop.yaml'));
      symlinkSync('link-loop.yaml', join(dir, 'link-loop-b.yaml'));
      return join(dir, 'link-loop.yaml');
    },
  },
  {
    name: 'link-to-bad.yaml', commands: ['inject', 'inject-in-place', 'uninject-in-place', 'validate', 'analyze', 'generate'], make: (dir) => {
      copyFileSync(join(HOSTILE, 'yaml-bad-indent-map.yaml'), join(dir, 'target.yaml'));
      symlinkSync('target.yaml', join(dir, 'link-to-bad.yaml'));
      return join(dir, 'link-to-bad.yaml');
    },
  },
  {
    name: 'mode-000.yaml', commands: ALL, asRoot: 'valid-deployment.yaml', make: (dir) => {
      const path = join(dir, 'mode-000.yaml');
      copyFileSync(VALID, path);
      chmodSync(path, 0o000);
      return path;
    },
  },
  { name: 'fifo.yaml', commands: ALL, feed: readFileSync(join(HOSTILE, 'yaml-bad-indent-map.yaml'), 'utf8'), make: (dir) => {
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    return join(dir, 'fifo.yaml');
  } },
  {
    name: 'socket.yaml', commands: ALL, make: async (dir, cleanup) => {
      const path = join(dir, 'socket.yaml');
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(path, resolve));
      cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return path;
    },
  },
];

const INPUTS: Input[] = [...FILE_INPUTS, ...MADE_INPUTS];

/** What a file looks like from outside: link or not, mode, content digest. */
function fingerprint(path: string): string {
  let link: string;
  try {
    link = lstatSync(path).isSymbolicLink() ? `link->${readlinkSync(path)}` : 'file';
  } catch {
    return 'absent';
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    return `${link} (target absent)`;
  }
  const mode = (st.mode & 0o7777).toString(8);
  if (!st.isFile() || (st.mode & 0o444) === 0 || st.size > 64 << 20) return `${link} mode ${mode} size ${st.size}`;
  return `${link} mode ${mode} sha256 ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/** The files of a run's directory and the fingerprint of each (a leftover temporary file shows up here). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, fingerprint(join(dir, name))]));
}

/** Signs of a crash rather than a message meant for people. */
const CRASH = /^\s+at |node:internal|\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|\[object Object\]|\bundefined\b|\bNaN\b/m;

/** Runs `argv` with `feed` written into the FIFO at `fifo` by another process meanwhile. */
async function withFeeder<T>(fifo: string | undefined, feed: string | undefined, body: () => Promise<T>): Promise<T> {
  if (fifo === undefined || feed === undefined) return body();
  const writer = spawn('sh', ['-c', 'printf %s "$1" > "$2"', 'sh', feed, fifo], { stdio: 'ignore' });
  try {
    return await body();
  } finally {
    // A command that never opened the FIFO leaves the writer blocked in open(): end it.
    if (writer.exitCode === null) writer.kill('SIGKILL');
  }
}

/** The result of one corpus run and what the directory looked like around it. */
interface RunRecord {
  result: RunResult;
  input: string;
  work: Work;
  before: Record<string, string>;
  after: Record<string, string>;
}

/** Runs meshctl with `argv` for a run in `work`. */
type Runner = (argv: string[], work: Work) => Promise<RunResult>;

/** Makes the input in a fresh directory, runs the command on it, and records the directory before and after. */
async function runOnce(input: Input, id: CommandId, runner: Runner): Promise<RunRecord> {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-corpus-'));
  const undo: (() => Promise<void> | void)[] = [];
  try {
    const base = join(dir, 'base.yaml');
    copyFileSync(VALID, base);
    const out = join(dir, 'out.yaml');
    writeFileSync(out, SENTINEL);
    const path = await input.make(dir, (u) => undo.push(u));
    const work = { dir, input: path, out, base };
    const before = snapshot(dir);
    const result = await withFeeder(input.feed === undefined ? undefined : path, input.feed, () => runner(COMMANDS[id].argv(work), work));
    return { result, input: path, work, before, after: snapshot(dir) };
  } finally {
    for (const u of undo) await u();
    // A mode-000 file inside is removable (the directory is writable).
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts everything a corpus row promises about one run. */
function check(rec: RunRecord, id: CommandId, outcome: Outcome): void {
  const { result, input, work } = rec;
  const shown = (s: string) => s.split(work.dir).join('<dir>');
  const context = `${COMMANDS[id].argv(work).join(' ')}\nexit ${result.code}\nstderr: ${shown(result.stderr).slice(0, 2000)}`;
  const [code, detail] = outcome;
  expect(result.code, context).toBe(code);
  expect(shown(result.stderr), `a crash, not a message\n${context}`).not.toMatch(CRASH);
  // An input refused (65) or an invalid object in it (1) is named; a usage error (64: no cluster) is not about it.
  if (code === 65 || code === 1) expect(result.stderr, `the error names the file\n${context}`).toContain(input);
  if (code !== 0 && code !== 79) {
    if (id !== 'validate' && id !== 'analyze') {
      // One error, on one line (a warning may precede it).
      const errors = result.stderr.split('\n').filter((l) => l.startsWith('Error: '));
      expect(errors, `one error line\n${context}`).toHaveLength(1);
    }
  }
  if (detail !== undefined) {
    if (/^\d+:\d+$/.test(detail)) expect(result.stderr, context).toContain(`${input}:${detail}`);
    else expect(result.stderr + result.stdout, context).toContain(detail);
  }
  const writes = (COMMANDS[id] as { writes?: string }).writes;
  const changed = Object.keys({ ...rec.before, ...rec.after }).filter((n) => rec.before[n] !== rec.after[n]);
  // Only an output the command was asked for may change, and only when it succeeded.
  const allowed = code !== 0 ? [] : writes === 'out' ? ['out.yaml'] : writes === 'in-place' ? [input.slice(work.dir.length + 1), 'target.yaml'] : [];
  expect(changed.filter((n) => !allowed.includes(n)), `files changed or left behind\n${context}`).toStrictEqual([]);
}

/**
 * Where the launcher keeps its code cache during the corpus (XDG_CACHE_HOME): outside the runs'
 * directories, which HOME points at and which must be left as they were.
 */
const binaryCache = mkdtempSync(join(tmpdir(), 'meshctl-corpus-cache-'));

/** Runs the real launcher, as a user would, with no kubeconfig in reach (HOME is the run's directory). */
const runBinary: Runner = (argv, work) => new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work.dir, XDG_CACHE_HOME: binaryCache, NO_COLOR: '1' };
    execFile(process.execPath, [join(repoRoot, 'bin/meshctl'), ...argv], { env, timeout: HANG_MS, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err && (err.killed || err.signal)) {
        reject(new Error(`meshctl ${argv.join(' ')} did not end within ${HANG_MS} ms (or was killed: ${err.signal})`));
        return;
      }
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ code, stdout, stderr });
    });
  });

/** Counts for the score line. */
const score = { runs: 0, passed: 0, inputs: new Set<string>() };

/** Registers one row as a test; `runner` is in-process unless given. */
function row(input: Input, id: CommandId, outcome: Outcome | undefined, runner: Runner = (argv) => run(argv)): void {
  const title = `${id} ${input.name}${outcome ? ` -> ${outcome[0]}${outcome[1] ? ` ${outcome[1]}` : ''}` : ''}`;
  it(title, { timeout: HANG_MS }, async () => {
    score.runs++;
    score.inputs.add(input.name);
    const rec = await runOnce(input, id, runner);
    if (process.env.CORPUS_RECORD) {
      recorded.push({ input: input.name, id, code: rec.result.code, path: rec.input, stderr: rec.result.stderr.split(rec.work.dir).join('<dir>') });
      return;
    }
    expect(outcome, `no expectation for ${id} ${input.name}: add one to EXPECTED`).toBeDefined();
    check(rec, id, outcome!);
    score.passed++;
  });
}

const recorded: { input: string; id: CommandId; code: number; path: string; stderr: string }[] = [];

/** Returns the expected outcome of `id` on `input`, from EXPECTED. */
function expected(input: Input, id: CommandId): Outcome | undefined {
  if (input.asRoot !== undefined && isRoot) {
    // meshctl still refuses to replace a file without write permission (kube-uninject writes nothing here).
    if (id === 'inject-in-place') return [1, 'the file is read-only'];
    if (pending.has(pendingKey(input.asRoot, id))) return undefined;
    // The same outcome as the readable input, without its message (it names the other file).
    const code = expected(INPUTS.find((i) => i.name === input.asRoot)!, id)?.[0];
    return code === undefined ? undefined : [code];
  }
  const e = EXPECTED[input.name];
  return e?.[id] ?? e?.['*'];
}

const pendingKey = (input: string, id: CommandId) => `${input} ${id}`;
const pending = new Map(PENDING.map((p) => [pendingKey(p.input, p.command), p]));

describe('bad-input corpus, in-process', () => {
  for (const input of INPUTS) {
    const ids = input.commands.filter((id) => !pending.has(pendingKey(input.name, id)))
      // As root a mode-000 input is read: rows its readable twin has pending wait with it.
      .filter((id) => !(input.asRoot !== undefined && isRoot && expected(input, id) === undefined));
    if (ids.length === 0) continue;
    describe(input.name, () => {
      for (const id of ids) row(input, id, expected(input, id));
    });
  }
});

describe.runIf(built)('bad-input corpus, through bin/meshctl', () => {
  const byName = new Map(INPUTS.map((i) => [i.name, i]));
  for (const [name, id] of BINARY_ROWS) {
    const input = byName.get(name);
    if (!input) throw new Error(`BINARY_ROWS names an unknown input ${name}`);
    row(input, id, expected(input, id), runBinary);
  }
});

describe.runIf(withPending && PENDING.length > 0)('bad-input corpus, rows waiting for other work', () => {
  const byName = new Map(INPUTS.map((i) => [i.name, i]));
  for (const p of PENDING) row(byName.get(p.input)!, p.command, p.outcome);
});

afterAll(() => {
  rmSync(binaryCache, { recursive: true, force: true });
  if (process.env.CORPUS_RECORD) writeFileSync(process.env.CORPUS_RECORD, JSON.stringify(recorded, null, 1));
  console.log(`corpus: ${score.inputs.size} inputs, ${score.runs} runs, passed ${score.passed}`);
});
