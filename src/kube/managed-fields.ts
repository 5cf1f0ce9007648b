/**
 * Reading server-side apply's field ownership (`metadata.managedFields`, format FieldsV1): which
 * fields of an object one field manager owns, and their values. On a real cluster other managers
 * write to installed objects after install (istiod puts its CA into the webhooks' caBundle, the
 * deployment controller annotates Deployments and writes status), so "did my apply change
 * anything" is a question about the fields the apply owns, not about the whole object.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';

/**
 * Returns the managedFields entry of `manager` for operation Apply on the main resource (not a
 * subresource such as status), or undefined when the object has none.
 */
export function applyEntry(obj: K8sObject, manager: string): JsonObject | undefined {
  const entries = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : [];
  return entries.find((m): m is JsonObject => isObject(m) && m.manager === manager && m.operation === 'Apply' && !m.subresource);
}

/** Returns whether two JSON values are equal (maps compared without regard to key order). */
function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}

/** Parses the JSON after a FieldsV1 key's two-letter prefix (`k:{"name":"x"}`, `v:"a"`); undefined when it is not JSON. */
function keyJson(key: string): Json | undefined {
  try {
    return JSON.parse(key.slice(2)) as Json;
  } catch {
    return undefined;
  }
}

/**
 * Returns the part of `value` that the FieldsV1 set `fields` covers, keyed like the set: `f:name`
 * (a map field), `k:{...}` (the list element with these key fields), `v:<json>` (a set element:
 * true when present), `i:<n>` (a list element by index). A field whose set has no children is a
 * leaf and contributes its whole value; `.` (the element or map itself) contributes nothing of
 * its own. Fields the set names that the object lacks come out as null, so their removal shows.
 */
export function projectFields(value: Json | undefined, fields: Json): Json {
  const children = isObject(fields) ? Object.keys(fields).filter((k) => k !== '.') : [];
  if (!isObject(fields) || children.length === 0) return value ?? null;
  const out: JsonObject = {};
  for (const key of children) {
    const sub = fields[key]!;
    const rest = key.slice(2);
    switch (key.slice(0, 2)) {
      case 'f:':
        out[key] = projectFields(isObject(value) ? value[rest] : undefined, sub);
        break;
      case 'k:': {
        const want = keyJson(key);
        const element = Array.isArray(value) && isObject(want)
          ? value.find((e) => isObject(e) && Object.entries(want).every(([k, v]) => sameJson(e[k], v)))
          : undefined;
        out[key] = projectFields(element, sub);
        break;
      }
      case 'v:': {
        const want = keyJson(key);
        out[key] = Array.isArray(value) && want !== undefined && value.some((e) => sameJson(e, want));
        break;
      }
      case 'i:':
        out[key] = projectFields(Array.isArray(value) ? value[Number(rest)] : undefined, sub);
        break;
      default:
        // An unknown key kind: keep the set itself, so a change to it still shows.
        out[key] = sub;
    }
  }
  return out;
}
