import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isDeepStrictEqual } from 'node:util';
import { emitYaml, emitYamlBlock, isPlainSafe } from '../../src/manifest/emit.js';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';

/** Reads YAML as a Kubernetes Go client would: YAML 1.1 types (yes/no/on/off booleans, sexagesimals, octals). */
const parse11 = (text: string) => parse(text, { version: '1.1' });

const TRICKY = ['', 'true', 'True', 'yes', 'NO', 'on', 'Off', 'y', 'n', 'null', 'Null', '~', '1', '1.0', '-1', '+1', '.5', '1.', '0x1F', '0o17', '017',
  '1e3', '1_000', '1:20', '.inf', '-.inf', '.NaN', '2001-12-14', '2001-12-14T21:59:43.10-05:00', '-', '- a', '--', '---', 'a: b', 'a:b', 'a:', ':a',
  'a #b', 'a#b', '#x', ' lead', 'trail ', 'a  b', "it's", '"q"', '@x', '`x', '%x', '&a', '*a', '!t', '|', '>', '{a}', '[a]', 'a,b', ',a',
  '?', '? a', '<<', '=', 'é', 'tab\there', 'bell\u0007', 'a\r\nb', 'a\nb', 'a\nb\n', 'a\n\n', '\n', '\n\n', ' x\ny', 'x\n y\n', 'a\n\n\nb\n\n',
  'line\twith tab\nnext', '*', '/dev/stdout', '--domain', '-x', '-- x', '---x', '- ', 'default:info', 'misc:error', '$(POD_NAMESPACE).svc.cluster.local', '100%', 'a\u2028b', '{{ x }}\n',
  'x: |\n  y\n', '  \n', 'end with colon:\nx'];

describe('emitYaml', () => {
  it.each(TRICKY.map((s) => [s]))('round-trips the string %j in YAML 1.2 and 1.1', (s) => {
    const doc = { key: s, list: [s, { k: s }], [s || 'empty']: 1, nested: { deeper: [[s]] } };
    const text = emitYaml(doc);
    expect(parse(text)).toStrictEqual(doc);
    expect(parse11(text)).toStrictEqual(doc);
  });

  it('writes kubectl-style block YAML with sorted keys', () => {
    expect(emitYaml({ kind: 'Service', apiVersion: 'v1', spec: { ports: [{ port: 80, name: 'http' }], selector: {} }, list: [], n: null, t: true }))
      .toBe('apiVersion: v1\nkind: Service\nlist: []\n"n": null\nspec:\n  ports:\n  - name: http\n    port: 80\n  selector: {}\nt: true\n');
  });

  it('writes multi-line strings as literal blocks', () => {
    expect(emitYaml({ data: { mesh: 'a: 1\nb: 2\n' } })).toBe('data:\n  mesh: |\n    a: 1\n    b: 2\n');
    expect(emitYaml({ x: 'a\nb' })).toBe('x: |-\n  a\n  b\n');
    expect(emitYaml({ a: { b: 'x\n\ny\n\n\n' } })).toBe('a:\n  b: |+\n    x\n\n    y\n\n\n');
    expect(emitYaml([{ k: 'one\n  two\n' }])).toBe('- k: |\n    one\n      two\n');
  });

  it('quotes what a reader would not take for a string', () => {
    for (const s of ['true', 'yes', '1.30', '1:20', '017', '', ' x', 'a: b']) expect(isPlainSafe(s)).toBe(false);
    for (const s of ['istio-system', 'docker.io/istio/pilot', '100%', '10m', '1024Mi', 'default:info', 'a b', '--domain', '-x']) expect(isPlainSafe(s)).toBe(true);
  });

  it('round-trips every profile rendering', async () => {
    const assets = await loadAssets(testDeps().deps);
    for (const profile of ['default', 'demo', 'minimal', 'remote']) {
      for (const { object } of renderManifests(resolveConfiguration(assets, { sets: [`profile=${profile}`] }), assets).objects) {
        expect(parse11(emitYaml(object))).toStrictEqual(JSON.parse(JSON.stringify(object)));
      }
    }
  });

  it('round-trips random strings', () => {
    let seed = 42;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const alphabet = 'ab01 :#-\n\t\'"{}[],&*!|>%@`?.=~+_/\\éyYnN';
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 12);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
      const doc = { s, l: [s] };
      const text = emitYaml(doc);
      expect(parse11(text), JSON.stringify(s)).toStrictEqual(doc);
    }
  });
});

describe('emitYaml with maps written already', () => {
  it('writes a known map as its text, indented to its place, and emits the rest', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const doc = { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: schema } }], other: schema } };
    const written = new Map([[schema, emitYaml(schema)]]);
    expect(emitYaml(doc, written)).toBe(emitYaml(doc));
    const standIn = new Map([[schema, 'x: 1\ny:\n  z: |\n    a\n\n    b\n']]);
    expect(emitYaml(doc, standIn)).toBe([
      'spec:', '  other:', '    x: 1', '    y:', '      z: |', '        a', '', '        b',
      '  versions:', '  - name: v1', '    schema:', '      openAPIV3Schema:', '        x: 1', '        y:', '          z: |', '            a', '', '            b', '',
    ].join('\n'));
  });

  it('emits a known map that starts a list item or is the document itself as usual', () => {
    const m = { a: 1 };
    const standIn = new Map([[m, 'stand: in\n']]);
    expect(emitYaml([m], standIn)).toBe('- a: 1\n');
    expect(emitYaml(m, standIn)).toBe('a: 1\n');
  });
});

describe('emitYamlBlock', () => {
  // The rule it replaces: drop the final newline unless the text then reads back as other data.
  const byParsing = (value: unknown) => {
    const text = emitYaml(value);
    const trimmed = text.replace(/\n$/, '');
    return isDeepStrictEqual(parse(trimmed), value) ? trimmed : text;
  };
  it.each([
    [{ a: 1, b: 'x' }],
    [{ a: 'line\n' }],
    [{ a: 'one\ntwo' }],
    [{ a: 'one\ntwo\n\n' }],
    [{ z: 'last\n', a: 'first' }],
    [{ a: 'first\n', z: 'last' }],
    [{ list: ['x', 'y\nz\n'] }],
    [{ list: [{ k: 'v\n' }, { k: 'w' }] }],
    [{ nested: { deeper: { text: 'a\nb\n' } } }],
    [{ a: {}, b: [] }],
    [{ a: undefined, b: 'x' }],
    [{ a: -0 }],
    [{ a: ' leading\n' }],
    [{ a: 'trailing \nspace\n' }],
    [{ networks: {} }],
  ])('ends %j as parsing it back would decide', (value) => {
    expect(emitYamlBlock(value)).toBe(byParsing(value));
  });
});
