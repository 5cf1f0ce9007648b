/**
 * The byte-exact round trip kube-inject and kube-uninject promise, over the ways a workload can be
 * written: flow and block styles, comments inside flow maps, empty collections, multi-document
 * streams, Lists, JSON, every workload kind, values of YAML 1.1 tags, merge keys elsewhere in the
 * document. Where exactness is impossible (an alias or a merge key inside a pod template that
 * injection must change, an empty `{}` ending a flow map, JSON laid out differently from
 * JSON.stringify), kube-inject names the place and kube-uninject gives back the same data.
 * Then a property test over generated workloads in mixed flow and block styles.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Document, parseAllDocuments } from 'yaml';
import { injectFile, uninjectFile } from '../../src/inject/documents.js';
import { run } from '../helpers.js';
import { defaultInjector } from './injector.js';

const injectors = { classic: await defaultInjector(), native: await defaultInjector([], true) };

const deployment = (template: string, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}${extra}
  template: ${template}
`;

/** Pod templates of every workload kind, flow style (the kind decides where the template is). */
const FLOW_POD = '{metadata: {labels: {app: w, version: v1}}, spec: {containers: [{name: w, image: nginx}]}}';
const KIND_CASES: Record<string, string> = {
  Pod: 'apiVersion: v1\nkind: Pod\nmetadata: {name: w, labels: {app: w}}\nspec: {containers: [{name: w, image: nginx}]}\n',
  'Pod without labels': 'apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec: {containers: [{name: w, image: nginx}]}\n',
  Deployment: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec: {selector: {matchLabels: {app: w}}, template: ${FLOW_POD}}\n`,
  StatefulSet: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: w}\nspec: {serviceName: w, selector: {matchLabels: {app: w}}, template: ${FLOW_POD}}\n`,
  DaemonSet: `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: w}\nspec: {selector: {matchLabels: {app: w}}, template: ${FLOW_POD}}\n`,
  ReplicaSet: `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: w}\nspec: {selector: {matchLabels: {app: w}}, template: ${FLOW_POD}}\n`,
  ReplicationController: `apiVersion: v1\nkind: ReplicationController\nmetadata: {name: w}\nspec: {selector: {app: w}, template: ${FLOW_POD}}\n`,
  DeploymentConfig: `apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: w}\nspec: {selector: {app: w}, template: ${FLOW_POD}}\n`,
  Job: 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: w}\nspec: {template: {metadata: {labels: {app: w}}, spec: {restartPolicy: Never, containers: [{name: w, image: nginx}]}}}\n',
  CronJob: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: w}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {template: {metadata: {labels: {app: w}}, spec: {restartPolicy: Never, containers: [{name: w, image: nginx}]}}}}}\n',
  'CronJob, block': 'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: w\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: w\n            image: nginx\n',
};

const json = (value: unknown, indent: number | string): string => `${JSON.stringify(value, null, indent)}\n`;
const JSON_DEPLOYMENT = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
};

