/**
 * Reading hostile inputs through every file-taking command: FIFOs, sockets and devices, symlink
 * loops, a closed standard input, endless devices. Each run has a generous time bound so a hang
 * fails the test instead of stalling the suite.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { stdinWasClosed } from '../../src/system.js';
import { run, testDeps } from '../helpers.js';

/** Upper bound for one run: far above any normal run, so only a hang trips it. */
const HANG_MS = 60_000;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers: [{name: web, image: nginx}]
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-hostile-'));
  mkdirSync(join(dir, 'with-fifo'));
  writeFileSync(join(dir, 'with-fifo', 'dep.yaml'), DEPLOYMENT);
  execFileSync('mkfifo', [join(dir, 'with-fifo', 'pipe.yaml')]);
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  symlinkSync('loop-b.yaml', join(dir, 'loop-a.yaml'));
  symlinkSync('loop-a.yaml', join(dir, 'loop-b.yaml'));
  mkdirSync(join(dir, 'with-loop'));
  writeFileSync(join(dir, 'with-loop', 'dep.yaml'), DEPLOYMENT);
  symlinkSync('../loop-a.yaml', join(dir, 'with-loop', 'loop.yaml'));
  mkdirSync(join(dir, 'with-device'));
  writeFileSync(join(dir, 'with-device', 'dep.yaml'), DEPLOYMENT);
  symlinkSync('/dev/zero', join(dir, 'with-device', 'zero.yaml'));
  writeFileSync(join(dir, 'dep.yaml'), DEPLOYMENT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each command that reads a directory given with -f (analyze takes it as an argument). */
const DIRECTORY_READERS: [string, (d: string) => string[]][] = [
  ['kube-inject', (d) => ['kube-inject', '-f', d]],
  ['kube-uninject', (d) => ['kube-uninject', '-f', d]],
  ['validate', (d) => ['validate', '-f', d]],
  ['analyze', (d) => ['analyze', '--use-kube=false', d]],
];

describe('a FIFO, socket or device inside a directory', () => {
  for (const [name, argv] of DIRECTORY_READERS) {
    it(`is skipped with a warning naming it by ${name}, never opened`, { timeout: HANG_MS }, async () => {
      const r = await run(argv(join(dir, 'with-fifo')));
      expect(r.stderr).toContain(`Warning: skipping ${join(dir, 'with-fifo', 'pipe.yaml')}: not a regular file`);
      expect(r.code).toBe(0);
    });
  }

  it('a link to a device is skipped too', { timeout: HANG_MS }, async () => {
    const r = await run(['validate', '-f', join(dir, 'with-device')]);
    expect(r.stderr).toContain(`Warning: skipping ${join(dir, 'with-device', 'zero.yaml')}: not a regular file`);
    expect(r.stderr).toContain('validated 1 object in 1 file');
    expect(r.code).toBe(0);
  });
});

describe('a non-regular file given directly', () => {
  const DIRECT: [string, string[]][] = [
    ['kube-inject', ['kube-inject', '-f', '/dev/zero']],
    ['kube-uninject', ['kube-uninject', '-f', '/dev/zero']],
    ['validate', ['validate', '-f', '/dev/zero']],
    ['analyze', ['analyze', '--use-kube=false', '/dev/zero']],
    ['manifest generate', ['manifest', 'generate', '-f', '/dev/zero']],
    ['profile dump', ['profile', 'dump', '-f', '/dev/zero']],
    ['manifest diff', ['manifest', 'diff', '/dev/zero', '/dev/null']],
  ];
  for (const [name, argv] of DIRECT) {
    it(`/dev/zero is bounded by ${name}: a size error, exit 65`, { timeout: HANG_MS }, async () => {
      const r = await run(argv);
      expect(r.stderr).toContain('/dev/zero: input larger than 64 MiB');
      expect(r.stderr).not.toContain('Invalid string length');
      expect(r.code).toBe(65);
    });
  }

  it('a FIFO is read like <(cmd)', { timeout: HANG_MS }, async () => {
    const fifo = join(dir, 'pipe.yaml');
    // The writer opens the FIFO from another process; the read blocks only until then.
    const writer = new Promise<void>((resolve, reject) => {
      import('node:child_process').then(({ execFile }) => {
        execFile('sh', ['-c', `cat "$1" > "$2"`, 'sh', join(dir, 'dep.yaml'), fifo], (e) => (e ? reject(e) : resolve()));
      }, reject);
    });
    const r = await run(['kube-inject', '-f', fifo]);
    await writer;
    expect(r.stderr).toContain('deployment "default/web" injected');
    expect(r.code).toBe(0);
  });

  it('a socket is refused with a one-line error, exit 65', { timeout: HANG_MS }, async () => {
    const { createServer } = await import('node:net');
    const path = join(dir, 'sock.yaml');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = await run(['kube-inject', '-f', path]);
      expect(r.stderr).toBe(`Error: ${path}: not a regular file (a socket?); cannot read it\n`);
      expect(r.code).toBe(65);
    } finally {
      server.close();
    }
  });
});

