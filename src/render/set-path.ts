/** Spelling configuration paths for messages. */

/**
 * Formats a path the way `--set` spells it: `spec.components.ingressGateways[0].k8s`; list
 * indices in brackets, dots inside keys as `\.`. Returns `''` for an empty path.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += `${out ? '.' : ''}${seg.replace(/\./g, '\\.')}`;
  }
  return out;
}
