/** Deterministic YAML and JSON output of rendered objects. */
import { emitYaml, type WrittenYaml } from './emit.js';

/**
 * Returns the objects as one YAML stream: keys sorted at every level (as istioctl's marshaller
 * does, so outputs diff cleanly), documents separated by `---`, no timestamps. Same input, same bytes.
 * `written`: maps whose text is known already (see emitYaml); the output is the same without it.
 */
export function toYamlStream(objects: readonly unknown[], written?: WrittenYaml): string {
  return objects.map((o) => emitYaml(o, written)).join('---\n');
}

/** Returns one value as YAML with sorted keys. */
export function toYaml(value: unknown): string {
  return emitYaml(value);
}

/** Returns one value as JSON with sorted keys, 2-space indented, ending in a newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

/** Returns a copy of JSON data with every map's keys in sorted order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
