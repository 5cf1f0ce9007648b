/**
 * Label and field selectors of list and watch requests, with the syntax of
 * k8s.io/apimachinery pkg/labels and pkg/fields: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, requirements joined by commas (all must hold).
 */
import { badRequest } from './status.js';
import type { KObject } from './types.js';

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: KObject) => boolean;

type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${selector}"`);
  return value;
}

/** Parses one requirement of a label selector. */
function parseRequirement(text: string, selector: string): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { op: setMatch[2] as 'in' | 'notin', key: checkKey(setMatch[1]!, selector), values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (cmp) {
    return { op: cmp[2] === '!=' ? 'ne' : 'eq', key: checkKey(cmp[1]!, selector), value: checkValue(cmp[3]!.trim(), selector) };
  }
  if (text.startsWith('!')) return { op: 'notexists', key: checkKey(text.slice(1).trim(), selector) };
  return { op: 'exists', key: checkKey(text, selector) };
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq': return has && value === req.value;
    // As in apimachinery: `!=` and `notin` also match objects without the label.
    case 'ne': return !has || value !== req.value;
    case 'in': return has && req.values.includes(value!);
    case 'notin': return !has || !req.values.includes(value!);
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

/** Compiles a `labelSelector`; matches everything when empty. Throws ApiError 400 when unparseable. */
export function labelSelector(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const reqs = splitTopLevel(selector).map((r) => parseRequirement(r, selector));
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => matches(r, labels));
  };
}

/** Field paths a field selector may use beyond metadata.name and metadata.namespace, per kind (as the real server's field label conversions allow). */
const KIND_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

/** Reads a dotted field path as a string, '' when absent (how the real server compares missing fields). */
function fieldValue(obj: KObject, path: string): string {
  let current: unknown = obj;
  for (const part of path.split('.')) current = (current as Record<string, unknown> | undefined)?.[part];
  if (path === 'source' && typeof current === 'object' && current) current = (current as { component?: string }).component;
  return current === undefined || current === null ? '' : String(current);
}

/**
 * Compiles a `fieldSelector` for objects of `kind` (`=`, `==`, `!=` on metadata.name,
 * metadata.namespace and the kind's own field labels, e.g. status.phase for pods and
 * involvedObject.* for events); matches everything when empty. Throws ApiError
 * 400 for other fields, with the real server's wording.
 */
export function fieldSelector(selector: string | undefined, kind: string): Matcher {
  if (!selector) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(KIND_FIELDS[kind] ?? [])]);
  const reqs = splitTopLevel(selector).map((text) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${text}'`);
    if (!allowed.has(m[1]!)) throw badRequest(`field label not supported: ${m[1]}`);
    return { path: m[1]!, negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}
