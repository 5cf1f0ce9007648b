import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactYamlDocuments } from '../../src/manifest/compact-docs.js';
import { parseYamlDocuments, positionOf, type SourceDocument } from '../../src/manifest/yaml-docs.js';
import { DataError } from '../../src/errors.js';
import { repoRoot } from '../helpers.js';
import { pathsOf } from './paths.js';


/** Positions of every path (values and keys) of every document, asked for in `order`. */
function positions(docs: readonly SourceDocument[], order: readonly number[]): string[] {
  const out: string[] = [];
  for (const i of order) {
    const d = docs[i]!;
    for (const p of pathsOf(d.data)) {
      for (const key of [false, true]) {
        const at = positionOf(d, p, key);
        out.push(`${d.index} ${JSON.stringify(p)} ${key} ${at.file}:${at.line}:${at.column}`);
      }
    }
  }
  return out.sort();
}

/** Asserts that compact documents give every position, data and error the eager parse gives. */
function expectSame(text: string, file = 'in.yaml'): number {
  let eager: SourceDocument[];
  try {
    eager = parseYamlDocuments(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect(() => [...compactYamlDocuments(text, file)]).toThrow((e as Error).message);
    return 0;
  }
  const compact = [...compactYamlDocuments(text, file)];
  expect(compact.map((d) => d.data)).toEqual(eager.map((d) => d.data));
  const order = eager.map((_, i) => i);
  // Backwards, so every document but the last is parsed again from its text.
  expect(positions(compact, [...order].reverse())).toEqual(positions(eager, order));
  return compact.length;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.(ya?ml|json)$/.test(name)) out.push(path);
  }
  return out;
}

describe('compact YAML documents', () => {
  it.each([
    ['several documents, comments, markers', '# lead\na: 1\n# trail\n---\n# c\nb: [1,\n  2]\n...\n# x\n---\nc: {d: 3, e: [x, y]}\n--- |\n  lit\n...\n---\nf: g\n'],
    ['an indented first document', '  a: 1\n  b:\n    - x\n---\n  c: 2\n'],
    ['flow documents and a document marker with content', '--- {a: 1, b: [2, 3]}\n--- [x, {y: z}]\n---\nk: v\n'],
    ['block scalars and quoted text over lines', 'a: |\n  one\n  two\nb: "x\n  y"\n---\nc: >-\n  folded\n  text\nd: 1\n'],
    ['CRLF line ends', 'a: 1\r\nb:\r\n  c: 2\r\n---\r\nd: [1, 2]\r\n'],
    ['a byte-order mark', '\uFEFFa: 1\n---\nb: 2\n'],
    ['anchors, aliases and merge keys', 'base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n---\nl: &l [1]\nn: *l\n'],
    ['a directive (trees kept)', '%YAML 1.2\n---\na: 1\n---\nb: 2\n'],
    ['empty documents between others', 'a: 1\n---\n# only a comment\n---\n---\nb: 2\n'],
    ['a syntax error in a later document', 'a: 1\n---\nb: [1\n'],
    ['a collection key', 'a: 1\n---\n? [x]\n: 1\n'],
  ])('%s: same data, positions and errors as the eager parse', (_, text) => {
    expectSame(text);
  });

  it('same positions as the eager parse for every YAML and JSON file under test/testdata', () => {
    let documents = 0;
    for (const file of yamlFiles(join(repoRoot, 'test/testdata'))) {
      const bytes = readFileSync(file);
      if (bytes.length > 2_000_000 || bytes.includes(0)) continue;
      documents += expectSame(bytes.toString('utf8'), file);
    }
    expect(documents).toBeGreaterThan(100);
  });

  it('parses a document again from its text once its tree is gone', () => {
    const docs = [...compactYamlDocuments('a: 1\n---\nb:\n  c: [1, 2]\n', 'x.yaml')];
    const first = docs[1]!.doc;
    expect(docs[0]!.doc.range[0]).toBe(0);
    const again = docs[1]!.doc;
    expect(again).not.toBe(first);
    expect(again.range).toEqual(first.range);
    expect(positionOf(docs[1]!, ['b', 'c', 1])).toEqual({ file: 'x.yaml', line: 4, column: 10 });
  });
});
