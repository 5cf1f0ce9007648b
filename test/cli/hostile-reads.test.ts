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
import { parseJsonStrict } from '../../src/manifest/yaml-docs.js';
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

  it('a link to a directory is not walked, so a link to itself cannot loop', { timeout: HANG_MS }, async () => {
    const d = join(dir, 'with-self-link');
    mkdirSync(d);
    writeFileSync(join(d, 'dep.yaml'), DEPLOYMENT);
    symlinkSync('.', join(d, 'self'));
    const r = await run(['validate', '-f', d]);
    expect(r.stderr).toContain('validated 1 object in 1 file');
    expect(r.code).toBe(0);
  });

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
      expect(r.stderr).toContain('/dev/zero: input larger than 256 MiB');
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
    expect(out().stderr).toBe('Error: <stdin>: input larger than 256 MiB\n');
  });
});

describe('.json files are parsed as strict JSON by every command', () => {
  const SERVICE_TRAILING_COMMA = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "default",}, "spec": {"ports": [{"port": 80, "name": "http"}]}}\n';
  const SERVICE_SINGLE_QUOTES = "{'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 's'}}\n";
  const DEPLOYMENT_TRAILING_COMMA = '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}, "spec": {"template": {"spec": {"containers": [{"name": "w", "image": "nginx"},]}}}}\n';
  const IOP_TRAILING_COMMA = '{"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",\n  "spec": {"profile": "minimal",}}\n';
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const CASES: [string, string, string, (p: string) => string[], string][] = [
    ['validate', 'svc-comma.json', SERVICE_TRAILING_COMMA, (p) => ['validate', '-f', p], `:1:${SERVICE_TRAILING_COMMA.indexOf(',}') + 2}: JSON syntax error: expected a double-quoted property name, found "}"`],
    ['validate', 'svc-quotes.json', SERVICE_SINGLE_QUOTES, (p) => ['validate', '-f', p], `:1:2: JSON syntax error: expected a double-quoted property name, found "'"`],
    ['analyze', 'svc-comma.json', SERVICE_TRAILING_COMMA, (p) => ['analyze', '--use-kube=false', p], `:1:${SERVICE_TRAILING_COMMA.indexOf(',}') + 2}: JSON syntax error`],
    ['analyze', 'svc-quotes.json', SERVICE_SINGLE_QUOTES, (p) => ['analyze', '--use-kube=false', p], ':1:2: JSON syntax error'],
    ['kube-inject', 'dep-comma.json', DEPLOYMENT_TRAILING_COMMA, (p) => ['kube-inject', '-f', p], `:1:${DEPLOYMENT_TRAILING_COMMA.indexOf(',]') + 2}: JSON syntax error: expected a value, found "]"`],
    ['manifest generate -f', 'iop-comma.json', IOP_TRAILING_COMMA, (p) => ['manifest', 'generate', '-f', p], ':2:33: JSON syntax error'],
    ['profile dump -f', 'iop-comma.json', IOP_TRAILING_COMMA, (p) => ['profile', 'dump', '-f', p], ':2:33: JSON syntax error'],
    ['install -f --dry-run', 'iop-comma.json', IOP_TRAILING_COMMA, (p) => ['install', '-f', p, '--dry-run'], ':2:33: JSON syntax error'],
  ];
  for (const [name, file, text, argv, expected] of CASES) {
    it(`${name}: ${file} is a syntax error with its position, exit 65`, { timeout: HANG_MS }, async () => {
      const path = write(file, text);
      const r = await run(argv(path));
      expect(r.stderr).toContain(`${path}${expected}`);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(65);
    });
  }

  it('the same object as valid JSON passes validate', { timeout: HANG_MS }, async () => {
    const path = write('svc.json', SERVICE_TRAILING_COMMA.replace(',}', '}'));
    const r = await run(['validate', '-f', path]);
    expect(r.stderr).toContain(`"${path}" is valid`);
    expect(r.code).toBe(0);
  });

  it('a truncated .json file is positioned at its end', { timeout: HANG_MS }, async () => {
    const path = write('cut.json', '{"apiVersion": "v1",\n "kind": "Service"');
    const r = await run(['validate', '-f', path]);
    expect(r.stderr).toContain(`${path}:2:19: JSON syntax error`);
    expect(r.code).toBe(65);
  });

  it('a .yaml file keeps YAML rules (a trailing comma in a flow map is YAML)', { timeout: HANG_MS }, async () => {
    const path = write('svc-comma.yaml', SERVICE_TRAILING_COMMA);
    const r = await run(['validate', '-f', path]);
    expect(r.stderr).toContain(`"${path}" is valid`);
    expect(r.code).toBe(0);
  });
});

describe('parseJsonStrict positions every fault', () => {
  const at = (text: string) => {
    try {
      parseJsonStrict(text, 'f.json');
    } catch (e) {
      return (e as Error).message;
    }
    return 'parsed';
  };
  it.each([
    ['{"a": 1,\n "b": 2,\n}', 'f.json:3:1: JSON syntax error: expected a double-quoted property name, found "}"'],
    ['[1, 2,]', 'f.json:1:7: JSON syntax error: expected a value, found "]"'],
    ['{"a": "x\\q"}', 'f.json:1:9: JSON syntax error: an invalid escape in a string'],
    ['{"a": "x', 'f.json:1:9: JSON syntax error: an unterminated string'],
    ['{"a" 1}', `f.json:1:6: JSON syntax error: expected ':' after a property name, found "1"`],
    ['{"a": 1} x', 'f.json:1:10: JSON syntax error: unexpected "x" after the JSON value'],
    ['{"a": [1 2]}', `f.json:1:10: JSON syntax error: expected ',' or ']', found "2"`],
    ['', 'f.json:1:1: JSON syntax error: expected a value, found the end of the input'],
  ])('%j', (text, message) => {
    expect(at(text)).toBe(message);
  });

  it('accepts a leading byte-order mark and deep nesting', () => {
    expect(parseJsonStrict('\uFEFF{"a": [1]}', 'f.json')).toEqual({ a: [1] });
    expect(at('['.repeat(100_000))).toMatch(/^f\.json:1:100001: JSON syntax error: expected a value, found the end of the input$/);
  });
});