/** Inputs that must come back byte for byte. */
const EXACT: Record<string, string> = {
  'flow pod template (the issue)': deployment('{metadata: {labels: {app: web, version: v1}}, spec: {containers: [{name: web, image: nginx}]}}'),
  'block pod template': deployment('\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
  'flow pod template without metadata': deployment('{spec: {containers: [{name: web, image: nginx}]}}'),
  'flow pod template with empty metadata': deployment('{metadata: {}, spec: {containers: [{name: web, image: nginx}]}}'),
  'block pod template with empty flow metadata': deployment('\n    metadata: {}\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
  'block pod template without metadata': deployment('\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
  'flow pod template, empty collections the user wrote before other keys': deployment('{metadata: {annotations: {}, labels: {app: web}}, spec: {volumes: [], initContainers: [], containers: [{name: web, image: nginx}]}}'),
  'block pod template, empty flow collections the user wrote': deployment('\n    metadata:\n      labels: {app: web}\n      annotations: {}\n    spec:\n      containers: [{name: web, image: nginx}]\n      volumes: []\n      initContainers: []'),
  'null annotations before labels (as Helm charts render them)': deployment('\n    metadata:\n      annotations:\n      labels:\n        app: web\n    spec:\n      volumes:\n      containers:\n      - name: web\n        image: nginx'),
  'null pod metadata': deployment('\n    metadata:\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
  'flow map with comments and line breaks': deployment('{\n    # pod metadata\n    metadata: {labels: {app: web, # the app\n                        version: v1}},\n    spec: {containers: [\n      {name: web, image: nginx}, # main\n    ]}\n  }'),
  'flow maps on several lines': deployment('{\n    metadata: {\n      labels: {app: web, version: v1}\n    },\n    spec: {\n      containers: [\n        {name: web, image: nginx}\n      ]\n    }\n  }'),
  'a document that is one flow map': '{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}}\n',
  'an alias outside the pod template': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: &l {app: web}\nspec:\n  selector: {matchLabels: *l}\n  template:\n    metadata: {labels: {app: web, version: v1}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
  'labels through a merge key, block': deployment('\n    metadata:\n      labels:\n        <<: &base {app: web}\n        version: v1\n    spec: {containers: [{name: web, image: nginx}]}'),
  'labels and pod spec fields through merge keys, flow': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: &sel {app: web}}\n  template: {metadata: {labels: {<<: *sel, version: v1}}, spec: {<<: {serviceAccountName: web}, containers: [{name: web, image: nginx}]}}\n',
  'a merge key in a YAML 1.1 document': '%YAML 1.1\n---\n' + deployment('\n    metadata:\n      labels:\n        <<: [{app: web}, {tier: a}]\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
  'a merge key outside the pod template': 'x-defaults: &d {app: web}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    <<: {team: a}\n    app: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}\n',
  'multi-document stream with markers, comments and untouched kinds': '# leading comment\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80, name: http}]}\n---\n' + deployment('{metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}') + '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: p}}\nspec: {containers: [{name: p, image: nginx}]}\n...\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  containers:\n  - name: q\n    image: nginx\n',
  'a List with flow and block items': 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: p, image: nginx}]}}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n  spec:\n    selector: {matchLabels: {app: web}}\n    template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}\n',
  'a List that is one flow map': '{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: p, image: nginx}]}}]}\n',
  'CRLF line endings, flow': deployment('{metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}').replaceAll('\n', '\r\n'),
  'values of YAML 1.1 tags in other documents and outside the pod template': deployment('{metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}').replace('metadata: {name: web}', 'metadata: {name: web, annotations: {blob: !!binary aGVsbG8=}}')
    + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bin}\nbinaryData:\n  blob: !!binary |\n    aGVsbG8gd29ybGQ=\ndata: {set: !!set {a, b}, omap: !!omap [a: 1], pairs: !!pairs [a: 1], when: !!timestamp 2001-12-14}\n',
  'JSON, canonical two-space layout': json(JSON_DEPLOYMENT, 2),
  'JSON, one line': JSON.stringify(JSON_DEPLOYMENT),
  'JSON, tabs': json(JSON_DEPLOYMENT, '\t'),
  'JSON, empty collections the user wrote before other keys': json({ ...JSON_DEPLOYMENT, spec: { ...JSON_DEPLOYMENT.spec, template: { metadata: { annotations: {}, labels: { app: 'web' } }, spec: { volumes: [], containers: [{ name: 'web', image: 'nginx' }] } } } }, 2),
  'JSON List': json({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'p', image: 'nginx' }] } }, JSON_DEPLOYMENT] }, 2),
};
for (const [kind, text] of Object.entries(KIND_CASES)) EXACT[`kind ${kind}`] = text;

function fileName(name: string): string {
  return name.startsWith('JSON') ? 'in.json' : 'in.yaml';
}

describe('uninject(inject(x)) === x, byte for byte', () => {
  for (const [name, input] of Object.entries(EXACT)) {
    for (const [layout, injector] of Object.entries(injectors)) {
      it(`${name} (${layout})`, () => {
        const file = fileName(name);
        const once = injectFile(injector, input, file);
        expect(once.workloads.length).toBeGreaterThan(0);
        expect(once.workloads.every((w) => w.action === 'injected')).toBe(true);
        expect(once.output).not.toBe(input);
        // Nothing to report: the round trip is exact.
        expect(once.workloads.flatMap((w) => w.notes)).toEqual([]);
        expect(injectFile(injector, once.output, file).output).toBe(once.output);
        const back = uninjectFile(once.output, file);
        expect(back.workloads.every((w) => w.action === 'uninjected')).toBe(true);
        expect(back.output).toBe(input);
        expect(back.workloads.flatMap((w) => w.notes)).toEqual([]);
      });
    }
  }
});

