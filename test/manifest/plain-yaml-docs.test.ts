/**
 * compactYamlDocuments reads streams in the plain subset with js-yaml (src/manifest/plain-yaml-docs.ts)
 * and the rest with the `yaml` package. Whichever reader runs, a stream must give what the `yaml`
 * package's reading of it gives (parseYamlDocuments): the same documents, numbered the same, with
 * the same data, the same positions for every node, or the same error at the same position. Checked
 * over every YAML file of test/testdata, the conformance suites and the samples, each also with CRLF
 * line ends and in many small mutations (characters that matter to YAML inserted or removed,
 * lines re-indented or repeated), and over texts written to probe where the two parsers differ.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/analyze/engine.js';
import { meshConfigFromText, meshNetworksFromText } from '../../src/analyze/mesh-config.js';
import { ANALYZERS } from '../../src/analyze/registry.js';
import { friendlyName } from '../../src/analyze/resource.js';
import { lastOfEach, resourcesFromDocuments } from '../../src/analyze/sources.js';
import { ResourceStore } from '../../src/analyze/store.js';
import { profileIngressGateway } from '../../src/cli/analyze-impl.js';
import { DataError } from '../../src/errors.js';
import { compactYamlDocuments } from '../../src/manifest/compact-docs.js';
import { plainYamlDocuments } from '../../src/manifest/plain-yaml-docs.js';
import { parseYamlDocuments, positionOf, type SourceDocument } from '../../src/manifest/yaml-docs.js';
import { CONFORMANCE_DIR, conformanceAvailable } from '../conformance/support.js';
import { repoRoot, testDeps } from '../helpers.js';
import { pathsOf } from './paths.js';


/** What reading a stream gives: per document its index, data and positions (all paths, or only the root), or the error. */
function outcome(read: () => SourceDocument[], allPositions: boolean): unknown {
  let docs: SourceDocument[];
  try {
    docs = read();
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
  return docs.map((d) => ({
    index: d.index,
    data: d.data,
    positions: (allPositions ? pathsOf(d.data) : [[]]).flatMap((p) => [false, true].map((key) => {
      const at = positionOf(d, p, key);
      return `${JSON.stringify(p)} ${key} ${at.file}:${at.line}:${at.column}`;
    })),
  }));
}

/** Asserts that compactYamlDocuments reads `text` as parseYamlDocuments does; returns whether the plain reader took it. */
function expectSame(text: string, allPositions = true): boolean {
  const file = 'in.yaml';
  const compact = outcome(() => [...compactYamlDocuments(text, file)], allPositions);
  const eager = outcome(() => parseYamlDocuments(text, file), allPositions);
  expect(compact, JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}...` : text)).toStrictEqual(eager);
  return plainYamlDocuments(text) !== undefined;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

/** The YAML texts of the repository's test data, the conformance suites and the samples (no binary or huge files). */
function corpus(): { file: string; text: string }[] {
  const dirs = [join(repoRoot, 'test/testdata'), join(repoRoot, '../shared/conformance'), join(repoRoot, '../shared/samples')];
  return dirs.flatMap((d) => yamlFiles(d)).flatMap((file) => {
    const bytes = readFileSync(file);
    return bytes.length > 2_000_000 || bytes.includes(0) ? [] : [{ file, text: bytes.toString('utf8') }];
  });
}

/** A small deterministic random source (mulberry32), so that a failure names a reproducible text. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Text that matters to YAML, inserted by the mutations. */
const INSERTS = ['"', "'", '#', ' #', ':', ': ', '- ', ' ', '  ', '[', ']', '{', '}', ',', '|', '>', '\n', '\n  ', '~', 'null', '?', '*', '&a ',
  '!', '%', '@', '`', '\t', '\r', '---\n', '...\n', '\\', '"a": ', 'x: y: z', '|2', '|-\n', '\n\n   \n', '0x1F', '1e3', '.5', 'True', '\uFEFF', '<<: '];

/** Returns `text` changed at one random place: text inserted, characters removed, a line re-indented or repeated. */
function mutate(text: string, pick: (n: number) => number): string {
  const at = pick(text.length + 1);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  switch (pick(5)) {
    case 0:
    case 1:
      return text.slice(0, at) + INSERTS[pick(INSERTS.length)]! + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + pick(3));
    case 3: {
      const change = [-2, -1, 1, 2][pick(4)]!;
      return change > 0 ? text.slice(0, lineStart) + ' '.repeat(change) + text.slice(lineStart)
        : text.slice(0, lineStart) + text.slice(lineStart).replace(new RegExp(`^ {1,${-change}}`), '');
    }
    default:
      return text.slice(0, lineEnd) + text.slice(lineStart - 1 < 0 ? 0 : lineStart - 1, lineEnd) + text.slice(lineEnd);
  }
}

describe('the plain YAML reader', () => {
  const files = corpus();

  it('reads every YAML file of the test data, the conformance suites and the samples as the yaml package does, with LF and CRLF', () => {
    let plain = 0;
    for (const { file, text } of files) {
      // Positions of every node for the analyzer grid's inputs and the samples (compact-docs.test.ts
      // checks them for test/testdata); of each document's root for the rest.
      if (expectSame(text, /conformance\/[^/]+\/analyze\/|samples\//.test(file))) plain++;
      if (text.length < 10_000) expectSame(text.replace(/\r?\n/g, '\r\n'), false);
    }
    expect(files.length).toBeGreaterThan(400);
    // Most manifests are in the plain subset; a gate that closed on everything would pass the comparison.
    expect(plain).toBeGreaterThan(files.length * 0.6);
  }, 120_000);

  it('reads mutated manifests as the yaml package does, errors and their positions included', () => {
    let plain = 0;
    let checked = 0;
    files.forEach(({ text }, i) => {
      if (text.length > 8_000) return;
      const pick = random(i + 1);
      for (let k = 0; k < 8; k++) {
        let mutated = mutate(text, pick);
        if (k % 3 === 2) mutated = mutate(mutated, pick);
        if (expectSame(mutated, false)) plain++;
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(2000);
    expect(plain).toBeGreaterThan(checked * 0.3);
  }, 120_000);

  it.each([
    ['a quoted value over lines, under-indented', 'a:\n  b: "x\ny"\n'],
    ['a quoted value over lines, indented', 'a:\n  b: "x\n    y"\n'],
    ['a flow value over lines, under-indented', 'a:\n  b: [1,\n2]\n'],
    ['a comment touching a quote', 'a: "x"#c\n'],
    ['a comment touching a flow collection', 'a: [x]#c\n'],
    ['a flow collection as a key', '[a, b]: 1\n'],
    ['a flow map as a key in a flow map', '{a: {[x]: 1}}\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['null keys', '~: a\nnull: b\n"null": c\n'],
    ['an empty key in a flow map', 'a: {: x}\n'],
    ['keys equal as text only', '1: a\n"1": b\n'],
    ['keys equal as numbers', '1.0: a\n1: b\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['nested mappings on one line', 'a: b: c\n'],
    ['a reserved indicator', 'a: @x\nb: `y\n'],
    ['a tab in the indentation', 'a:\n\tb: 1\n'],
    ['a block scalar with more-indented leading blank lines', 'a: |\n      \n  text\n'],
    ['a block scalar with an indentation indicator', 'a: |2\n   x\n  y\n'],
    ['a block scalar then a sibling key', 'l:\n- a: |\n    text\n  b: 1\n'],
    ['a key over 1024 characters', `${'k'.repeat(1030)}: 1\n`],
    ['deep nesting', `${'a:\n'.split('').map(() => '').join('')}${Array.from({ length: 120 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`],
    ['deep flow nesting', `a: ${'['.repeat(150)}${']'.repeat(150)}\n`],
    ['a scalar document', 'just text\n'],
    ['a null document', '~\n'],
    ['only markers and comments', '---\n# c\n---\n'],
    ['comments before the first marker', '# c\n---\na: 1\n'],
    ['an indented first document', '  a: 1\n  b: 2\n'],
    ['plain text over lines', 'a: one\n  two\n'],
    ['core-schema scalars', 'a: [0o17, 0x1F, 017, 1e3, .5, -.inf, .NaN, True, FALSE, yes, on, ~, Null, 1_000, 0b11, 12345678901234567890, 2001-12-14]\n'],
    ['quoted escapes', 'a: "\\x41\\u00e9\\U0001F600\\N\\_\\ \\/\\t"\nb: \'it\'\'s\'\n'],
    ['a __proto__ key', '__proto__: {x: 1}\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n---\nb: 2\n'],
    ['a byte-order mark', '\uFEFFa: 1\n'],
    ['a lone carriage return', 'a: 1\rb: 2\n'],
    ['CRLF', 'a: 1\r\nb:\r\n  - c\r\n---\r\nd: |\r\n  x\r\n'],
    ['a flow sequence with a pair', 'a: [b: c, d]\n'],
    ['JSON-like adjacent values', 'a: {"b":1, "c":[2]}\n'],
    ['a sequence under a key at its indentation', 'a:\n- 1\n- 2\nb: x\n'],
    ['a compact sequence', 'a:\n- - 1\n  - 2\n- - 3\n'],
    ['a dash alone', 'a:\n-\n  b: 1\n'],
    ['continuation lines that look like entries', '- a\n  - b\nk: v\n  - x\n'],
    ['a continuation that looks like an entry of a compact map', '- a: b\n   - c\n'],
    ['a continuation at less indentation than its entry', 'a:\n- b\n - c\n'],
    ['a continuation that looks like a key', '- a\n  b: c\n'],
    ['a block scalar with a line less indented than its first', 'a: |\n    x\n  y\n'],
    ['an indented comment after a value', 'a: b\n  #c\n'],
  ])('%s: as the yaml package reads it', (_, text) => {
    expectSame(text);
  });

  it('takes Kubernetes manifests written the usual way', () => {
    const text = '# Service\napiVersion: v1\nkind: Service\nmetadata:\n  name: a  # the name\n  labels: {app: a, "version": v1}\nspec:\n'
      + '  ports:\n  - port: 80\n    name: http\n  selector:\n    app: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'
      + 'data:\n  script: |\n    echo "it\'s [here"\n\n    exit 0\n  json: \'{"a": 1}\'\n---\n';
    expect(plainYamlDocuments(text)?.documents.map((d) => d.data)).toStrictEqual(parseYamlDocuments(text, 'x.yaml').map((d) => d.data));
    expectSame(text);
  });

  it.runIf(conformanceAvailable)('gives the analyzers the same resources: every finding of the conformance grid, its text and position, as with the yaml package', async () => {
    const grid = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'analyze/cases.json'), 'utf8')) as {
      cases: { files: string[]; meshConfigFile: string | null; meshNetworksFile: string | null }[];
    };
    const dir = join(CONFORMANCE_DIR, 'analyze');
    const { deps } = testDeps();
    const findingsWith = async (read: (text: string, file: string) => Iterable<SourceDocument>, c: (typeof grid.cases)[number]): Promise<string[]> => {
      const resources = [];
      const problems: string[] = [];
      for (const file of c.files) {
        try {
          const result = resourcesFromDocuments(read(readFileSync(join(dir, file), 'utf8'), file), { defaultNamespace: 'default' });
          resources.push(...result.resources);
          problems.push(...result.problems.map((p) => `${JSON.stringify(p.position)} ${p.message}`));
        } catch (e) {
          if (!(e instanceof DataError)) throw e;
          problems.push(e.message);
        }
      }
      const loaded = lastOfEach(resources);
      const text = (f: string | null): string | undefined => (f === null ? undefined : readFileSync(join(dir, f), 'utf8'));
      const meshConfig = text(c.meshConfigFile);
      const meshNetworks = text(c.meshNetworksFile);
      const result = runAnalysis(new ResourceStore([...loaded, ...await profileIngressGateway(deps, loaded)], true), {
        analyzers: ANALYZERS.filter((a) => !a.optIn), istioNamespace: 'istio-system', now: 0,
        ...(meshConfig !== undefined ? { meshConfig: meshConfigFromText(meshConfig, c.meshConfigFile!) } : {}),
        ...(meshNetworks !== undefined ? { meshNetworks: meshNetworksFromText(meshNetworks, c.meshNetworksFile!) } : {}),
      });
      const findings = result.findings.map((f) => {
        const at = f.position ? `${f.position.file}:${f.position.line}:${f.position.column}` : '-';
        return `${f.type.code} ${f.resource ? friendlyName(f.resource) : ''} ${at} ${f.message}`;
      });
      return [...problems, ...findings];
    };
    let findings = 0;
    for (const c of grid.cases) {
      const plain = await findingsWith(compactYamlDocuments, c);
      expect(plain, c.files.join(' ')).toStrictEqual(await findingsWith(parseYamlDocuments, c));
      findings += plain.length;
    }
    expect(grid.cases.length).toBeGreaterThan(70);
    expect(findings).toBeGreaterThan(200);
  }, 120_000);
});
