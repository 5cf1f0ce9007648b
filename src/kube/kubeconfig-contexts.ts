/**
 * The contexts a kubeconfig names, read from the files alone (no cluster, no client library), for
 * shell completion of `--context` and `-n`.
 */
import { stat } from 'node:fs/promises';
import { parse } from 'yaml';
import type { FileSystem } from '../deps.js';
import { kubeconfigPaths, MAX_KUBECONFIG_BYTES } from './kubeconfig-paths.js';

/** One context of a kubeconfig: its name and the namespace it selects, if any. */
export interface KubeContext {
  name: string;
  namespace?: string;
  cluster?: string;
}

/** The contexts of the merged kubeconfig files and the current context. */
export interface KubeContexts {
  contexts: KubeContext[];
  current?: string;
}

/**
 * Returns the contexts of kubeconfig texts merged as kubectl merges files: the first file that
 * names a context or sets `current-context` wins. Texts that are not YAML mappings, and entries
 * without a string name, are skipped: a broken file only means fewer candidates.
 */
export function contextsFromKubeconfigs(texts: readonly string[]): KubeContexts {
  const byName = new Map<string, KubeContext>();
  let current: string | undefined;
  for (const text of texts) {
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isRecord(doc)) continue;
    if (current === undefined && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') current = doc['current-context'];
    for (const entry of Array.isArray(doc.contexts) ? doc.contexts : []) {
      if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '' || byName.has(entry.name)) continue;
      const context = isRecord(entry.context) ? entry.context : {};
      byName.set(entry.name, {
        name: entry.name,
        ...(typeof context.namespace === 'string' && context.namespace !== '' ? { namespace: context.namespace } : {}),
        ...(typeof context.cluster === 'string' && context.cluster !== '' ? { cluster: context.cluster } : {}),
      });
    }
  }
  return { contexts: [...byName.values()], ...(current !== undefined ? { current } : {}) };
}

/**
 * Returns the contexts of the kubeconfig that `--kubeconfig` (`flag`), else `KUBECONFIG`, else
 * `~/.kube/config` selects. Never throws and never blocks: no configuration, a file that is not a
 * regular file (a FIFO would wait for a writer), unreadable or oversized gives no contexts from it.
 */
export async function readKubeContexts(fs: FileSystem, env: Readonly<Record<string, string | undefined>>, flag?: string): Promise<KubeContexts> {
  let paths: string[];
  try {
    paths = kubeconfigPaths(env, flag);
  } catch {
    return { contexts: [] };
  }
  const texts = await Promise.all(paths.map(async (p) => {
    try {
      return (await stat(p)).isFile() ? await fs.readText(p, MAX_KUBECONFIG_BYTES) : '';
    } catch {
      return '';
    }
  }));
  return contextsFromKubeconfigs(texts);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
