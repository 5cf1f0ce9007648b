/**
 * Loading a kubeconfig the way kubectl does and opening a `KubeClient` on it. client-node does
 * the authentication (tokens, client certificates, exec and OIDC plugins) and TLS; this file
 * only decides which file and context to use.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { KubeConfigError } from './errors.js';
import { ClientNodeKubeClient, type RetryPolicy } from './client.js';
import { kubeconfigPaths, MAX_KUBECONFIG_BYTES } from './kubeconfig-paths.js';

export { kubeconfigPaths };
import type { KubeClient } from './types.js';

/** What selects and tunes a connection. */
export interface ConnectOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** `--kubeconfig`: this file only (KUBECONFIG is then ignored, as kubectl does). */
  kubeconfig?: string;
  /** `--context`: a context name from the loaded configuration. */
  context?: string;
  /** Timeout of each HTTP request, ms (a timed-out request counts as a failed attempt and is retried). */
  requestTimeoutMs: number;
  /** Aborting it stops the request in flight and every later one. */
  signal?: AbortSignal;
  /** Retry tuning; defaults suit a real cluster. */
  retry?: Partial<RetryPolicy>;
}

/**
 * Returns a kubeconfig file's text, read in chunks up to MAX_KUBECONFIG_BYTES (a FIFO from
 * `<(command)` works; `/dev/zero` ends in an error). Throws Node's error for an unreadable path, or
 * an Error saying the file is too large.
 */
function readKubeconfigText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).isDirectory()) throw new Error('is a directory');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_KUBECONFIG_BYTES) throw new Error(`larger than ${MAX_KUBECONFIG_BYTES / (1024 * 1024)} MiB`);
      chunks.push(buffer.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns the merged configuration of `paths`. Like kubectl, the first file that defines a
 * cluster, user or context name wins, and the first file that sets current-context decides it
 * (client-node's own merge throws on duplicate names instead). Throws KubeConfigError for an
 * unreadable file, without echoing its contents.
 */
export function loadKubeConfig(paths: readonly string[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const path of paths) {
    const kc = new KubeConfig();
    try {
      // client-node's loadFromFile reads without a bound (`--kubeconfig /dev/zero` would never end);
      // the same steps over a bounded read: parse, then resolve relative paths against the file's folder.
      kc.loadFromString(readKubeconfigText(path));
      kc.makePathsAbsolute(dirname(path));
    } catch (err) {
      // The parser's message may quote file content (tokens); name the file and the first line only.
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
      throw new KubeConfigError(`cannot read kubeconfig ${path}: ${first}`);
    }
    for (const c of kc.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && kc.currentContext) currentContext = kc.currentContext;
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return merged;
}

/**
 * Returns a client for the selected context. Throws KubeConfigError when no configuration exists,
 * the context is unknown, or it names a missing cluster. Sends no request.
 */
export async function connect(opts: ConnectOptions): Promise<KubeClient> {
  const kc = loadKubeConfig(kubeconfigPaths(opts.env, opts.kubeconfig));
  const names = kc.contexts.map((c) => c.name);
  if (opts.context) {
    if (!names.includes(opts.context)) {
      throw new KubeConfigError(`context "${opts.context}" is not in the kubeconfig (contexts: ${names.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.currentContext) {
    throw new KubeConfigError(`the kubeconfig sets no current context; pass --context (contexts: ${names.join(', ') || 'none'})`);
  }
  const ctx = kc.getContextObject(kc.currentContext);
  const cluster = kc.getCurrentCluster();
  if (!ctx || !cluster) throw new KubeConfigError(`context "${kc.currentContext}" names cluster "${ctx?.cluster ?? ''}", which the kubeconfig does not define`);
  return new ClientNodeKubeClient(kc, {
    identity: { context: kc.currentContext, server: cluster.server, namespace: ctx.namespace || 'default' },
    requestTimeoutMs: opts.requestTimeoutMs,
    signal: opts.signal,
    retry: opts.retry,
  });
}
