/**
 * One IstioOperator validation for every command that takes `-f` IstioOperator files or `--set`:
 * a bad value in a file is exit 65 with the `file:line:column` of the offending node, the same
 * message from every command; a bad `--set` is exit 64 naming the flag. Includes what only
 * rendering finds (k8s overlays, duplicate gateway entries), which
 * `profile dump` and `profile diff` used to accept.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshctl-iop-validation-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// No command below may reach a cluster: validation comes first. A kubeconfig that does not exist
// makes sure of it (a run that got that far would fail differently).
const env = { KUBECONFIG: join(scratch, 'no-kubeconfig') };

const HEAD = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n';

/** Each bad input: the file body, the expected `line:column` and the message after the position. */
const BAD_FILES: { name: string; yaml: string; at: string; message: string }[] = [
  {
    name: 'revision',
    yaml: `${HEAD}spec:\n  revision: Bad_Rev\n`,
    at: '4:13',
    message: 'invalid revision "Bad_Rev": must be a DNS-1123 label (lower case letters, digits and "-")',
  },
  {
    name: 'spec-namespace',
    yaml: `${HEAD}spec:\n  namespace: Bad_NS\n`,
    at: '4:14',
    message: 'invalid namespace "Bad_NS": must be a DNS-1123 label (lower case letters, digits and "-")',
  },
  {
    name: 'metadata-namespace',
    yaml: `${HEAD}metadata:\n  namespace: -bad-\nspec:\n  profile: minimal\n`,
    at: '4:14',
    message: 'invalid namespace "-bad-": must be a DNS-1123 label (lower case letters, digits and "-")',
  },
  {
    name: 'values-unknown',
    yaml: `${HEAD}spec:\n  values:\n    pilot:\n      replicaCont: 2\n`,
    at: '6:7',
    message: 'unknown field "replicaCont" in spec.values.pilot',
  },
  {
    name: 'components-unknown',
    yaml: `${HEAD}spec:\n  components:\n    pilot:\n      k8z: {}\n`,
    at: '6:7',
    message: 'unknown field "k8z" in spec.components.pilot (did you mean "k8s"?)',
  },
  {
    name: 'overlay-no-object',
    yaml: `${HEAD}spec:\n  components:\n    pilot:\n      k8s:\n        overlays:\n        - kind: Deployment\n          name: nosuch\n          patches:\n          - path: spec.replicas\n            value: 3\n`,
    at: '8:11',
    message: 'components.pilot.k8s.overlays[0]: no object Deployment/nosuch in this component (it renders: ',
  },
  {
    name: 'overlay-bad-path',
    yaml: `${HEAD}spec:\n  components:\n    pilot:\n      k8s:\n        overlays:\n        - kind: Deployment\n          name: istiod\n          patches:\n          - path: spec.template.spec.containers.[name:nosuch].image\n            value: x\n`,
    at: '11:19',
    message: 'components.pilot.k8s.overlays[0].patches[0] (spec.template.spec.containers.[name:nosuch].image): no list element with name=nosuch',
  },
  {
    name: 'gateway-overlay',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: true\n      k8s:\n        overlays:\n        - kind: Service\n          name: other\n          patches: []\n`,
    at: '10:11',
    message: 'components.ingressGateways[name:istio-ingressgateway].k8s.overlays[0]: no object Service/other in this component',
  },
  {
    name: 'cni-overlay',
    yaml: `${HEAD}spec:\n  components:\n    cni:\n      enabled: true\n      k8s:\n        overlays:\n        - kind: DaemonSet\n          name: istio-cni\n          patches: []\n`,
    at: '9:11',
    message: 'components.cni.k8s.overlays[0]: no object DaemonSet/istio-cni in this component',
  },
  {
    name: 'duplicate-gateway',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: true\n    - name: istio-ingressgateway\n      enabled: true\n`,
    at: '8:13',
    message: 'components.ingressGateways[0] and components.ingressGateways[1] are both gateway "istio-ingressgateway" in namespace "istio-system": give each gateway its own name',
  },
  {
    name: 'duplicate-default-gateway',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - enabled: true\n    - enabled: true\n`,
    at: '7:7',
    message: 'components.ingressGateways[0] and components.ingressGateways[1] are both gateway "istio-ingressgateway" in namespace "istio-system" (an entry without a name is the default gateway)',
  },
  {
    name: 'replicas-past-int32',
    yaml: `${HEAD}spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: 123456789012345678901234567890\n`,
    at: '7:23',
    message: 'spec.components.pilot.k8s.replicaCount: must be at most 2147483647 (the Kubernetes field it sets is an int32), found 1.2345678901234568e+29',
  },
  {
    name: 'hpa-past-int32',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      k8s:\n        hpaSpec:\n          maxReplicas: 2147483648\n`,
    at: '9:24',
    message: 'spec.components.ingressGateways[0].k8s.hpaSpec.maxReplicas: must be at most 2147483647 (the Kubernetes field it sets is an int32), found 2147483648',
  },
  {
    name: 'gateway-port-too-big',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      k8s:\n        service:\n          ports:\n          - port: 70000\n            name: http\n`,
    at: '10:19',
    message: 'spec.components.ingressGateways[0].k8s.service.ports[0].port: must be at most 65535 (a port number), found 70000',
  },
  {
    name: 'gateway-name-invalid',
    yaml: `${HEAD}spec:\n  components:\n    ingressGateways:\n    - name: Ingress_GW\n      enabled: true\n`,
    at: '6:13',
    message: 'spec.components.ingressGateways[0].name: invalid gateway name "Ingress_GW": must be a DNS-1123 label (lower case letters, digits and "-", at most 63 characters)',
  },
  {
    name: 'egress-gateway-name-too-long',
    yaml: `${HEAD}spec:\n  components:\n    egressGateways:\n    - name: ${'e'.repeat(64)}\n      enabled: true\n`,
    at: '6:13',
    message: `spec.components.egressGateways[0].name: invalid gateway name "${'e'.repeat(64)}": must be a DNS-1123 label`,
  },
];

/** The commands, each as argv for one IstioOperator file. */
const COMMANDS: [string, (file: string) => string[]][] = [
  ['manifest generate', (f) => ['manifest', 'generate', '-f', f]],
  ['profile dump', (f) => ['profile', 'dump', '-f', f]],
  ['profile diff', (f) => ['profile', 'diff', 'default', f]],
  ['install --dry-run', (f) => ['install', '--dry-run', '-f', f]],
  ['upgrade --dry-run', (f) => ['upgrade', '--dry-run', '-f', f]],
  ['verify-install', (f) => ['verify-install', '-f', f]],
];

function errorLine(r: RunResult): string {
  return r.stderr.split('\n').filter((l) => l.startsWith('Error: ')).join('\n');
}

describe('a bad value in an IstioOperator file: exit 65 at its file:line:column, from every command', () => {
  for (const bad of BAD_FILES) {
    const file = join(scratch, `${bad.name}.yaml`);
    writeFileSync(file, bad.yaml);
    it.each(COMMANDS)(`${bad.name}: %s`, async (_name, argv) => {
      const r = await run(argv(file), { env });
      expect(r.code, r.stderr).toBe(65);
      expect(r.stdout).toBe('');
      expect(errorLine(r)).toMatch(new RegExp(`^Error: ${escape(`${file}:${bad.at}: ${bad.message}`)}`));
      expect(r.stderr.split('\n').filter((l) => l.startsWith('Error: '))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('validate: the same check for each IstioOperator document, an invalid object (exit 1) at the same position', () => {
  for (const bad of BAD_FILES) {
    it(bad.name, async () => {
      const file = join(scratch, `validate-${bad.name}.yaml`);
      writeFileSync(file, bad.yaml);
      const r = await run(['validate', '-f', file], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${escape(`${file}:${bad.at}: IstioOperator/`)}[^/]*/: ${escape(bad.message)}`));
      expect(r.stderr).toContain(`"${file}" is invalid`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('reports the problem of each IstioOperator document of a stream, beside the other objects', async () => {
    const file = join(scratch, 'validate-stream.yaml');
    const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - name: http\n    port: 80\n';
    writeFileSync(file, `${HEAD}spec:\n  revision: Bad_Rev\n---\n${service}---\n${HEAD}spec:\n  profile: nonesuch\n---\n${HEAD}spec:\n  revision: canary\n`);
    const r = await run(['validate', '-f', file], { env });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
    expect(lines).toEqual([
      `${file}:4:13: IstioOperator//: invalid revision "Bad_Rev": must be a DNS-1123 label (lower case letters, digits and "-")`,
      expect.stringMatching(new RegExp(`^${escape(file)}:18:12: IstioOperator//: unknown profile "nonesuch" \\(valid profiles: `)),
    ]);
    expect(r.stderr).toContain('validated 4 objects in 1 file: 2 errors, 0 warnings');
  });

  it('a profile path is a profile name, never a file: refused at its node', async () => {
    const file = join(scratch, 'validate-traversal.yaml');
    writeFileSync(file, `${HEAD}spec:\n  profile: ../../../etc/passwd\n`);
    const r = await run(['validate', '-f', file], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:4:12: IstioOperator//: unknown profile "../../../etc/passwd"`);
  });

  it('a valid IstioOperator is still valid, and values at the int32 and port bounds pass', async () => {
    const file = join(scratch, 'validate-good.yaml');
    writeFileSync(file, `${HEAD}spec:\n  revision: canary\n  components:\n    pilot:\n      k8s:\n        replicaCount: 2147483647\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: true\n      k8s:\n        hpaSpec:\n          minReplicas: 1\n          maxReplicas: 2147483647\n        service:\n          ports:\n          - port: 65535\n            targetPort: https\n            name: https\n`);
    const r = await run(['validate', '-f', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`"${file}" is valid`);
    const g = await run(['manifest', 'generate', '-f', file], { env });
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toContain('replicas: 2147483647');
  });
});

describe('a bad --set: exit 64 naming the flag, from every command', () => {
  const SETS: [string, string][] = [
    ['revision=Bad_Rev', 'invalid revision "Bad_Rev"'],
    ['namespace=Bad_NS', 'invalid namespace "Bad_NS"'],
    ['values.pilot.replicaCont=2', 'unknown field "replicaCont" in values.pilot'],
    ['components.pilot.k8s.overlays[0].kind=Deployment', 'components.pilot.k8s.overlays[0]: no object Deployment/(no name) in this component'],
    ['components.ingressGateways[1].enabled=true', 'components.ingressGateways[0] and components.ingressGateways[1] are both gateway "istio-ingressgateway"'],
    ['components.pilot.k8s.replicaCount=3000000000', 'components.pilot.k8s.replicaCount: must be at most 2147483647 (the Kubernetes field it sets is an int32)'],
    ['components.ingressGateways[0].name=Ingress_GW', 'components.ingressGateways[0].name: invalid gateway name "Ingress_GW"'],
  ];
  const SET_COMMANDS: [string, string[]][] = [
    ['manifest generate', ['manifest', 'generate']],
    ['profile dump', ['profile', 'dump']],
    ['install --dry-run', ['install', '--dry-run']],
    ['verify-install', ['verify-install']],
  ];
  for (const [set, message] of SETS) {
    it.each(SET_COMMANDS)(`--set ${set}: %s`, async (_name, argv) => {
      const r = await run([...argv, '--set', set], { env });
      expect(r.code, r.stderr).toBe(64);
      expect(r.stdout).toBe('');
      expect(errorLine(r)).toMatch(new RegExp(`^Error: --set ${escape(set)}: ${escape(message)}`));
    });
  }

  it('names -r/--revision as the flag it is', async () => {
    const r = await run(['manifest', 'generate', '-r', 'Canary_1'], { env });
    expect(r.code).toBe(64);
    expect(errorLine(r)).toBe('Error: --revision Canary_1: invalid revision "Canary_1": must be a DNS-1123 label (lower case letters, digits and "-")');
  });

  it('blames the flag, not the file, when a --set replaces what the file set', async () => {
    const file = join(scratch, 'good-revision.yaml');
    writeFileSync(file, `${HEAD}spec:\n  revision: canary\n`);
    const r = await run(['manifest', 'generate', '-f', file, '--set', 'revision=Not_OK'], { env });
    expect(r.code).toBe(64);
    expect(errorLine(r)).toMatch(/^Error: --set revision=Not_OK: invalid revision "Not_OK"/);
  });

  it('blames the last of several files that set the value', async () => {
    const first = join(scratch, 'first.yaml');
    const second = join(scratch, 'second.yaml');
    const overlay = '    cni:\n      enabled: true\n      k8s:\n        overlays:\n        - kind: DaemonSet\n          name: istio-cni\n          patches: []\n';
    writeFileSync(first, `${HEAD}spec:\n  components:\n${overlay}`);
    writeFileSync(second, `${HEAD}spec:\n  hub: example.com\n  components:\n${overlay}`);
    const r = await run(['manifest', 'generate', '-f', first, '-f', second], { env });
    expect(r.code).toBe(65);
    expect(errorLine(r)).toMatch(new RegExp(`^Error: ${escape(second)}:10:11: components\\.cni\\.k8s\\.overlays\\[0\\]: no object DaemonSet/istio-cni`));
  });
});

describe('what still works', () => {
  it('profile dump of a valid file prints the configuration', async () => {
    const file = join(scratch, 'valid.yaml');
    writeFileSync(file, `${HEAD}metadata:\n  namespace: mesh\nspec:\n  revision: canary\n  components:\n    cni:\n      enabled: false\n`);
    const r = await run(['profile', 'dump', '-f', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('revision: canary');
  });

  it('kube-inject reads an operator file that enables cni', async () => {
    const file = join(scratch, 'cni-operator.yaml');
    writeFileSync(file, `${HEAD}spec:\n  components:\n    cni:\n      enabled: true\n`);
    const workload = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n';
    const r = await run(['kube-inject', '-f', '-', '--operatorFileName', file], { env, stdin: workload });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('istio-proxy');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
