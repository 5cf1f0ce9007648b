/**
 * A fast reader of YAML 1.1 text into plain data, with the exact results of the `yaml` package's
 * `parse(text, { version: '1.1' })`.
 *
 * kube-inject reads the output of the injection template once per workload (about 8 KB each), and
 * with the `yaml` package that was a third of a large run: its parser builds a CST and a Document
 * tree that plain data does not need. js-yaml (already in the tree) reads the same text about ten
 * times faster, but its schemas are YAML 1.2's, while istiod reads template output as YAML 1.1
 * (`yes`/`on` are booleans, `0755` is octal, `1:30` is sexagesimal). So js-yaml parses the
 * structure and every plain (unquoted) scalar is resolved by the `yaml` package's own YAML 1.1
 * tags, in the order `yaml` tries them: a scalar means the same with either reader.
 *
 * Where the two could differ, the `yaml` package reads the text itself: tags, directives, anchors
 * and aliases, merge keys, and any text js-yaml refuses (so errors are the `yaml` package's too).
 */
import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { Schema, isScalar, parse } from 'yaml';

/** A `yaml` scalar tag of the YAML 1.1 schema that plain scalars resolve by. */
interface PlainTag {
  test: RegExp;
  resolve: (source: string, onError: (message: string) => void, options: object) => unknown;
}

/**
 * Text where js-yaml and the `yaml` package may part ways: tags, anchors, aliases, directives,
 * merge keys, explicit (`?`) keys. A match only costs speed: `yaml` reads such text. MAY_NEED_YAML
 * is the cheap first look (any of those characters anywhere), as most template output has none.
 */
const MAY_NEED_YAML = /[!&*?%]|<</;
const NEEDS_YAML = /(?:^|[\s,[\]{}])[!&*?]|^%|<</m;

let plainSchema: ReturnType<typeof FAILSAFE_SCHEMA.extend> | undefined;

/** js-yaml's failsafe schema (strings, lists, maps) plus one implicit type: the `yaml` package's YAML 1.1 resolution of plain scalars. */
function schema(): ReturnType<typeof FAILSAFE_SCHEMA.extend> {
  if (plainSchema) return plainSchema;
  const tags = (new Schema({ schema: 'yaml-1.1' }).tags as unknown as ({ default?: unknown } & Partial<PlainTag>)[])
    .filter((t): t is PlainTag & { default: true } => t.default === true && t.test instanceof RegExp && typeof t.resolve === 'function');
  // Most plain scalars are text that no tag matches: one test of all the tags' patterns at once
  // answers that, instead of one test per tag (the patterns are whole-string, flag-less).
  const any = tags.every((t) => t.test.flags === '') ? new RegExp(`^(?:${tags.map((t) => `(?:${t.test.source})`).join('|')})`) : undefined;
  let matched: PlainTag | undefined;
  const onError = (message: string): never => {
    throw new Error(message);
  };
  const plain = new Type('tag:yaml.org,2002:yaml-1.1-plain', {
    kind: 'scalar',
    resolve: (data: unknown) => {
      if (typeof data !== 'string' || (any && !any.test(data))) return false;
      matched = tags.find((t) => t.test.test(data));
      return matched !== undefined;
    },
    construct: (data: string) => plainValue(matched!.resolve(data, onError, {})),
  });
  plainSchema = FAILSAFE_SCHEMA.extend({ implicit: [plain] });
  return plainSchema;
}

/** The value of a resolved scalar as `yaml` puts it in plain data: some tags resolve to a Scalar node (floats keep their digits). */
function plainValue(resolved: unknown): unknown {
  return isScalar(resolved) ? resolved.value : resolved;
}

/**
 * Returns the data of one YAML 1.1 document, as `parse(text, { version: '1.1' })` of the `yaml`
 * package returns it (null for a text without content; a Date for a timestamp). Throws that
 * function's errors (YAMLParseError) for text it refuses.
 */
export function parseYaml11(text: string): unknown {
  if (!(MAY_NEED_YAML.test(text) && NEEDS_YAML.test(text))) {
    try {
      const data = load(text, { schema: schema() }) ?? null;
      // js-yaml names a null key (`~: x`, `{: x}`) "null" where `yaml` names it "": let `yaml` read
      // any text with a "null" key, quoted or not.
      if (!hasNullKey(data)) return data;
    } catch {
      // The `yaml` package decides: it gives the same data or the error users see today.
    }
  }
  return parse(text, { version: '1.1' });
}

/** True when a map in `value` has the key "null". */
function hasNullKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasNullKey);
  for (const key in value) if (key === 'null' || hasNullKey((value as Record<string, unknown>)[key])) return true;
  return false;
}