/** Documents of a YAML or JSON text as plain data. */
function data(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true }).map((d) => d.toJS() as unknown).filter((d) => d !== null);
}

/** Inputs whose round trip cannot be exact: the note kube-inject gives (line:column and why), and the note kube-uninject gives, if any. */
const INEXACT: Record<string, { input: string; inject?: RegExp; uninject?: RegExp; exact?: boolean; lost?: [string, string] }> = {
  'labels through an alias in the pod template': {
    input: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: &l {app: web}\nspec:\n  selector: {matchLabels: *l}\n  template:\n    metadata:\n      labels: *l\n    spec: {containers: [{name: web, image: nginx}]}\n',
    inject: /^in\.yaml:10:14: kube-uninject will not give this file back byte for byte: "labels: \*l" comes back as "labels:" \(an alias in a changed pod template is written out\)$/,
    uninject: /^in\.yaml:11:9: labels equals anchor &l; if it was \*l before kube-inject, it comes back written out$/,
  },
  'containers shared through an alias by two workloads of a List': {
    input: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: &c\n    - name: web\n      image: nginx\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers: *c\n',
    inject: /^in\.yaml:15:16: kube-uninject will not give this file back byte for byte: "containers: \*c" comes back as "containers:" \(an alias in a changed pod template is written out\)$/,
  },
  'literal labels equal to an anchor (kube-uninject cannot tell them from an alias)': {
    input: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: &l {app: web}\nspec:\n  selector: {matchLabels: *l}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n',
    exact: true,
    uninject: /^in\.yaml:9:24: labels equals anchor &l; if it was \*l before kube-inject, it comes back written out$/,
  },
  'containers merged in with << (injection changes them)': {
    input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  <<: &pod {containers: [{name: web, image: nginx}]}\n',
    inject: /^in\.yaml:5:3: .*"<<: &pod \{containers: \[\{name: web, image: nginx\}\]\}" comes back as "containers:" \(a merge key \(<<\) whose merged values injection changes is written out\)$/,
  },
  'an empty {} the user wrote at the end of a flow map': {
    input: deployment('{metadata: {labels: {app: web}, annotations: {}}, spec: {containers: [{name: web, image: nginx}]}}'),
    inject: /^in\.yaml:6:43: .*"\.\.\.\{labels: \{app: web\}, annotations: \{\}\}, spec.*" comes back as .* \(an empty \{\} or \[\] at the end of a flow map reads as one kube-inject added\)$/,
    lost: [', annotations: {}', ''],
  },
  'a null field at the end of its map': {
    input: deployment('\n    metadata:\n      labels:\n        app: web\n      annotations:\n    spec:\n      containers:\n      - name: web\n        image: nginx'),
    inject: /^in\.yaml:10:5: kube-uninject will not give this file back byte for byte: "annotations:" comes back as "spec:" \(a field left null at the end of its map reads as one kube-inject added\)$/,
    lost: ['      annotations:\n', ''],
  },
  'a null field in a flow map': {
    input: deployment('{metadata: {annotations: null, labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}'),
    inject: /^in\.yaml:6:38: .* comes back as .*annotations: \{\}, labels.* \(a null field in a flow map comes back as the empty collection injection filled in\)$/,
    lost: ['annotations: null', 'annotations: {}'],
  },
  'JSON laid out otherwise than JSON.stringify': {
    input: '{\n    "apiVersion": "apps/v1",\n    "kind": "Deployment",\n    "metadata": {"name": "web"},\n    "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}\n}\n',
    inject: /^in\.json:4:18: kube-uninject will not give this file back byte for byte: .* \(JSON output is laid out anew, with the indentation of the input\)$/,
  },
};

