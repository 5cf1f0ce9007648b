/**
 * kube-inject's --valuesFile and --injectConfigFile: a file that cannot serve is refused at its own
 * position (exit 65), before any workload is injected, instead of failing inside a template at the
 * workload or passing a syntax error off as an internal failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'meshctl-inject-files-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const workload = file('app.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]\n');

describe('--valuesFile', () => {
  it.each([
    ['empty.yaml', '', /empty\.yaml: holds no injector values \(a values file holds the "values" key of the istio-sidecar-injector ConfigMap\)$/],
    ['comment.yaml', '# nothing\n', /comment\.yaml: holds no injector values/],
    ['list.yaml', '- global\n', /list\.yaml:1:1: injector values must be a map$/],
    ['deployment.yaml', 'apiVersion: v1\nkind: Pod\n', /deployment\.yaml:1:1: injector values lack "global", which the injection templates read/],
    ['no-pilot.json', '{"global": {"hub": "docker.io/istio"}}', /no-pilot\.json:1:1: injector values lack "pilot"/],
    ['global-string.yaml', 'pilot: {}\nglobal: everywhere\n', /global-string\.yaml:2:9: injector values: "global" must be a map$/],
  ])('%s is refused at its position (65), naming the file', async (name, text, message) => {
    const r = await run(['kube-inject', '-f', workload, '--valuesFile', file(name, text)]);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('--injectConfigFile', () => {
  it('names the file and the template\'s line for a template that does not parse', async () => {
    const config = file('unclosed.yaml', 'policy: enabled\ndefaultTemplates: [sidecar]\ntemplates:\n  sidecar: |\n    spec: {{ if .Values\n');
    const r = await run(['kube-inject', '-f', workload, '--injectConfigFile', config]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/unclosed\.yaml:4:12: injection template "sidecar": template: inject:\d+: unclosed action/);
  });
  it('names the file for a bare template that does not parse', async () => {
    const r = await run(['kube-inject', '-f', workload, '--injectConfigFile', file('bare.tmpl', 'spec:\n  containers: {{ nope }}\n')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/bare\.tmpl:1:1: injection template "sidecar": .*function "nope" not defined/);
  });
  it('refuses a list or a scalar, which is neither an injector config nor a template', async () => {
    for (const [name, text, what] of [['list.yaml', '- a\n- b\n', 'a list'], ['scalar.yaml', 'hello\n', 'a string']] as const) {
      const r = await run(['kube-inject', '-f', workload, '--injectConfigFile', file(name, text)]);
      expect(r.code).toBe(65);
      expect(r.stderr).toContain(`${name}:1:1: an injector config must be a map with "templates" (or a bare sidecar template), found ${what}`);
    }
  });
});
