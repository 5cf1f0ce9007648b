/**
 * Values outside the JSON data model that the `yaml` package makes of YAML 1.1 tags: `!!binary`
 * (bytes), `!!set` (a Set), `!!omap` (a Map), `!!timestamp` and unquoted dates in a `%YAML 1.1`
 * document (a Date). Kubernetes objects are JSON; commands that read such a value where they
 * need JSON name it at its position instead of failing inside.
 */

/** A value that is not JSON data, at a path below the value searched. */
export interface NonJsonValue {
  path: (string | number)[];
  /** What it is, in YAML's terms: `!!binary data`, `a !!set`, ... */
  what: string;
}

/** Returns YAML's name for a non-JSON value, or undefined for JSON data (null, boolean, finite or not number, string, array, plain object). */
export function nonJsonKind(v: unknown): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || Array.isArray(v)) return undefined;
  if (ArrayBuffer.isView(v)) return '!!binary data';
  if (v instanceof Set) return 'a !!set';
  if (v instanceof Map) return 'an !!omap';
  if (v instanceof Date) return 'a timestamp (!!timestamp, or an unquoted date in a YAML 1.1 document)';
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    return proto === Object.prototype || proto === null ? undefined : 'a value of an unsupported YAML tag';
  }
  return `a value of type ${typeof v}`;
}

/**
 * Returns the first value (depth first, in key order) in `value` that is not JSON data, with its
 * path below `value`, or undefined when all of it is JSON data. Iterative, so deep nesting
 * cannot overflow the stack.
 */
export function findNonJson(value: unknown): NonJsonValue | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    const what = nonJsonKind(v);
    if (what !== undefined) return { path, what };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], path: [...path, entries[i]![0]] });
    }
  }
  return undefined;
}

/** Returns a path as users read it: `spec.containers[0].args` (`<document>` for the empty path). */
export function dottedPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '<document>';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Returns the message for a non-JSON value in a Kubernetes object: `data.blob is !!binary data; Kubernetes objects hold only ...`. */
export function nonJsonMessage(found: NonJsonValue): string {
  return `${dottedPath(found.path)} is ${found.what}; Kubernetes objects hold only text, numbers, true/false, null, lists and maps (quote the value, or write a list or map)`;
}
