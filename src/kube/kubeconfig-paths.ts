/**
 * Where kubeconfig files are looked for, kept apart from the client so that a command can learn
 * that no cluster is configured without loading @kubernetes/client-node (a large part of
 * start-up; `meshctl version` with no cluster should cost no more than without cluster support).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfigError } from './errors.js';

/**
 * Returns the kubeconfig files to read, in precedence order: `--kubeconfig`, else every path in
 * `KUBECONFIG` (colon-separated, missing files skipped, as kubectl does), else `$HOME/.kube/config`.
 * Throws KubeConfigError when `--kubeconfig` names a missing file or nothing is found at all.
 */
export function kubeconfigPaths(env: Readonly<Record<string, string | undefined>>, flag?: string): string[] {
  if (flag) {
    if (!existsSync(flag)) throw new KubeConfigError(`kubeconfig file ${flag} (--kubeconfig) does not exist`);
    return [flag];
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  if (fromEnv.length) {
    const present = fromEnv.filter((p) => existsSync(p));
    if (!present.length) throw new KubeConfigError(`none of the kubeconfig files in KUBECONFIG exist (${fromEnv.join(', ')})`);
    return present;
  }
  const home = env.HOME ?? env.USERPROFILE;
  const dflt = home ? join(home, '.kube', 'config') : undefined;
  if (dflt && existsSync(dflt)) return [dflt];
  throw new KubeConfigError('no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
}

/** The most a kubeconfig may hold: real ones are kilobytes; this leaves room for many embedded certificates. */
export const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;
