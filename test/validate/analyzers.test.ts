/**
 * The analyzers `meshctl validate` runs after its schema checks (validateAnalyzerFindings):
 * service.PortNameAnalyzer graded as errors, workload.AppVersionLabelAnalyzer graded as warnings,
 * istio-system left alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateAnalyzerFindings } from '../../src/cli/validate-impl.js';
import { parseYamlDocuments } from '../../src/manifest/yaml-docs.js';
import { checkDocuments } from '../../src/schema/validate-documents.js';
import { repoRoot, run } from '../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshctl-validate-analyzers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a scratch file and returns its path. */
function scratchFile(name: string, content: string): string {
  const file = join(scratch, name);
  writeFileSync(file, content);
  return file;
}

/** A Service in `namespace` (none when empty) whose `ports:` list is `ports`, indented by two. */
function service(name: string, namespace: string, ports: string): string {
  return [
    'apiVersion: v1', 'kind: Service', 'metadata:', `  name: ${name}`, ...(namespace ? [`  namespace: ${namespace}`] : []),
    'spec:', '  selector:', `    app: ${name}`, '  ports:', ports,
  ].join('\n');
}

/** A Deployment in `namespace` whose pod template carries `labels` (one `key: value` per entry). */
function deployment(name: string, namespace: string, labels: Record<string, string>): string {
  return [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${name}`, `  namespace: ${namespace}`,
    'spec:', '  selector:', '    matchLabels:', `      app: ${labels.app ?? name}`,
    '  template:', '    metadata:', '      labels:', ...Object.entries(labels).map(([k, v]) => `        ${k}: ${v}`),
    '    spec:', '      containers:', `      - name: ${name}`, `        image: ${name}:1.0`,
  ].join('\n');
}

const ist0118 = (name: string, port: number, target: number | string): string =>
  `Port name ${name} (port: ${port}, targetPort: ${target}) doesn't follow the naming convention of Istio port. [IST0118]`;
const noVersion = 'The pod template has no version label (any of service.istio.io/canonical-revision, app.kubernetes.io/version, version); telemetry reports the version as "latest". [MSH0001]';
const shared = (names: string, ns: string, app: string, version: string): string =>
  `Workloads [${names}] in namespace "${ns}" share app "${app}" and version "${version}"; their telemetry is merged. [MSH0002]`;

describe('meshctl validate: Service port names (service.PortNameAnalyzer, errors)', () => {
  it('reports an unnamed port and a name without a protocol at the port, and exits 1', async () => {
    const file = scratchFile('ports.yaml', service('ratings', '', [
      '  - port: 80', //          line 9
      '    targetPort: 8080',
      '  - name: web', //         line 11
      '    port: 9080',
      '  - name: http-admin',
      '    port: 9090',
    ].join('\n')));
    const r = await run(['validate', '-f', file]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        `${file}:9:5: Service//ratings: ${ist0118('', 80, 8080)}`,
        `${file}:11:11: Service//ratings: ${ist0118('web', 9080, 9080)}`,
        `"${file}" is invalid`,
        'validated 1 object in 1 file: 2 errors, 0 warnings',
        '',
      ].join('\n'),
    });
  });

  it.each([
    ['appProtocol http with the name web', '  - name: web\n    port: 80\n    appProtocol: http'],
    ['a UDP port without a name', '  - port: 5353\n    protocol: UDP'],
    ['a name with a protocol prefix', '  - name: grpc-web\n    port: 8080'],
  ])('accepts %s', async (_, ports) => {
    const file = scratchFile('accepted.yaml', service('ratings', '', ports));
    const r = await run(['validate', '-f', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: `"${file}" is valid\nvalidated 1 object in 1 file: 0 errors, 0 warnings\n` });
  });
});