describe('where the round trip cannot be exact, kube-inject says where and why, and the data comes back', () => {
  for (const [name, c] of Object.entries(INEXACT)) {
    it(name, () => {
      const file = name.startsWith('JSON') ? 'in.json' : 'in.yaml';
      const once = injectFile(injectors.classic, c.input, file);
      const notes = once.workloads.flatMap((w) => w.notes);
      expect(notes).toHaveLength(c.inject ? 1 : 0);
      if (c.inject) expect(notes[0]).toMatch(c.inject);
      expect(injectFile(injectors.classic, once.output, file).output).toBe(once.output);
      const back = uninjectFile(once.output, file);
      if (c.exact) expect(back.output).toBe(c.input);
      else expect(back.output).not.toBe(c.input);
      // Equal data, but for an empty collection that kube-inject said would not come back.
      expect(data(back.output)).toEqual(data(c.lost ? c.input.replace(...c.lost) : c.input));
      const backNotes = back.workloads.flatMap((w) => w.notes);
      if (c.uninject) expect(backNotes.some((n) => c.uninject!.test(n)), backNotes.join('\n')).toBe(true);
      else expect(backNotes).toEqual([]);
    });
  }

  it('prints the notes on stderr, one line each, after the report line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-roundtrip-'));
    const file = join(dir, 'alias.yaml');
    writeFileSync(file, INEXACT['labels through an alias in the pod template']!.input);
    const injected = await run(['kube-inject', '-f', file]);
    expect(injected.code).toBe(0);
    expect(injected.stderr).toContain(`deployment "default/web" injected\n  note: ${file}:10:14: kube-uninject will not give this file back byte for byte`);
    const out = join(dir, 'injected.yaml');
    writeFileSync(out, injected.stdout);
    const back = await run(['kube-uninject', '-f', out]);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain(`deployment "default/web" uninjected\n  note: ${out}:11:9: labels equals anchor &l; if it was *l before kube-inject, it comes back written out\n`);
  });
});

