/**
 * parseYaml11 gives what the `yaml` package's `parse(text, { version: '1.1' })` gives: on YAML 1.1
 * scalars of every kind, on the constructs it hands to `yaml` (tags, anchors, merge keys), on
 * errors, and on what the shipped injection templates print for a range of pods.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { injectFile } from '../../src/inject/documents.js';
import { parseYaml11 } from '../../src/manifest/yaml11-data.js';
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
        outputs++;
      }
    }
    expect(outputs).toBe(annotations.length * injectors.length);
  });
});
