/**
 * PATCH bodies other than server-side apply: JSON merge patch (RFC 7386), strategic merge patch
 * approximated as a merge patch, and JSON patch (RFC 6902).
 */
import { badRequest } from './status.js';
import { cloneJson } from './store.js';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns `target` with the RFC 7386 merge patch applied (null deletes, objects merge, the rest replaces). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return cloneJson(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Removes strategic-merge directives (`$patch`, `$setElementOrder/...`, `$retainKeys`,
 * `$deleteFromPrimitiveList/...`) so that the rest can be applied as a merge patch. Lists are
 * then replaced rather than merged by key: close enough for the label, annotate and scale
 * patches kubectl sends.
 */
export function stripStrategicDirectives(patch: Json): Json {
  if (Array.isArray(patch)) return patch.map(stripStrategicDirectives);
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    out[k] = stripStrategicDirectives(v);
  }
  return out;
}

/** Splits an RFC 6901 JSON pointer into unescaped tokens. */
function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let current = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(t)];
    else if (isObject(current)) current = current[t];
    else current = undefined;
    if (current === undefined) throw badRequest(`jsonpatch: path "${path}" does not exist`);
  }
  return { parent: current, last: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let current = doc;
  for (const t of pointer(path)) {
    if (Array.isArray(current)) current = current[Number(t)];
    else if (isObject(current)) current = current[t];
    else current = undefined;
    if (current === undefined) throw badRequest(`jsonpatch: path "${path}" does not exist`);
  }
  return current;
}

function removeAt(doc: Json, path: string): Json {
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw badRequest(`jsonpatch: path "${path}" does not exist`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(last in parent)) throw badRequest(`jsonpatch: path "${path}" does not exist`);
  const value = parent[last];
  delete parent[last];
  return value;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return cloneJson(value);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length)) throw badRequest(`jsonpatch: index out of range in "${path}"`);
    if (replace) parent[i] = cloneJson(value);
    else parent.splice(i, 0, cloneJson(value));
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw badRequest(`jsonpatch: path "${path}" does not exist`);
    parent[last] = cloneJson(value);
  } else {
    throw badRequest(`jsonpatch: path "${path}" does not exist`);
  }
  return doc;
}

/** Returns `target` with the RFC 6902 operations applied. Throws ApiError 400 on a bad operation or failed test. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('jsonpatch: the patch must be a list of operations');
  let doc = cloneJson(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('jsonpatch: operation without op or path');
    const { op, path } = raw;
    switch (op) {
      case 'add': doc = addAt(doc, path, raw.value, false); break;
      case 'replace': doc = addAt(doc, path, raw.value, true); break;
      case 'remove': removeAt(doc, path); break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) throw badRequest(`jsonpatch: test failed at "${path}"`);
        break;
      case 'move': {
        const value = removeAt(doc, String(raw.from));
        doc = addAt(doc, path, value, false);
        break;
      }
      case 'copy': doc = addAt(doc, path, getAt(doc, String(raw.from)), false); break;
      default: throw badRequest(`jsonpatch: unknown operation "${op}"`);
    }
  }
  return doc;
}