describe('a symlink loop', () => {
  const loop = () => join(dir, 'loop-a.yaml');
  const COMMANDS: [string, () => string[]][] = [
    ['kube-inject', () => ['kube-inject', '-f', loop()]],
    ['kube-uninject', () => ['kube-uninject', '-f', loop()]],
    ['validate', () => ['validate', '-f', loop()]],
    ['analyze', () => ['analyze', '--use-kube=false', loop()]],
    ['manifest generate', () => ['manifest', 'generate', '-f', loop()]],
    ['profile dump', () => ['profile', 'dump', '-f', loop()]],
    ['manifest diff', () => ['manifest', 'diff', loop(), join(dir, 'dep.yaml')]],
    ['kube-inject --injectConfigFile', () => ['kube-inject', '-f', join(dir, 'dep.yaml'), '--injectConfigFile', loop()]],
  ];
  for (const [name, argv] of COMMANDS) {
    it(`is reported as such by ${name}, exit 65 as for a missing file`, { timeout: HANG_MS }, async () => {
      const r = await run(argv());
      expect(r.stderr).toContain(`${loop()}: too many levels of symbolic links`);
      expect(r.stderr).not.toContain('no such file');
      expect(r.code).toBe(65);
      const missing = await run(argv().map((a) => (a === loop() ? join(dir, 'missing.yaml') : a)));
      expect(missing.code).toBe(r.code);
    });
  }

  it('inside a directory is reported by name, and the other files still checked', { timeout: HANG_MS }, async () => {
    const r = await run(['validate', '-f', join(dir, 'with-loop')]);
    expect(r.stderr).toContain(`${join(dir, 'with-loop', 'loop.yaml')}: too many levels of symbolic links`);
    expect(r.stderr).toContain(`"${join(dir, 'with-loop', 'dep.yaml')}" is valid`);
    expect(r.code).toBe(65);
  });
});

describe('standard input closed (<&-)', () => {
  const closed = () => {
    const t = testDeps();
    t.deps.readStdin = () => Promise.reject(Object.assign(new Error('standard input is closed'), { code: 'EBADF' }));
    return t;
  };
  for (const argv of [['kube-inject', '-f', '-'], ['kube-uninject', '-f', '-'], ['validate', '-f', '-'], ['analyze', '--use-kube=false', '-'], ['manifest', 'generate', '-f', '-']]) {
    it(`is an error, exit 65: ${argv.join(' ')}`, { timeout: HANG_MS }, async () => {
      const { deps, out } = closed();
      const code = await main(argv, deps);
      expect(out().stderr).toContain('<stdin>: standard input is closed');
      expect(out().stdout).toBe('');
      expect(code).toBe(65);
    });
  }

  it('is told from `< /dev/null` by how fd 0 was opened (Node reopens a closed fd 0 read-write)', () => {
    expect(stdinWasClosed('pos:\t0\nflags:\t02100002\nmnt_id:\t1\n', '/dev/null')).toBe(true);
    expect(stdinWasClosed('pos:\t0\nflags:\t02100000\nmnt_id:\t1\n', '/dev/null')).toBe(false);
    expect(stdinWasClosed('pos:\t0\nflags:\t02000002\nmnt_id:\t1\n', 'pipe:[12]')).toBe(false);
  });

  it('is detected in a real process started with fd 0 closed', { timeout: HANG_MS }, () => {
    // The check itself runs in a child whose fd 0 the shell closed, as `meshctl ... <&-` would.
    const script = `const fs = require('node:fs');
      const info = fs.readFileSync('/proc/self/fdinfo/0', 'utf8');
      process.stdout.write(info.match(/^flags:\\s*([0-7]+)$/m)[1] + ' ' + fs.readlinkSync('/proc/self/fd/0'));`;
    const [flags, target] = execFileSync('sh', ['-c', 'exec node -e "$1" <&-', 'sh', script], { encoding: 'utf8' }).split(' ');
    expect(stdinWasClosed(`flags:\t${flags}\n`, target!)).toBe(true);
  });
});

describe('large stdin', () => {
  it('is bounded like a file', { timeout: HANG_MS }, async () => {
    const { deps, out } = testDeps();
    deps.readStdin = () => Promise.reject(Object.assign(new Error('too large'), { code: 'EFBIG' }));
    expect(await main(['kube-inject', '-f', '-'], deps)).toBe(65);
    expect(out().stderr).toBe('Error: <stdin>: input larger than 64 MiB\n');
  });
});
