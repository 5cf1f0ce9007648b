/**
 * parseYaml11 gives what the `yaml` package's `parse(text, { version: '1.1' })` gives: on YAML 1.1
 * scalars of every kind, on the constructs it hands to `yaml` (tags, anchors, merge keys), on
 * errors, and on what the shipped injection templates print for a range of pods.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { injectFile } from '../../src/inject/documents.js';
import { NOT_SIMPLE, needsYaml, parseYaml11, readSimpleYaml } from '../../src/manifest/yaml11-data.js';
import { defaultInjector } from '../inject/injector.js';

const yaml11 = (text: string): unknown => parse(text, { version: '1.1' });

/** Returns what a reader gives: the data, or the error's class and message. */
function outcome(read: (text: string) => unknown, text: string): unknown {
  try {
    return { data: read(text) };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

const SCALARS = [
  // YAML 1.1 booleans, and what only looks like one.
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'on', 'On', 'ON', 'off', 'Off', 'OFF', 'yEs', 'oN', 'nO', 'yes please', '"yes"', "'on'",
  // Null.
  '~', 'null', 'Null', 'NULL', 'nULL', '', '"null"',
  // Integers: decimal, octal, hex, binary, underscores, signs, sexagesimal.
  '0', '7', '-12', '+12', '0755', '0o755', '08', '0x1F', '0X1F', '0b101', '1_000', '190:20:30', '-1:30', '12345678901234567890',
  '"0755"', "'8080'",
  // Floats.
  '1.0', '1.', '.5', '-1.5e3', '1e3', '1E-3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1_000.5', '190:20:30.15', '1.2.3',
  // Timestamps (the `yaml` package gives their ISO text in plain data).
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2001-12-15T02:59:43.1Z', '"2001-12-14"',
  // Strings that resemble the above, and text with indicators inside.
  'v1', '1.30.3', 'docker.io/istio/proxyv2:1.30.3', '--concurrency=2', '/stats/prometheus', '"*"', 'a: b',
  '"line\\nbreak \\u00e9 \\x41"', "'it''s'", '0.0.0.0/0', '15020', '"15020"', '-', '- -',
];

describe('parseYaml11', () => {
  it.each(SCALARS)('reads the scalar %s as the yaml package does', (scalar) => {
    for (const text of [`v: ${scalar}\n`, `- ${scalar}\n`, `{v: [${scalar}]}\n`]) {
      expect(outcome(parseYaml11, text), text).toStrictEqual(outcome(yaml11, text));
    }
  });

  const DOCUMENTS: Record<string, string> = {
    'block and flow collections': 'a:\n  b: [1, two, {c: on}]\n  d:\n  - e: 0755\n    f: |\n      text\n       more\n    g: >-\n      folded\n      line\n',
    'empty values': 'a:\nb: ~\nc: []\nd: {}\n- \n'.replace('- \n', ''),
    'comments': '# head\na: 1 # one\n# between\nb: "x" # two\n',
    'plain multi-line scalar': 'a: one\n  two\n  three\n',
    'keys that are YAML 1.1 scalars': 'yes: a\n0755: b\n1.5: c\n~: d\n',
    'duplicate keys': 'a: 1\na: 2\n',
    'keys equal only as text': '1: a\n"1": b\n',
    'an anchor and an alias': 'a: &x {b: 1}\nc: *x\n',
    'a merge key': 'base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n',
    'an explicit tag': 'a: !!str 0755\nb: !!binary aGVsbG8=\n',
    'a directive': '%YAML 1.1\n---\na: yes\n',
    'a bad indentation': 'a:\n  b: 1\n c: 2\n',
    'a tab': 'a:\n\tb: 1\n',
    'two documents': 'a: 1\n---\nb: 2\n',
    'only a comment': '# nothing\n',
    'nothing': '',
    'a top-level list': '- a\n- on\n',
    'a top-level scalar': 'yes\n',
    'an unclosed flow map': 'a: {b: 1\n',
    'a quoted key': '"a b": 1\n\'c\': 2\n',
    'a __proto__ key': '__proto__: {polluted: yes}\na: 1\n',
    'an empty key in a flow map': 'a: {: x}\nb: [{: y}]\n',
    'null keys deep down': 'a:\n  b:\n  - {null: 1, c: "*"}\n',
    'a quoted "null" key': '"null": 1\n',
    'indicators inside quotes only': 'a: "x & *y ?z %w <<v !u"\n',
  };

  it.each(Object.entries(DOCUMENTS))('reads a document with %s as the yaml package does', (_, text) => {
    expect(outcome(parseYaml11, text)).toStrictEqual(outcome(yaml11, text));
  });

  it('reads what the injection templates print as the yaml package does', async () => {
    const injectors = [
      { ...await defaultInjector(), keepRuns: true },
      { ...await defaultInjector(['values.global.proxy.holdApplicationUntilProxyStarts=true'], true), keepRuns: true },
    ];
    const annotations = [
      '{}',
      '{sidecar.istio.io/proxyCPU: "200m", sidecar.istio.io/logLevel: debug, proxy.istio.io/config: "{holdApplicationUntilProxyStarts: true}"}',
      '{inject.istio.io/templates: "grpc-agent"}',
      '{traffic.sidecar.istio.io/includeOutboundIPRanges: "*", traffic.sidecar.istio.io/excludeInboundPorts: "15020,8080", sidecar.istio.io/interceptionMode: TPROXY}',
      '{prometheus.io/scrape: "true", prometheus.io/port: "9090", status.sidecar.istio.io/port: "0"}',
    ];
    const pods = annotations.map((a, i) => `apiVersion: v1
kind: Pod
metadata: {name: p${i}, namespace: shop, labels: {app: p${i}, version: "v1"}, annotations: ${a}}
spec:
  containers:
  - name: app
    image: "nginx:1.27"
    ports: [{containerPort: 8080, name: http}]
    readinessProbe: {httpGet: {path: /ready, port: 8080}}
`).join('---\n');
    let outputs = 0;
    for (const injector of injectors) {
      for (const run of injectFile(injector, pods, 'pods.yaml').runs) {
        expect(parseYaml11(run.output)).toStrictEqual(yaml11(run.output));
        // The sidecar template prints the simple form, which is read without js-yaml's general reader.
        if (run.template === 'sidecar') expect(readSimpleYaml(run.output)).toStrictEqual(yaml11(run.output));
        outputs++;
      }
    }
    expect(outputs).toBe(annotations.length * injectors.length);
  });
});

describe('readSimpleYaml', () => {
  const READS: Record<string, string> = {
    'nested maps and lists': 'a:\n  b: 1\n  c:\n    d: on\ne: x\n',
    'an indentless list': 'a:\n- 1\n- b: c\n  d: e\nf: g\n',
    'an indented list': 'a:\n  - x\n  -   w: 1\n      z: 2\n',
    'compact nested lists': '- - a\n  - b\n- - - c\n',
    'empty items and values': 'a:\nb:\n- \n-\n- c\n'.replace('- \n', '-\n'),
    'an item holding a block on the next lines': '-\n  a: 1\n-\n  - 2\n',
    'quoted scalars': `a: "x"\nb: "esc\\n\\u00e9\\"q"\nc: 'it''s'\nd: ""\ne: ''\n`,
    'flow collections': 'a: {b: [1, yes], c: "d"}\nb: []\nc: {}\n',
    'YAML 1.1 words and numbers': 'a: yes\nb: 0755\nc: 1:30\nd: ~\ne: 2001-12-14\nf: .inf\ng: -1\nh: -x\n',
    'plain text with indicators inside': 'a: x:y\nb: a#b\nc: url://h/p?q=1&r=*\nd: [x]y\n'.replace('d: [x]y\n', 'd: x,[y]\n'),
    'blank lines': '\na:\n\n  b: 1\n   \nc: 2\n',
  };

  it.each(Object.entries(READS))('reads %s as the yaml package does', (_, text) => {
    expect(readSimpleYaml(text)).toStrictEqual(yaml11(text));
  });

  const DECLINES: Record<string, string> = {
    'a multi-line plain scalar': 'a: one\n  two\n',
    'an item scalar continued': '- a\n  - b\n',
    'a block scalar': 'a: |\n  text\n',
    'a folded scalar': 'a: >-\n  text\n',
    'a multi-line quoted scalar': 'a: "one\n  two"\n',
    'a multi-line flow collection': 'a: [1,\n  2]\n',
    'a comment line': '# c\na: 1\n',
    'a trailing comment': 'a: 1 # c\n',
    'trailing spaces': 'a: 1 \n',
    'a tab': 'a:\n\tb: 1\n',
    'CRLF line ends': 'a: 1\r\nb: 2\r\n',
    'duplicate keys': 'a: 1\na: 2\n',
    'a key YAML 1.1 reads as a boolean': 'yes: 1\n',
    'a key YAML 1.1 reads as a number': '0755: 1\n',
    'a quoted key': '"a": 1\n',
    'a __proto__ key': '__proto__: 1\n',
    'a null key in a flow map': 'a: {~: 1}\n',
    'a bad indentation': 'a:\n  b: 1\n c: 2\n',
    'a deeper line after a value': 'a: 1\n  b: 2\n',
    'an item after a map entry at its column': 'a: 1\n- b\n',
    'a key after a list at the list\'s column': 'a:\n  - x\n  b: 1\n',
    'a document marker': 'a: 1\n---\nb: 2\n',
    'a top-level scalar': 'yes\n',
    'no content': '\n',
    'a value that starts a map': 'a: b: c\n',
    'an unclosed quote': 'a: "x\n',
    'text after a quote': 'a: "x" y\n',
    'a bad escape': 'a: "\\q"\n',
  };

  it.each(Object.entries(DECLINES))('leaves %s to js-yaml', (_, text) => {
    expect(readSimpleYaml(text)).toBe(NOT_SIMPLE);
  });

  it('reads random block trees as the yaml package does', () => {
    let seed = 16;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const WORDS = ['a', 'name', 'yes', '0755', '"q"', "'s'", '{x: 1}', '[on, 2]', '-v', '1:30', 'x:y', 'null', '""', 'p/q.r'];
    const KEYS = ['a', 'b', 'name', 'image', 'env', 'x.y/z', 'k_1'];
    /** Writes a value as lines at `col`; `head` is `key:` or `-` (or '' at the top). */
    const write = (depth: number, col: number, head: string, out: string[]): void => {
      const pad = ' '.repeat(col);
      const kind = depth > 3 ? 2 : rand(3);
      if (kind === 2) {
        out.push(`${pad}${head}${head ? ' ' : ''}${WORDS[rand(WORDS.length)]}`);
        return;
      }
      if (head) out.push(`${pad}${head}`);
      const inner = head === '' ? col : head === '-' ? col + 2 : col + (kind === 1 && rand(2) === 0 ? 0 : 2);
      const count = 1 + rand(3);
      const keys = [...KEYS].sort(() => rand(3) - 1).slice(0, count);
      for (let k = 0; k < count; k++) write(depth + 1, inner, kind === 0 ? `${keys[k]}:` : '-', out);
    };
    let read = 0;
    for (let n = 0; n < 300; n++) {
      const out: string[] = [];
      write(0, 0, '', out);
      const text = `${out.join('\n')}\n`;
      const expected = outcome(yaml11, text);
      const simple = readSimpleYaml(text);
      if (simple === NOT_SIMPLE) continue;
      expect({ data: simple }, text).toStrictEqual(expected);
      read++;
    }
    // Most trees are of the simple form (some top-level scalars are not).
    expect(read).toBeGreaterThan(150);
  });
});

describe('needsYaml', () => {
  it('answers as the regular expression of the constructs js-yaml leaves to the yaml package', () => {
    const NEEDS_YAML = /(?:^|[\s,[\]{}])[!&*?]|^%|<</m;
    const parts = ['a', ' ', '\n', '\r', '\u2028', ',', '[', ']', '{', '}', '"', '!', '&', '*', '?', '%', '<', '<<', ':', '-', '\t', '\u00a0'];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let needs = 0;
    for (let n = 0; n < 5000; n++) {
      let text = '';
      for (let k = rand(8); k >= 0; k--) text += parts[rand(parts.length)];
      expect(needsYaml(text), JSON.stringify(text)).toBe(NEEDS_YAML.test(text));
      if (NEEDS_YAML.test(text)) needs++;
    }
    expect(needs).toBeGreaterThan(500);
    expect(needs).toBeLessThan(4500);
  });
});