describe('meshctl validate: app and version labels (workload.AppVersionLabelAnalyzer, warnings)', () => {
  it('warns about a Deployment without a version label at its labels map, and exits 0', async () => {
    // The pod template's `labels:` key is on line 12, column 7.
    const file = scratchFile('no-version.yaml', deployment('ratings', 'shop', { app: 'ratings' }));
    const r = await run(['validate', '-f', file]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: [
        `"${file}" has warnings:`,
        `${file}:12:7: warning: Deployment/shop/ratings: ${noVersion}`,
        'validated 1 object in 1 file: 0 errors, 1 warning',
        '',
      ].join('\n'),
    });
  });

  it('warns about both Deployments that share app and version in a namespace, not about the one in another', async () => {
    const file = scratchFile('shared.yaml', [
      // 18 lines each, the version value on the 14th; `---` between them.
      deployment('ratings-a', 'shop', { app: 'ratings', version: 'v1' }),
      deployment('ratings-b', 'shop', { app: 'ratings', version: 'v1' }),
      deployment('ratings-c', 'other', { app: 'ratings', version: 'v1' }),
    ].join('\n---\n'));
    const r = await run(['validate', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe([
      `"${file}" has warnings:`,
      `${file}:14:18: warning: Deployment/shop/ratings-a: ${shared('Deployment ratings-a Deployment ratings-b', 'shop', 'ratings', 'v1')}`,
      `${file}:33:18: warning: Deployment/shop/ratings-b: ${shared('Deployment ratings-a Deployment ratings-b', 'shop', 'ratings', 'v1')}`,
      'validated 3 objects in 1 file: 0 errors, 2 warnings',
      '',
    ].join('\n'));
  });

  it('looks across files: each file holding one of the pair gets the warning', async () => {
    const a = scratchFile('pair-a.yaml', deployment('ratings-a', 'shop', { app: 'ratings', version: 'v1' }));
    const b = scratchFile('pair-b.yaml', deployment('ratings-b', 'shop', { app: 'ratings', version: 'v1' }));
    const r = await run(['validate', '-f', a, '-f', b]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe([
      `"${a}" has warnings:`,
      `${a}:14:18: warning: Deployment/shop/ratings-a: ${shared('Deployment ratings-a Deployment ratings-b', 'shop', 'ratings', 'v1')}`,
      `"${b}" has warnings:`,
      `${b}:14:18: warning: Deployment/shop/ratings-b: ${shared('Deployment ratings-a Deployment ratings-b', 'shop', 'ratings', 'v1')}`,
      'validated 2 objects in 2 files: 0 errors, 2 warnings',
      '',
    ].join('\n'));
  });

  it('checks a file named twice once, and takes one object given in two files as one workload', async () => {
    const dir = mkdtempSync(join(scratch, 'twice-'));
    writeFileSync(join(dir, 'web.yaml'), deployment('web', 'shop', { app: 'web', version: 'v1' }));
    const twice = await run(['validate', '-f', dir, '-f', join(dir, 'web.yaml')]);
    expect(twice.stderr).toBe(`"${join(dir, 'web.yaml')}" is valid\nvalidated 1 object in 1 file: 0 errors, 0 warnings\n`);
    const overlay = scratchFile('web-overlay.yaml', deployment('web', 'shop', { app: 'web', version: 'v1', tier: 'front' }));
    const both = await run(['validate', '-f', join(dir, 'web.yaml'), '-f', overlay]);
    expect(both.stderr).not.toContain('MSH0002');
    expect(both.code).toBe(0);
  });

  it('keeps warnings out of the exit code even when another file has errors', async () => {
    const warned = scratchFile('warned.yaml', deployment('ratings', 'shop', { app: 'ratings' }));
    const bad = scratchFile('unnamed.yaml', service('ratings', 'shop', '  - port: 80'));
    const r = await run(['validate', '-f', warned, '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('validated 2 objects in 2 files: 1 error, 1 warning');
  });
});

describe('meshctl validate: what the analyzers leave alone', () => {
  it('skips istio-system: the same objects there are valid', async () => {
    const objects = (ns: string): string => [
      service('ratings', ns, '  - port: 80\n  - name: web\n    port: 9080'),
      deployment('ratings', ns, { app: 'ratings' }),
      deployment('ratings-a', ns, { app: 'ratings', version: 'v1' }),
      deployment('ratings-b', ns, { app: 'ratings', version: 'v1' }),
    ].join('\n---\n');
    // The control: in an application namespace the same objects are reported.
    const shop = scratchFile('shop.yaml', objects('shop'));
    const inShop = await run(['validate', '-f', shop]);
    expect(inShop.code).toBe(1);
    expect(inShop.stderr.trimEnd().split('\n').at(-1)).toBe('validated 4 objects in 1 file: 2 errors, 3 warnings');

    const system = scratchFile('istio-system.yaml', objects('istio-system'));
    expect(await run(['validate', '-f', system])).toEqual({
      code: 0, stdout: '', stderr: `"${system}" is valid\nvalidated 4 objects in 1 file: 0 errors, 0 warnings\n`,
    });
  });
});

describe('validateAnalyzerFindings', () => {
  const objectsOf = (text: string, file = 'x.yaml') => checkDocuments(parseYamlDocuments(text, file)).objects;

  // `meshctl validate` on Bookinfo, no warnings included, is in cli.test.ts.
  it('returns nothing for no objects and for Bookinfo', async () => {
    expect(await validateAnalyzerFindings([])).toEqual([]);
    const bookinfo = ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml']
      .flatMap((f) => objectsOf(readFileSync(join(repoRoot, 'test/testdata/validate/bookinfo', f), 'utf8'), f));
    expect(bookinfo).toHaveLength(20);
    expect(await validateAnalyzerFindings(bookinfo)).toEqual([]);
  });

  it('grades port names as errors and labels as warnings, with the path inside the object', async () => {
    const objects = objectsOf([
      service('ratings', '', '  - port: 80\n  - name: web\n    port: 9080'),
      deployment('ratings', 'shop', { version: 'v1' }),
    ].join('\n---\n'));
    const findings = (await validateAnalyzerFindings(objects))
      .map((f) => ({ label: f.object.label, level: f.level, message: f.message, path: f.path, atKey: f.atKey }))
      .sort((a, b) => a.message.localeCompare(b.message));
    expect(findings).toEqual([
      { label: 'Service//ratings', level: 'error', message: ist0118('', 80, 80), path: ['spec', 'ports', 0], atKey: undefined },
      { label: 'Service//ratings', level: 'error', message: ist0118('web', 9080, 9080), path: ['spec', 'ports', 1, 'name'], atKey: undefined },
      {
        label: 'Deployment/shop/ratings', level: 'warning',
        message: 'The pod template has no app label (any of service.istio.io/canonical-name, app.kubernetes.io/name, app); telemetry is named after the workload instead. [MSH0001]',
        path: ['spec', 'template', 'metadata', 'labels'], atKey: true,
      },
    ]);
  });
});
