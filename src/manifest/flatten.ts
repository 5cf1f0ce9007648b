/** Flattening configuration trees into `path=value` lines, the form `--set` accepts. */
import { isObject, type Json } from './objects.js';

/**
 * Returns one `path=value` line per leaf of `value`, in key order, with list indices as `[i]`
 * and dots inside keys escaped as `\.` (so each line can be passed back to `--set`). Empty maps
 * and lists produce no line.
 */
export function flattenToFlags(value: Json, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => flattenToFlags(v, `${prefix}[${i}]`));
  if (isObject(value)) {
    return Object.keys(value).sort().flatMap((k) => flattenToFlags(value[k]!, prefix ? `${prefix}.${k.replaceAll('.', '\\.')}` : k.replaceAll('.', '\\.')));
  }
  const text = value === null ? 'null' : String(value).replaceAll(',', '\\,');
  return [`${prefix}=${text}`];
}
