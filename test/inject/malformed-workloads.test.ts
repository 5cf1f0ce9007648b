/**
 * Property test over malformed workloads: for every workload kind kube-inject handles, a null or
 * wrong-typed value at any level on the way to the pod's containers (the spec, the pod or job
 * template, the pod spec, the container list, one container) is refused with a DataError (exit 65)
 * at the position of the offending node, never injected as a pod whose only container is the
 * sidecar. Null pod metadata is the one exception: it means "none", and injection creates it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, LineCounter, parseDocument } from 'yaml';
import { DataError } from '../../src/errors.js';
import { injectFile } from '../../src/inject/documents.js';
import { WORKLOAD_KINDS } from '../../src/inject/kinds.js';
import { defaultInjector } from './injector.js';

const injector = await defaultInjector();

type Obj = Record<string, unknown>;

/** A valid workload of a kind, built along the kind's own pod spec path. */
function workload(kind: (typeof WORKLOAD_KINDS)[number]): Obj {
  const root: Obj = { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name: 'w' } };
  let cur = root;
  for (const step of kind.podSpec) {
    cur[step] ??= {};
    cur = cur[step] as Obj;
  }
  cur.containers = [{ name: 'app', image: 'app:1' }];
  const meta = kind.podMeta.slice(0, -1).reduce((o, k) => o[k] as Obj, root);
  const last = kind.podMeta.at(-1)!;
  meta[last] = { ...(meta[last] as Obj | undefined), labels: { app: 'w' } };
  return root;
}

const badValue = fc.constantFrom<unknown>(null, 'hello', 42, true, [1, 2], []);

/** A malformed workload: the path of the replaced node and the value put there. */
const malformed = fc.constantFrom(...WORKLOAD_KINDS).chain((kind) => {
  const levels: (string | number)[][] = [
    ...kind.podSpec.map((_, i) => kind.podSpec.slice(0, i + 1)),
    [...kind.podSpec, 'containers'],
    [...kind.podSpec, 'containers', 0],
    [...kind.podMeta],
  ];
  return fc.record({ kind: fc.constant(kind), path: fc.constantFrom(...levels), value: badValue, flow: fc.boolean() });
});

describe('malformed pod templates', () => {
  it('are refused at the offending node, or (null metadata only) injected', () => {
    fc.assert(fc.property(malformed, ({ kind, path, value, flow }) => {
      const object = workload(kind);
      const parent = path.slice(0, -1).reduce<Obj>((o, k) => (o as Record<string | number, unknown>)[k] as Obj, object);
      (parent as Record<string | number, unknown>)[path.at(-1)!] = value;
      const doc = new Document(object);
      // Flow style below the top level (a document starting with `{` is read as JSON).
      const spec = doc.get('spec', true) as { flow?: boolean } | undefined;
      if (flow && spec && typeof spec === 'object') spec.flow = true;
      const text = doc.toString();
      const isMeta = path.join('.') === kind.podMeta.join('.');
      const acceptable = isMeta && value === null;
      let error: unknown;
      let output = '';
      try {
        output = injectFile(injector, text, 'w.yaml').output;
      } catch (e) {
        error = e;
      }
      if (acceptable) {
        expect(error).toBeUndefined();
        expect(output).toContain('istio-proxy');
        expect(output).toContain('app:1');
        return;
      }
      expect(error, `${kind.kind} ${path.join('.')}=${JSON.stringify(value)}`).toBeInstanceOf(DataError);
      const e = error as DataError;
      // Named as the report names workloads (a Pod whose metadata is replaced has lost its name).
      expect(e.message).toMatch(new RegExp(`^w\\.yaml:\\d+:\\d+: ${kind.kind.toLowerCase()} "w?": `));
      // The position is that of the replaced node (of its first item, for a list of non-containers).
      const where = path.at(-1) === 'containers' && Array.isArray(value) && value.length ? [...path, 0] : path;
      const lc = new LineCounter();
      const parsed = parseDocument(text, { lineCounter: lc });
      const node = parsed.getIn(where, true) as { range?: [number, number, number] } | undefined;
      const at = lc.linePos(node?.range?.[0] ?? 0);
      expect(e.position).toMatchObject({ file: 'w.yaml', line: at.line, column: at.col });
    }), { numRuns: 300 });
  });
});
