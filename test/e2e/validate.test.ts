/** End to end: `meshctl validate` through the built bin/meshctl, with execa. */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

const bin = join(repoRoot, 'bin/meshctl');
const testdata = join(repoRoot, 'test/testdata/validate');

// Needs the build (npm test builds first; run "npm run build" before running vitest alone).
describe('bin/meshctl validate', () => {
  it('passes Bookinfo, fails a bad file with file:line:column, and exits 1', async () => {
    const bad = join(testdata, 'cases/istio-unknown-fields.yaml');
    const r = await execa(bin, ['validate', '-f', join(testdata, 'bookinfo'), '-f', bad], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 3)).toEqual(['bookinfo-gateway.yaml', 'bookinfo.yaml', 'destination-rule-all.yaml']
      .map((f) => `"${join(testdata, 'bookinfo', f)}" is valid`));
    expect(lines).toContain(`${bad}:20:7: VirtualService/default/reviews: unknown field "spec.http[0].route[0].wieght"`);
    expect(lines).toContain(`"${bad}" is invalid`);
    expect(lines.at(-1)).toBe('validated 22 objects in 4 files: 7 errors, 0 warnings');
  });

  it('runs the analyzers too: an unnamed Service port is an error, a missing version label a warning', async () => {
    const input = [
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  containers:\n  - name: web\n    image: web:1',
    ].join('\n---\n');
    const r = await execa(bin, ['validate', '-f', '-'], { input, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      "<stdin>:7:5: Service//web: Port name  (port: 80, targetPort: 80) doesn't follow the naming convention of Istio port. [IST0118]",
      '<stdin>:13:3: warning: Pod//web: The pod has no version label (any of service.istio.io/canonical-revision, app.kubernetes.io/version, version); telemetry reports the version as "latest". [MSH0001]',
      '"<stdin>" is invalid',
      'validated 2 objects in 1 file: 1 error, 1 warning',
    ]);
  });

  it('reads stdin and exits 65 without a stack trace on broken YAML', async () => {
    const r = await execa(bin, ['validate', '-f', '-'], { input: 'kind: [\n', reject: false });
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/^<stdin>:\d+:\d+: YAML syntax error: /);
    expect(r.stderr).toContain('"<stdin>" could not be parsed');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 64 without -f', async () => {
    const r = await execa(bin, ['validate'], { reject: false });
    expect(r.exitCode).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe('Error: you must specify resources by --filename.');
  });
});