describe('values of YAML 1.1 tags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-tags-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const pod = (metadata: string, container = ''): string => deployment(`\n    metadata: ${metadata}\n    spec: {containers: [{name: web, image: nginx${container}}]}`);
  const refused: Record<string, [string, RegExp]> = {
    '!!binary annotation': [pod('{labels: {app: web}, annotations: {blob: !!binary aGVsbG8=}}'), /:7:65: deployment "web": spec\.template\.metadata\.annotations\.blob is !!binary data; a pod template holds only text, numbers, true\/false, null, lists and maps, so it cannot be injected/],
    '!!set args': [pod('{labels: {app: web}}', ', args: !!set {a, b}'), /:8:63: deployment "web": spec\.template\.spec\.containers\[0\]\.args is a !!set;/],
    '!!omap labels': [pod('{labels: !!omap [app: web]}'), /:7:31: deployment "web": spec\.template\.metadata\.labels is an !!omap;/],
    '!!timestamp label': [pod('{labels: {app: web, when: !!timestamp 2001-12-14}}'), /:7:53: deployment "web": spec\.template\.metadata\.labels\.when is a timestamp/],
    'YAML 1.1 date in an env value': [`%YAML 1.1\n---\n${pod('{labels: {app: web}}', ', env: [{name: D, value: 2001-12-14}]')}`, /:10:74: deployment "web": spec\.template\.spec\.containers\[0\]\.env\[0\]\.value is a timestamp/],
  };
  for (const [name, [text, message]] of Object.entries(refused)) {
    it(`kube-inject refuses ${name} in a pod template at its position (65), writing nothing`, async () => {
      const file = write(`${name.replace(/\W+/g, '-')}.yaml`, text);
      const r = await run(['kube-inject', '-f', file]);
      expect(r.code).toBe(65);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${message.source}`));
      expect(r.stderr).not.toMatch(/Uint8Array|\[object|at .*\.ts:\d+/);
    });
  }

  it('kube-uninject leaves an injected pod template holding !!binary and !!timestamp values byte for byte, apart from what it removes', async () => {
    const input = pod('{labels: {app: web}, annotations: {owner: a}}');
    const injected = injectFile(injectors.classic, input, 'in.yaml').output
      .replace('annotations: {owner: a, ', 'annotations: {owner: a, blob: !!binary aGVsbG8=, when: !!timestamp 2001-12-14, ');
    expect(injected).toContain('!!binary');
    const file = write('injected-binary.yaml', injected);
    const r = await run(['kube-uninject', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(input.replace('annotations: {owner: a}', 'annotations: {owner: a, blob: !!binary aGVsbG8=, when: !!timestamp 2001-12-14}'));
  });

  // The tag, the line, and what validate and manifest generate say of it (!!pairs is a list of maps: JSON data).
  const tagged = [
    ['binary', 'binaryData: {blob: !!binary aGVsbG8=}', /cm-binary\.yaml:11:29: binaryData\.blob is !!binary data; Kubernetes objects hold only/, /iop-binary\.yaml:6:33: spec\.unknownField\.blob is !!binary data; an IstioOperator holds only/],
    ['set', 'data: !!set {a, b}', /cm-set\.yaml:11:13: data is a !!set;/, /iop-set\.yaml:6:23: spec\.unknownField is a !!set;/],
    ['omap', 'data: !!omap [a: x]', /cm-omap\.yaml:11:14: data is an !!omap;/, /iop-omap\.yaml:6:24: spec\.unknownField is an !!omap;/],
    ['pairs', 'data: !!pairs [a: x]', /cm-pairs\.yaml:11:15: ConfigMap\/default\/c: data: Invalid value: "array": data in body must be of type object/, /iop-pairs\.yaml:6:3: .*unknownField/],
    ['timestamp', 'data: {when: !!timestamp 2001-12-14}', /cm-timestamp\.yaml:11:26: data\.when is a timestamp/, /iop-timestamp\.yaml:6:36: spec\.unknownField\.when is a timestamp/],
  ] as const;
  for (const [tag, line, validated, generated] of tagged) {
    it(`a ConfigMap with !!${tag} beside a workload: kube-inject and kube-uninject pass it through; analyze, validate and manifest generate point at it; profile dump never crashes`, async () => {
      const text = `${deployment('{metadata: {labels: {app: web, version: v1}}, spec: {containers: [{name: web, image: nginx}]}}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n${line}\n`;
      const file = write(`cm-${tag}.yaml`, text);
      const injected = await run(['kube-inject', '-f', file]);
      expect(injected.code).toBe(0);
      expect(injected.stdout.endsWith(`---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n${line}\n`)).toBe(true);
      const back = await run(['kube-uninject', '-f', '-'], { stdin: injected.stdout });
      expect(back.code).toBe(0);
      expect(back.stdout).toBe(text);
      const iop = write(`iop-${tag}.yaml`, `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values: {global: {hub: x}}\n  meshConfig: {defaultConfig: {proxyMetadata: {A: x}}}\n  ${line.replace(/^(binaryData|data)/, 'unknownField')}\n`);
      // Not JSON data: validate and analyze refuse the object at its node (65); !!pairs is a list: a schema error (1).
      const validate = await run(['validate', '-f', file]);
      expect(validate.code).toBe(tag === 'pairs' ? 1 : 65);
      expect(validate.stderr).toMatch(validated);
      const analyze = await run(['analyze', file]);
      expect(analyze.code).toBe(tag === 'pairs' ? 0 : 65);
      if (tag !== 'pairs') expect(analyze.stderr).toMatch(new RegExp(`^Error: .*${validated.source.replace(/: ([a-z])/, ': ConfigMap "c": $1')}`));
      const generate = await run(['manifest', 'generate', '-f', iop]);
      expect(generate.code).toBe(65);
      expect(generate.stdout).toBe('');
      expect(generate.stderr).toMatch(generated);
      for (const argv of [['analyze', iop], ['validate', '-f', iop], ['profile', 'dump', '-f', iop]]) {
        const r = await run(argv);
        expect([0, 1, 64, 65, 79], argv.join(' ')).toContain(r.code);
        expect(r.stderr, argv.join(' ')).not.toMatch(/Uint8Array|\[object |TypeError|at .*\.(ts|js):\d+/);
      }
    });
  }
});

// ---------------------------------------------------------------- property test

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
const labelValue = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,6}[A-Za-z0-9])?$/);
const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'DeploymentConfig', 'Job', 'CronJob'] as const;

const generated = fc.record({
  kind: fc.constantFrom(...KINDS),
  name: dnsName,
  labels: fc.option(fc.dictionary(fc.constantFrom('app', 'version', 'tier'), labelValue, { maxKeys: 3 }), { nil: undefined }),
  annotations: fc.option(fc.dictionary(fc.constantFrom('owner', 'team.example.com/id'), labelValue, { maxKeys: 2 }), { nil: undefined }),
  containers: fc.uniqueArray(fc.record({ name: dnsName, image: fc.constantFrom('nginx', 'busybox:1.36') }), { minLength: 1, maxLength: 2, selector: (c) => c.name }),
  volumes: fc.option(fc.constantFrom([], [{ name: 'data', emptyDir: {} }]), { nil: undefined }),
  // Which maps and lists are flow (`{}`/`[]`) rather than block: by depth and at random.
  flow: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  indentSeq: fc.boolean(),
  list: fc.boolean(),
});
type Generated = typeof generated extends fc.Arbitrary<infer T> ? T : never;

