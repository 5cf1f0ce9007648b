// Which kubeconfig and context a run uses, as kubectl decides it: --kubeconfig alone, else
// KUBECONFIG merged with the first definition winning, else ~/.kube/config.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, kubeconfigPaths, loadKubeConfig } from '../../src/kube/connect.js';
import { KubeConfigError } from '../../src/kube/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'meshctl-kubeconfig-'));

function kubeconfig(name: string, opts: { current?: string; contexts: { name: string; cluster: string; ns?: string }[]; clusters: { name: string; server: string }[] }): string {
  const path = join(dir, name);
  const users = [...new Set(opts.contexts.map((c) => `u-${c.name}`))];
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    ...(opts.current ? [`current-context: ${opts.current}`] : []),
    'clusters:', ...opts.clusters.flatMap((c) => [`- name: ${c.name}`, '  cluster:', `    server: ${c.server}`]),
    'users:', ...users.flatMap((u) => [`- name: ${u}`, '  user:', '    token: secret-token-value']),
    'contexts:', ...opts.contexts.flatMap((c) => [`- name: ${c.name}`, '  context:', `    cluster: ${c.cluster}`, `    user: u-${c.name}`, ...(c.ns ? [`    namespace: ${c.ns}`] : [])]),
    '',
  ].join('\n'));
  return path;
}

const a = kubeconfig('a.yaml', { current: 'alpha', contexts: [{ name: 'alpha', cluster: 'one', ns: 'team-a' }, { name: 'shared', cluster: 'one' }], clusters: [{ name: 'one', server: 'https://one.example:6443' }] });
const b = kubeconfig('b.yaml', { current: 'beta', contexts: [{ name: 'beta', cluster: 'two' }, { name: 'shared', cluster: 'two' }], clusters: [{ name: 'two', server: 'https://two.example:6443' }, { name: 'one', server: 'https://other.example' }] });
const none = kubeconfig('none.yaml', { contexts: [{ name: 'gamma', cluster: 'one' }], clusters: [{ name: 'one', server: 'https://one.example:6443' }] });

describe('kubeconfig selection', () => {
  it('--kubeconfig wins over KUBECONFIG', () => {
    expect(kubeconfigPaths({ KUBECONFIG: `${a}:${b}` }, b)).toEqual([b]);
  });

  it('KUBECONFIG lists files in order and skips missing ones', () => {
    expect(kubeconfigPaths({ KUBECONFIG: `${a}:${join(dir, 'missing')}::${b}` })).toEqual([a, b]);
  });

  it('falls back to $HOME/.kube/config', () => {
    const home = mkdtempSync(join(tmpdir(), 'meshctl-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');
    expect(kubeconfigPaths({ HOME: home })).toEqual([join(home, '.kube', 'config')]);
  });

  it('says how to configure a cluster when nothing is found', () => {
    expect(() => kubeconfigPaths({ HOME: join(dir, 'no-home') })).toThrow(/no cluster configured: set KUBECONFIG, pass --kubeconfig/);
    expect(() => kubeconfigPaths({}, join(dir, 'nope.yaml'))).toThrow(KubeConfigError);
  });

  it('merges files with the first definition of a name winning, like kubectl', () => {
    const kc = loadKubeConfig([a, b]);
    expect(kc.currentContext).toBe('alpha');
    expect(kc.contexts.map((c) => c.name).sort()).toEqual(['alpha', 'beta', 'shared']);
    expect(kc.getContextObject('shared')?.cluster).toBe('one');
    expect(kc.clusters.find((c) => c.name === 'one')?.server).toBe('https://one.example:6443');
    expect(loadKubeConfig([b, a]).currentContext).toBe('beta');
  });

  it('reads a kubeconfig within a bound: /dev/zero and a directory are errors, not a hang', () => {
    expect(() => loadKubeConfig(['/dev/zero'])).toThrow(/^cannot read kubeconfig \/dev\/zero: larger than 16 MiB$/);
    expect(() => loadKubeConfig([dir])).toThrow(/is a directory/);
  });

  it('resolves relative certificate paths against the kubeconfig\'s folder, as kubectl does', () => {
    const sub = mkdtempSync(join(tmpdir(), 'meshctl-kc-rel-'));
    const file = join(sub, 'config');
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: certs/ca.crt}}]',
      'users: [{name: u, user: {client-certificate: certs/u.crt, client-key: /abs/u.key}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]', '',
    ].join('\n'));
    const kc = loadKubeConfig([file]);
    expect(kc.clusters[0]!.caFile).toBe(join(sub, 'certs/ca.crt'));
    expect(kc.users[0]!.certFile).toBe(join(sub, 'certs/u.crt'));
    expect(kc.users[0]!.keyFile).toBe('/abs/u.key');
  });
});

describe('connect', () => {
  const opts = { requestTimeoutMs: 1000 };

  it('uses the current context and its namespace', async () => {
    const client = await connect({ ...opts, env: { KUBECONFIG: `${a}:${b}` } });
    expect(client.identity).toEqual({ context: 'alpha', server: 'https://one.example:6443', namespace: 'team-a' });
  });

  it('--context selects another context; its namespace defaults to "default"', async () => {
    const client = await connect({ ...opts, env: { KUBECONFIG: `${a}:${b}` }, context: 'beta' });
    expect(client.identity).toEqual({ context: 'beta', server: 'https://two.example:6443', namespace: 'default' });
  });

  it('names the contexts when --context is unknown, and never prints a credential', async () => {
    const err = await connect({ ...opts, env: { KUBECONFIG: a }, context: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as Error).message).toBe('context "prod" is not in the kubeconfig (contexts: alpha, shared)');
    expect((err as Error).message).not.toContain('secret-token-value');
  });

  it('asks for --context when the kubeconfig sets no current context', async () => {
    await expect(connect({ ...opts, env: { KUBECONFIG: none } })).rejects.toThrow(/sets no current context; pass --context \(contexts: gamma\)/);
  });

  it('reports an unreadable kubeconfig by file name only', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [\n  token: secret-token-value\n');
    const err = await connect({ ...opts, env: { KUBECONFIG: bad } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as Error).message).toContain(`cannot read kubeconfig ${bad}`);
    expect((err as Error).message).not.toContain('secret-token-value');
  });
});
