/**
 * Writing files and stdout: `--in-place` and `-o` keep the mode, owner and symlinks of what they
 * replace, refuse read-only files, leave nothing behind when they fail; write errors on stdout are
 * one-line errors (exit 1), a reader that goes away (EPIPE) ends the run quietly.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, copyFileSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { nodeFileSystem } from '../../src/system.js';
import { fdOutStream, processOutStream } from '../../src/system-write.js';
import { repoRoot, run, testDeps } from '../helpers.js';

const workload = join(repoRoot, 'test/testdata/inject/input/deployment-comments.yaml');
const isRoot = process.getuid?.() === 0;

/** A fresh directory holding a copy of the workload as `name`. */
function workdir(name = 'app.yaml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-writes-'));
  const file = join(dir, name);
  copyFileSync(workload, file);
  return { dir, file };
}

const mode = (path: string) => statSync(path).mode & 0o7777;

describe('--in-place and -o keep what they replace', () => {
  for (const m of [0o600, 0o640]) {
    it(`keeps mode ${m.toString(8)} with kube-inject --in-place and kube-uninject --in-place`, async () => {
      const { dir, file } = workdir();
      chmodSync(file, m);
      const injected = await run(['kube-inject', '-f', file, '--in-place']);
      expect(injected.code).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain('istio-proxy');
      expect(mode(file)).toBe(m);
      const back = await run(['kube-uninject', '-f', file, '--in-place']);
      expect(back.code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(readFileSync(workload, 'utf8'));
      expect(mode(file)).toBe(m);
      expect(readdirSync(dir)).toStrictEqual(['app.yaml']);
    });
  }

  it('keeps the mode of a file manifest generate -o and kube-inject -o replace', async () => {
    const { dir } = workdir();
    const out = join(dir, 'out.yaml');
    writeFileSync(out, 'old\n', { mode: 0o600 });
    chmodSync(out, 0o600);
    const gen = await run(['manifest', 'generate', '-o', out]);
    expect(gen.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('kind: CustomResourceDefinition');
    expect(mode(out)).toBe(0o600);
    chmodSync(out, 0o640);
    const inj = await run(['kube-inject', '-f', join(dir, 'app.yaml'), '-o', out]);
    expect(inj.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('istio-proxy');
    expect(mode(out)).toBe(0o640);
    expect(readdirSync(dir).sort()).toStrictEqual(['app.yaml', 'out.yaml']);
  });

  it('gives a new -o file the usual mode', async () => {
    const { dir } = workdir();
    const out = join(dir, 'new.yaml');
    expect((await run(['kube-inject', '-f', join(dir, 'app.yaml'), '-o', out])).code).toBe(0);
    expect(mode(out) & 0o600).toBe(0o600);
  });

  it.runIf(isRoot)('keeps the owner and group of a file it replaces, where permitted', async () => {
    const { file } = workdir();
    chownSync(file, 4321, 4322);
    expect((await run(['kube-inject', '-f', file, '--in-place'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('istio-proxy');
    expect(statSync(file).uid).toBe(4321);
    expect(statSync(file).gid).toBe(4322);
  });

  it('writes --in-place through a symlink to its target; the link stays a link', async () => {
    const { dir, file } = workdir('exec.yaml');
    chmodSync(file, 0o640);
    const link = join(dir, 'link.yaml');
    symlinkSync('exec.yaml', link);
    const r = await run(['kube-inject', '-f', link, '--in-place']);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('exec.yaml');
    expect(readFileSync(file, 'utf8')).toContain('istio-proxy');
    expect(mode(file)).toBe(0o640);
    const back = await run(['kube-uninject', '-f', link, '--in-place']);
    expect(back.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(workload, 'utf8'));
    expect(readdirSync(dir).sort()).toStrictEqual(['exec.yaml', 'link.yaml']);
  });

  it('writes -o through a symlink, also one whose target does not exist yet', async () => {
    const { dir } = workdir();
    const sub = mkdtempSync(join(dir, 'sub-'));
    const link = join(dir, 'out.yaml');
    symlinkSync(join(sub, 'real.yaml'), link);
    const r = await run(['manifest', 'generate', '-o', link]);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(sub, 'real.yaml'), 'utf8')).toContain('kind: CustomResourceDefinition');
    expect(readdirSync(sub)).toStrictEqual(['real.yaml']);
  });

  it('refuses to replace a read-only file: exit 1, file and folder unchanged', async () => {
    const { dir, file } = workdir();
    chmodSync(file, 0o444);
    const before = readFileSync(file, 'utf8');
    const r = await run(['kube-inject', '-f', file, '--in-place']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: cannot write ${file}: the file is read-only\n`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(mode(file)).toBe(0o444);
    expect(readdirSync(dir)).toStrictEqual(['app.yaml']);
    const o = await run(['manifest', 'generate', '-o', file]);
    expect(o.code).toBe(1);
    expect(o.stderr).toBe(`Error: cannot write ${file}: the file is read-only\n`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toStrictEqual(['app.yaml']);
  });

  it('refuses to replace what is not a regular file (a FIFO stays a FIFO)', async () => {
    const { dir } = workdir();
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await run(['manifest', 'generate', '-o', fifo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: cannot write ${fifo}: not a regular file\n`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toStrictEqual(['app.yaml', 'pipe.yaml']);
  });

  it.runIf(process.platform === 'linux')('names the path of an -o it cannot create (EPERM/EACCES/EROFS), exit 1', async () => {
    const r = await run(['manifest', 'generate', '-o', '/sys/x.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: cannot write \/sys\/x\.yaml: [a-z ,-]+ \((EPERM|EACCES|EROFS)\)\n$/);
  });

  it('leaves no temporary file behind when the final rename fails', async () => {
    const { dir, file } = workdir();
    const fs = nodeFileSystem();
    // A directory in place of the target: everything up to the rename works, the rename fails.
    const target = mkdtempSync(join(dir, 'target-'));
    await expect(fs.writeAtomic(target, 'x\n')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(readdirSync(dir).sort()).toStrictEqual(['app.yaml', target.slice(dir.length + 1)].sort());
    expect(readdirSync(target)).toStrictEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(workload, 'utf8'));
  });
});

/** A writable that fails every write with the given errno code. */
function failingStream(code: string, message: string): NodeJS.WritableStream {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb(Object.assign(new Error(`${code}: ${message}, write`), { code, errno: -1, syscall: 'write' }));
    },
  });
}

async function runWithStdout(stream: NodeJS.WritableStream, argv: string[]) {
  const { deps, out } = testDeps();
  deps.stdout = processOutStream(stream, 'stdout', false);
  const code = await main(argv, deps);
  return { code, stderr: out().stderr };
}

describe('write errors on stdout', () => {
  it('reports a full disk in one line, exit 1 (manifest generate)', async () => {
    const r = await runWithStdout(failingStream('ENOSPC', 'no space left on device'), ['manifest', 'generate']);
    expect(r.stderr).toBe('Error: writing to stdout: no space left on device (ENOSPC)\n');
    expect(r.code).toBe(1);
  });

  it('reports a full disk in one line, exit 1 (kube-inject)', async () => {
    const r = await runWithStdout(failingStream('ENOSPC', 'no space left on device'), ['kube-inject', '-f', workload]);
    expect(r.stderr).toContain('Error: writing to stdout: no space left on device (ENOSPC)\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
  });

  it('ends quietly with the command\'s own exit code when the reader goes away (EPIPE)', async () => {
    const r = await runWithStdout(failingStream('EPIPE', 'broken pipe'), ['manifest', 'generate']);
    expect(r).toStrictEqual({ code: 0, stderr: '' });
  });

  it('reports the write error beside a failing command and keeps its exit code (analyze findings)', async () => {
    const input = join(repoRoot, 'test/testdata/analyze/bookinfo-broken.yaml');
    const plain = await run(['analyze', '--failure-threshold', 'Info', input]);
    expect(plain.code).toBe(79);
    const r = await runWithStdout(failingStream('ENOSPC', 'no space left on device'), ['analyze', '--failure-threshold', 'Info', input]);
    expect(r.code).toBe(79);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('Error: writing to stdout'))).toStrictEqual(['Error: writing to stdout: no space left on device (ENOSPC)']);
  });

  it('reports a write error of the help text too', async () => {
    const r = await runWithStdout(failingStream('ENOSPC', 'no space left on device'), ['--help']);
    expect(r).toStrictEqual({ code: 1, stderr: 'Error: writing to stdout: no space left on device (ENOSPC)\n' });
  });

  it('passes output through when nothing fails', async () => {
    let text = '';
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString(); cb(); } });
    const r = await runWithStdout(sink, ['version', '--short']);
    expect(r).toStrictEqual({ code: 0, stderr: '' });
    expect(text).toBe('0.0.0-test\n');
  });
});

describe('stdout and stderr written to their descriptors (fdOutStream)', () => {
  /** A stand-in for the Node stream, which must not be asked for unless the descriptor is non-blocking and full. */
  const noStream = (): NodeJS.WritableStream => {
    throw new Error('the Node stream was created');
  };
  const notAsked = (): boolean => {
    throw new Error('isatty was asked');
  };
  /** A new FIFO opened at both ends (the reader never blocks); `writerFlags` are added to the writer's. */
  const fifo = (writerFlags: number): { reader: number; writer: number } => {
    const path = join(mkdtempSync(join(tmpdir(), 'meshctl-fd-')), 'fifo');
    execFileSync('mkfifo', [path]);
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return { reader, writer: openSync(path, constants.O_WRONLY | writerFlags) };
  };

  it('writes every chunk, multi-byte characters included, to a file, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-fd-'));
    const fd = openSync(join(dir, 'out'), 'w');
    const out = fdOutStream(fd, 'stdout', noStream, notAsked);
    const chunks = ['a: 1\n', 'ünïcødé ✓ 🚀\n', 'x'.repeat(300_000), '\n'];
    for (const c of chunks) out.write(c);
    await out.flush();
    closeSync(fd);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(chunks.join(''));
  });

  it('asks whether the descriptor is a terminal only when a command asks, and once', () => {
    let asked = 0;
    const out = fdOutStream(1, 'stdout', noStream, () => (asked++, true));
    expect(asked).toBe(0);
    expect(out.isTTY).toBe(true);
    expect(out.isTTY).toBe(true);
    expect(asked).toBe(1);
  });

  it.runIf(existsSync('/dev/full'))('reports a full disk (ENOSPC) at flush, once, and drops what follows', async () => {
    const fd = openSync('/dev/full', 'w');
    const out = fdOutStream(fd, 'stdout', noStream, notAsked);
    out.write('one\n');
    out.write('two\n');
    await expect(out.flush()).rejects.toThrow(/^writing to stdout: no space left on device \(ENOSPC\)$/);
    closeSync(fd);
  });

  it.runIf(process.platform !== 'win32')('ends quietly when the reader has gone away (EPIPE)', async () => {
    const { reader, writer } = fifo(0);
    closeSync(reader);
    const out = fdOutStream(writer, 'stdout', noStream, notAsked);
    out.write('nobody reads this\n');
    await expect(out.flush()).resolves.toBeUndefined();
    closeSync(writer);
  });

  it.runIf(process.platform !== 'win32')('hands a non-blocking descriptor whose reader is behind (EAGAIN) to the Node stream, keeping every byte in order', async () => {
    const { reader, writer } = fifo(constants.O_NONBLOCK);
    let late = Buffer.alloc(0);
    let created = 0;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        late = Buffer.concat([late, chunk]);
        cb();
      },
    });
    const out = fdOutStream(writer, 'stdout', () => (created++, stream), () => false);
    // More than a pipe holds (64 KiB on Linux), with a character across every 3-byte boundary.
    const text = '€'.repeat(100_000);
    out.write(text);
    out.write('end\n');
    await out.flush();
    expect(created).toBe(1);
    const early = Buffer.alloc(1 << 20);
    const n = readSync(reader, early, 0, early.length, null);
    closeSync(reader);
    closeSync(writer);
    expect(n).toBeGreaterThan(0);
    expect(Buffer.concat([early.subarray(0, n), late]).toString('utf8')).toBe(text + 'end\n');
  });
});
