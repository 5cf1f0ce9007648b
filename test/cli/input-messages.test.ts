/**
 * Messages about bad input are in the user's terms, with a position, and the same from every
 * command that reads the input: no library warnings (`Keys with collection values will be
 * stringified`), no internal template-data decoding errors, and one answer from analyze and validate
 * for objects that cannot be loaded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { run, type RunResult } from '../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshctl-input-messages-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { KUBECONFIG: join(scratch, 'no-kubeconfig') };

function write(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

/** The first line of stderr that names `file`, without a leading `Error: `. */
function firstProblem(r: RunResult, file: string): string {
  const line = r.stderr.split('\n').find((l) => l.includes(file)) ?? '';
  return line.replace(/^Error: /, '');
}

const DEPLOYMENT = (podSpec: string, name = 'web') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, version: v1}
    spec:
${podSpec}`;

const CONTAINER = '      containers:\n      - name: web\n        image: nginx\n';

describe('a mapping key that is a list or a map', () => {
  let warn: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const workloadKey = write('key-seq.yaml', DEPLOYMENT(CONTAINER).replace('  name: web\n', '  name: web\n  labels:\n    ? [a, b]\n    : x\n'));
  const workloadMapKey = write('key-map.yaml', DEPLOYMENT(CONTAINER).replace('  name: web\n', '  name: web\n  annotations: {{a: 1}: x}\n'));
  const operatorKey = write('key-iop.yaml', 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    ? [a, b]\n    : x\n');
  const LIST = 'a mapping key must be a scalar (text, a number or a boolean), not a list';

  it.each([
    ['kube-inject', ['kube-inject', '-f', workloadKey], workloadKey, `6:7: ${LIST}`],
    ['analyze', ['analyze', '--use-kube=false', workloadKey], workloadKey, `6:7: ${LIST}`],
    ['validate', ['validate', '-f', workloadKey], workloadKey, `6:7: ${LIST}`],
    ['manifest diff', ['manifest', 'diff', workloadKey, workloadKey], workloadKey, `6:7: ${LIST}`],
    ['manifest generate', ['manifest', 'generate', '-f', operatorKey], operatorKey, `5:7: ${LIST}`],
    ['profile dump', ['profile', 'dump', '-f', operatorKey], operatorKey, `5:7: ${LIST}`],
    ['kube-inject (a map key)', ['kube-inject', '-f', workloadMapKey], workloadMapKey,
      '5:17: a mapping key must be a scalar (text, a number or a boolean), not a map'],
  ])('%s: exit 65 at the key, and no warning from the YAML library', async (_name, argv, file, expected) => {
    const r = await run(argv, { env });
    expect(r.code, r.stderr).toBe(65);
    expect(firstProblem(r, file)).toBe(`${file}:${expected}`);
    expect(r.stderr).not.toContain('stringified');
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('a collection key inside an annotation that holds YAML (proxy.istio.io/config)', () => {
  let warn: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());
  const file = write('annotation-key.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: |\n      ? [a, b]\n      : x\nspec:\n  containers:\n  - name: c\n    image: nginx\n');

  it('kube-inject: exit 65 at the annotation, saying what is wrong inside it', async () => {
    const r = await run(['kube-inject', '-f', file], { env });
    expect(r.code, r.stderr).toBe(65);
    expect(firstProblem(r, file)).toBe(`${file}:6:28: pod "p": invalid value for annotation 'proxy.istio.io/config': `
      + 'a mapping key must be a scalar (text, a number or a boolean), not a list (line 1, column 3)');
    expect(warn).not.toHaveBeenCalled();
  });

  it('analyze: an invalid annotation finding (IST0125), and no library warning', async () => {
    const r = await run(['analyze', '--use-kube=false', file], { env });
    expect(r.stdout).toContain('IST0125');
    expect(r.stdout).toContain('a mapping key must be a scalar');
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('kube-inject of a container or pod field with the wrong type', () => {
  const cases: [string, string, string][] = [
    ['container-string', '      containers:\n      - "nginx"\n',
      '13:9: deployment "web": spec.template.spec.containers[0] is a string, but it must be a container (a map with name and image)'],
    ['ports-map', `${CONTAINER}        ports: {http: 80}\n`,
      '15:16: deployment "web": spec.template.spec.containers[0].ports is a map, but it must be a list of ports'],
    ['port-number', `${CONTAINER}        ports: [80]\n`,
      '15:17: deployment "web": spec.template.spec.containers[0].ports[0] is a number, but it must be a port (a map)'],
    ['container-port-string', `${CONTAINER}        ports:\n        - containerPort: "80"\n`,
      '16:26: deployment "web": spec.template.spec.containers[0].ports[0].containerPort is a string, but it must be a whole number'],
    ['env-string', `${CONTAINER}        env: "A=1"\n`,
      '15:14: deployment "web": spec.template.spec.containers[0].env is a string, but it must be a list of environment variables'],
    ['env-value-number', `${CONTAINER}        env:\n        - name: A\n          value: 1\n`,
      '17:18: deployment "web": spec.template.spec.containers[0].env[0].value is a number, but it must be text'],
    ['command-string', `${CONTAINER}        command: "sleep 1"\n`,
      '15:18: deployment "web": spec.template.spec.containers[0].command is a string, but it must be a list of text'],
    ['image-list', '      containers:\n      - name: web\n        image: [nginx]\n',
      '14:16: deployment "web": spec.template.spec.containers[0].image is a list, but it must be text'],
    ['init-container-args', `${CONTAINER}      initContainers:\n      - name: init\n        image: busybox\n        args: {a: b}\n`,
      '18:15: deployment "web": spec.template.spec.initContainers[0].args is a map, but it must be a list of text'],
    ['capitalised-ports', `${CONTAINER}        Ports: {a: 1}\n`,
      '15:16: deployment "web": spec.template.spec.containers[0].Ports is a map, but it must be a list of ports'],
    ['service-account-list', `      serviceAccountName: [a]\n${CONTAINER}`,
      '12:27: deployment "web": spec.template.spec.serviceAccountName is a list, but it must be text'],
    ['host-network-string', `      hostNetwork: "yes"\n${CONTAINER}`,
      '12:20: deployment "web": spec.template.spec.hostNetwork is a string, but it must be true or false'],
  ];
  it.each(cases)('%s: exit 65 at the node, in the user\'s terms', async (name, podSpec, expected) => {
    const file = write(`shape-${name}.yaml`, DEPLOYMENT(podSpec));
    const r = await run(['kube-inject', '-f', file], { env });
    expect(r.code, r.stderr).toBe(65);
    expect(r.stdout).toBe('');
    expect(firstProblem(r, file)).toMatch(new RegExp(`^${escape(`${file}:${expected}`)}`));
    expect(r.stderr).not.toMatch(/template data|cannot decode .* as|SidecarTemplateData/);
  });

  it('still injects a workload whose fields are all of the right type, nulls included', async () => {
    const file = write('shape-good.yaml', DEPLOYMENT(`${CONTAINER}        ports:\n        - containerPort: 80\n          name: http\n        env:\n        - name: A\n          value: "1"\n        command: null\n      hostNetwork: false\n`));
    const r = await run(['kube-inject', '-f', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('istio-proxy');
  });
});

describe('analyze and validate: one loader, one answer', () => {
  const cases: [string, string, string][] = [
    ['template-null', `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template: null\n`,
      '8:13: Deployment "web": spec.template is null, but it must be the pod template (a map)'],
    ['template-missing', `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n`,
      '6:3: Deployment "web": spec.template is missing: a Deployment needs the pod template'],
    ['containers-null', DEPLOYMENT('      containers: null\n'),
      '12:19: Deployment "web": spec.template.spec.containers is null: a pod needs at least one container'],
    ['spec-string', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: "hello"\n',
      '5:7: Pod "p": spec is a string, but it must be the pod spec (a map)'],
    ['cronjob-job-template-null', 'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: "* * * * *"\n  jobTemplate: null\n',
      '7:16: CronJob "c": spec.jobTemplate is null, but it must be the job template (a map)'],
    ['no-name', DEPLOYMENT(CONTAINER).replace('  name: web\n', '  labels: {a: b}\n'),
      '4:3: Deployment has no metadata.name'],
  ];
  it.each(cases)('%s: exit 65 from both, at the same node with the same words', async (name, yaml, expected) => {
    const file = write(`load-${name}.yaml`, yaml);
    const analyzed = await run(['analyze', '--use-kube=false', file], { env });
    const validated = await run(['validate', '-f', file], { env });
    expect(analyzed.code, analyzed.stderr).toBe(65);
    expect(validated.code, validated.stderr).toBe(65);
    const [position, ...rest] = expected.split(': ');
    const message = rest.join(': ');
    expect(firstProblem(analyzed, file)).toMatch(new RegExp(`^${escape(`${file}:${position}: ${message}`)}`));
    // validate puts the object's label before messages about a named object.
    expect(firstProblem(validated, file)).toMatch(new RegExp(`^${escape(`${file}:${position}: `)}(?:Deployment//: )?${escape(message)}`));
  });

  it('accepts a workload without a spec in both (a stub that only labels a workload, as upstream analyzer tests use Pods)', async () => {
    const file = write('load-stub.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {app: p, version: v1}\n');
    const analyzed = await run(['analyze', '--use-kube=false', file], { env });
    const validated = await run(['validate', '-f', file], { env });
    expect(analyzed.code, analyzed.stderr).toBe(0);
    expect(validated.code, validated.stderr).toBe(0);
  });

  it('leaves the types of container fields to validate\'s schema check (exit 1), as analyze accepts them', async () => {
    const file = write('load-env-string.yaml', DEPLOYMENT(`${CONTAINER}        env: "A=1"\n`));
    const validated = await run(['validate', '-f', file], { env });
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain('spec.template.spec.containers[0].env');
    const analyzed = await run(['analyze', '--use-kube=false', file], { env });
    expect(analyzed.code, analyzed.stderr).toBe(0);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
