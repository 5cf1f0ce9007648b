import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run, repoRoot } from '../helpers.js';

const data = (name: string) => join(repoRoot, 'test/testdata/cli', name);
/** The profiles of Istio 1.30.3 (manifests/profiles/*.yaml), in the order istioctl profile list prints them. */
const PROFILES = ['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable'];

describe('version', () => {
  it('prints the client and the Istio version it installs, and says why there is no control plane version', async () => {
    const r = await run(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('client version: 0.0.0-test (Istio 1.30.3)\n');
    expect(r.stderr).toBe('control plane version: unknown (no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config)\n');
  });
  it('has short, json and yaml forms', async () => {
    expect((await run(['version', '--short'])).stdout).toBe('0.0.0-test\n');
    expect(JSON.parse((await run(['version', '-o', 'json'])).stdout)).toStrictEqual({ clientVersion: { version: '0.0.0-test', istioVersion: '1.30.3' } });
    expect(parse((await run(['version', '-o', 'yaml'])).stdout)).toStrictEqual({ clientVersion: { version: '0.0.0-test', istioVersion: '1.30.3' } });
  });
  it('rejects an unknown output format with exit 64', async () => {
    const r = await run(['version', '-o', 'xml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("Allowed choices are json, yaml");
  });
});

describe('usage errors', () => {
  it('exits 64 on an unknown command and suggests the right one', async () => {
    const r = await run(['manifests', 'generate']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('(Did you mean manifest?)');
  });
  it('exits 0 on --help', async () => {
    const r = await run(['manifest', 'generate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--set <path=value>');
  });
  it('rejects positional arguments to manifest generate', async () => {
    const r = await run(['manifest', 'generate', 'demo.yaml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('did you mean -f demo.yaml?');
  });
});

describe('a kubeconfig that selects no cluster', () => {
  // One context, whose server nothing listens on: none of these runs may get as far as dialling it.
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-ctx-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: alpha',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: alpha, context: {cluster: c, user: u}}]', '',
  ].join('\n'));
  const commands: string[][] = [
    ['install', '-y'], ['upgrade', '-y'], ['uninstall', '--purge', '-y'], ['verify-install'], ['x', 'precheck'],
    ['analyze'], ['analyze', '--use-kube', join(repoRoot, 'test/testdata/cli/deployment.yaml')],
    ['kube-inject', '--from-cluster', '-f', join(repoRoot, 'test/testdata/inject/input/bookinfo.yaml')],
    ['tag', 'set', 'prod', '-r', 'stable'], ['tag', 'generate', 'prod', '-r', 'stable'], ['tag', 'list'], ['tag', 'remove', 'prod'],
  ];
  it.each(commands)('%s: --context naming no context is a usage error (64), in every cluster command', async (...argv) => {
    const r = await run([...argv, '--kubeconfig', kubeconfig, '--context', 'nope']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('context "nope" is not in the kubeconfig (contexts: alpha)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it.each(commands)('%s: no kubeconfig at all is a usage error (64)', async (...argv) => {
    const r = await run(argv, { env: { HOME: dir } });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
  });
});

describe('manifest generate', () => {
  it('prints the demo install', async () => {
    const r = await run(['manifest', 'generate', '--set', 'profile=demo']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const docs = r.stdout.split(/^---$/m).map((d) => parse(d));
    expect(docs).toHaveLength(42);
    expect(docs[0].kind).toBe('CustomResourceDefinition');
  });

  it('is byte-for-byte deterministic', async () => {
    const a = await run(['manifest', 'generate', '--set', 'profile=demo']);
    const b = await run(['manifest', 'generate', '--set', 'profile=demo']);
    expect(a.stdout).toBe(b.stdout);
  });

  it('reads an overlay from stdin', async () => {
    const text = readFileSync(data('canary.iop.yaml'), 'utf8');
    const r = await run(['manifest', 'generate', '-f', '-'], { stdin: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: istiod-canary');
    expect(r.stdout).not.toContain('name: istio-ingressgateway\n');
  });

  it('names the valid profiles for an unknown one (exit 64)', async () => {
    const r = await run(['manifest', 'generate', '--set', 'profile=demoo']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: unknown profile "demoo" in --set profile=demoo (valid profiles: ambient, default, demo, empty, minimal, openshift, openshift-ambient, preview, remote, stable)\n');
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--set', 'values.pilot.autoscaleEnabled'], 'expected PATH=VALUE'],
    [['--set', 'values.pilot.autoscaleEnabledd=true'], '--set values.pilot.autoscaleEnabledd=true: unknown field "autoscaleEnabledd" in values.pilot (did you mean "autoscaleEnabled"?)'],
    [['--set', 'components.egressGateways[name:egress].enabled=true'], 'no element with name "egress" in components.egressGateways (found: istio-egressgateway)'],
    [['--set', 'addonComponents.grafana.enabled=true'], 'samples/addons'],
    [['-r', 'Canary_1'], 'invalid revision "Canary_1"'],
    [['--set', 'values.cni.seLinuxOptions.type=spc_t'], 'unknown field "seLinuxOptions" in values.cni'],
  ])('rejects %j with exit 64', async (args, message) => {
    const r = await run(['manifest', 'generate', ...args]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stdout).toBe('');
  });

  it('points at an unknown field in an overlay and suggests the right one (exit 65)', async () => {
    const file = data('typo.iop.yaml');
    const r = await run(['manifest', 'generate', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`Error: ${file}:8:9: unknown field "replicaCont" in spec.components.pilot.k8s (did you mean "replicaCount"?)\n`);
  });

  it('reports YAML syntax errors with file:line:column (exit 65)', async () => {
    const file = data('broken.yaml');
    const r = await run(['manifest', 'generate', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${file.replaceAll('/', '\\/')}:4:12: YAML syntax error: Nested mappings are not allowed in compact mappings\n$`));
  });

  it('says what replaced legacy tutorial paths', async () => {
    const file = data('legacy-addons.iop.yaml');
    const r = await run(['manifest', 'generate', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${file}:6:5: spec.addonComponents.grafana`);
    expect(r.stderr).toContain('samples/addons');
  });

  it('refuses a file that is not an IstioOperator', async () => {
    const r = await run(['manifest', 'generate', '-f', data('deployment.yaml')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('is not an IstioOperator');
    expect(r.stderr).toContain('found apps/v1/Deployment');
  });

  it('reports a missing overlay file', async () => {
    const r = await run(['manifest', 'generate', '-f', 'nope.yaml']);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe('Error: nope.yaml: no such file\n');
  });

  it('writes -o atomically and refuses a missing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-'));
    const out = join(dir, 'demo.yaml');
    const ok = await run(['manifest', 'generate', '--set', 'profile=demo', '-o', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toContain(`Wrote 42 objects (profile "demo") to ${out}`);
    expect(readFileSync(out, 'utf8')).toBe((await run(['manifest', 'generate', '--set', 'profile=demo'])).stdout);

    const missing = await run(['manifest', 'generate', '-o', join(dir, 'no/such/dir.yaml')]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('its directory does not exist');
    expect(readdirSync(dir)).toStrictEqual(['demo.yaml']);
  });

  it('leaves an existing -o file untouched when the run fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-'));
    const out = join(dir, 'keep.yaml');
    writeFileSync(out, 'precious\n');
    const r = await run(['manifest', 'generate', '--set', 'profile=nope', '-o', out]);
    expect(r.code).toBe(64);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(existsSync(join(dir, 'keep.yaml'))).toBe(true);
    expect(readdirSync(dir)).toStrictEqual(['keep.yaml']);
  });

  it('prints a stack trace only with --verbose', async () => {
    const r = await run(['--verbose', 'manifest', 'generate', '--set', 'profile=nope']);
    expect(r.stderr).toContain('    at ');
  });
});

describe('profile', () => {
  it('lists the profiles', async () => {
    const r = await run(['profile', 'list']);
    expect(r.stdout).toBe('Istio configuration profiles:\n' + PROFILES.map((p) => `    ${p}\n`).join(''));
    expect(JSON.parse((await run(['profile', 'list', '-o', 'json'])).stdout)).toStrictEqual(PROFILES);
  });

  it('dumps a merged profile as an IstioOperator', async () => {
    const r = await run(['profile', 'dump', 'demo']);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout);
    expect(doc.kind).toBe('IstioOperator');
    expect(doc.spec.profile).toBe('demo');
    expect(doc.spec.components.egressGateways).toStrictEqual([{ name: 'istio-egressgateway', enabled: true }]);
    expect(doc.spec.values.pilot.autoscaleEnabled).toBe(false);
    expect(doc.spec.hub).toBe('docker.io/istio');
  });

  it('dumps one subtree and flags that round-trip through --set', async () => {
    const r = await run(['profile', 'dump', 'demo', '--config-path', 'components.pilot', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toStrictEqual({ enabled: true });
    const flags = await run(['profile', 'dump', '-o', 'flags', '--set', 'values.pilot.env.A=1']);
    const lines = flags.stdout.trim().split('\n');
    expect(lines).toContain('components.egressGateways[0].enabled=false');
    expect(lines).toContain('values.pilot.env.A=1');
    expect(lines).toContain('values.gateways.istio-ingressgateway.ports[1].name=http2');
    const sub = await run(['profile', 'dump', '-p', 'values.global.proxy.resources', '-o', 'flags']);
    expect(sub.stdout).toBe('values.global.proxy.resources.limits.cpu=2000m\nvalues.global.proxy.resources.limits.memory=1024Mi\nvalues.global.proxy.resources.requests.cpu=100m\nvalues.global.proxy.resources.requests.memory=128Mi\n');
  });

  it('refuses an unknown config path', async () => {
    const r = await run(['profile', 'dump', '-p', 'components.pilott']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('no such path');
  });

  it('diffs two profiles and a profile against a file', async () => {
    const r = await run(['profile', 'diff', 'default', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- default');
    expect(r.stdout).toContain('+++ demo');
    expect(r.stdout).toContain('+    accessLogFile: /dev/stdout');
    expect((await run(['profile', 'diff', 'default', 'demo', '--exit-code'])).code).toBe(1);
    const same = await run(['profile', 'diff', 'demo', 'demo', '--exit-code']);
    expect(same.code).toBe(0);
    expect(same.stderr).toContain('identical');
    const file = await run(['profile', 'diff', 'minimal', data('canary.iop.yaml')]);
    expect(file.stdout).toContain('+  revision: canary');
  });

  it('rejects an argument that is neither a profile nor a file', async () => {
    const r = await run(['profile', 'diff', 'default', 'prod']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('"prod" is neither a profile');
  });
});

describe('manifest diff', () => {
  it('reports added, removed and changed objects field by field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-'));
    const a = join(dir, 'default.yaml');
    const b = join(dir, 'demo.yaml');
    writeFileSync(a, (await run(['manifest', 'generate'])).stdout);
    writeFileSync(b, (await run(['manifest', 'generate', '--set', 'profile=demo'])).stdout);
    const r = await run(['manifest', 'diff', a, b, '--exit-code']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('- HorizontalPodAutoscaler/istio-system/istiod');
    expect(r.stdout).toContain('+ Deployment/istio-system/istio-egressgateway');
    expect(r.stdout).toContain('~ Deployment/istio-system/istiod');
    expect(r.stdout).toContain('spec.template.spec.containers[name=discovery].resources.requests.cpu: "500m" -> "10m"');
    expect(r.stdout).toContain('spec.replicas: (absent) -> 1');
    // Files embedded in config maps are compared as JSON or line by line, not as one long string.
    expect(r.stdout).toContain('    data.values(json).global.proxy.resources.requests.cpu: "100m" -> "10m"\n');
    expect(r.stdout).toContain('    data.mesh:\n      + accessLogFile: /dev/stdout\n');
    expect(r.stderr).toMatch(/^5 added, 2 removed, \d+ changed, \d+ unchanged\n$/);
    const json = JSON.parse((await run(['manifest', 'diff', a, b, '-o', 'json'])).stdout);
    expect(json.removed).toStrictEqual(['HorizontalPodAutoscaler/istio-system/istio-ingressgateway', 'HorizontalPodAutoscaler/istio-system/istiod']);
    const same = await run(['manifest', 'diff', a, a, '--exit-code']);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
  });
});

describe('--set validation blames the flag', () => {
  it('through a [key:value] selector', async () => {
    const r = await run(['manifest', 'generate', '--set', 'components.egressGateways[name:istio-egressgateway].enabledd=true']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--set components.egressGateways[name:istio-egressgateway].enabledd=true: unknown field "enabledd"');
  });
  it('for a wrong type', async () => {
    const r = await run(['manifest', 'generate', '--set', 'values.pilot.autoscaleMin=many']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--set values.pilot.autoscaleMin=many: ');
  });
  it('and --force turns it into a warning', async () => {
    const r = await run(['manifest', 'generate', '--force', '--set', 'values.pilot.autoscaleEnabledd=true']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: configuration invalid; continuing because of --force: --set values.pilot.autoscaleEnabledd=true');
  });
});

describe('warnings', () => {
  it('warns when istiod replicas are set while the profile autoscales', async () => {
    const r = await run(['manifest', 'generate', '--set', 'components.pilot.k8s.replicaCount=3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Warning: components.pilot.k8s.replicaCount should not be set when values.pilot.autoscaleEnabled is true\n');
    expect((await run(['manifest', 'generate', '--set', 'profile=demo', '--set', 'components.pilot.k8s.replicaCount=3'])).stderr).toBe('');
  });
});