/** Writes a generated workload with a random mix of flow and block collections (a flow collection's children are flow). */
function renderGenerated(g: Generated): string {
  const podMeta: Record<string, unknown> = {};
  if (g.labels) podMeta.labels = g.labels;
  if (g.annotations) podMeta.annotations = g.annotations;
  const podSpec: Record<string, unknown> = { containers: g.containers };
  if (g.kind === 'Job' || g.kind === 'CronJob') podSpec.restartPolicy = 'Never';
  if (g.volumes) podSpec.volumes = g.volumes;
  const template = Object.keys(podMeta).length ? { metadata: podMeta, spec: podSpec } : { spec: podSpec };
  const apiVersion = { Pod: 'v1', ReplicationController: 'v1', DeploymentConfig: 'apps.openshift.io/v1', Job: 'batch/v1', CronJob: 'batch/v1' }[g.kind as string] ?? 'apps/v1';
  const selector = g.kind === 'ReplicationController' || g.kind === 'DeploymentConfig' ? { app: g.name } : { matchLabels: { app: g.name } };
  let body: Record<string, unknown>;
  if (g.kind === 'Pod') body = { apiVersion, kind: g.kind, metadata: { name: g.name, ...podMeta }, spec: podSpec };
  else if (g.kind === 'Job') body = { apiVersion, kind: g.kind, metadata: { name: g.name }, spec: { template } };
  else if (g.kind === 'CronJob') body = { apiVersion, kind: g.kind, metadata: { name: g.name }, spec: { schedule: '@daily', jobTemplate: { spec: { template } } } };
  else body = { apiVersion, kind: g.kind, metadata: { name: g.name }, spec: { selector, template } };
  const root = g.list ? { apiVersion: 'v1', kind: 'List', items: [body] } : body;
  const doc = new Document(root);
  let i = 0;
  const style = (node: unknown): void => {
    if (!node || typeof node !== 'object' || !('items' in node)) return;
    const coll = node as { flow?: boolean; items: unknown[] };
    // Empty collections are always written `{}`/`[]`.
    if (coll.items.length > 0 && g.flow[i++ % g.flow.length]) { coll.flow = true; return; }
    for (const item of coll.items) {
      if (item && typeof item === 'object' && 'value' in item) style((item as { value: unknown }).value);
      else style(item);
    }
  };
  style(doc.contents);
  return doc.toString({ indentSeq: g.indentSeq, lineWidth: 0, flowCollectionPadding: false });
}

/** `value` without empty maps and lists (where kube-uninject may drop one the user wrote). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const inner = withoutEmpty(v);
    if (inner === null || typeof inner !== 'object' || Object.keys(inner).length > 0) out[k] = inner;
  }
  return out;
}

describe('uninject(inject(x)) === x on generated workloads in mixed flow and block styles', () => {
  it('is exact, and re-injection is a no-op', () => {
    fc.assert(fc.property(generated, fc.boolean(), (g, native) => {
      const input = renderGenerated(g);
      const injector = native ? injectors.native : injectors.classic;
      const once = injectFile(injector, input, 'gen.yaml');
      expect(once.workloads.map((w) => w.action)).toEqual(['injected']);
      expect(parseAllDocuments(once.output).every((d) => d.errors.length === 0)).toBe(true);
      expect(injectFile(injector, once.output, 'gen.yaml').output).toBe(once.output);
      const back = uninjectFile(once.output, 'gen.yaml');
      // An empty `volumes: []` the user wrote at the end of a flow pod spec is the one case
      // that reads like one injection added; kube-inject says so, and the data comes back.
      if (once.workloads[0]!.notes.length) {
        expect(once.workloads[0]!.notes[0]).toMatch(/an empty \{\} or \[\] at the end of a flow map/);
        expect(withoutEmpty(data(back.output))).toEqual(withoutEmpty(data(input)));
      } else {
        expect(back.output).toBe(input);
      }
    }), { numRuns: 150 });
  });
});
