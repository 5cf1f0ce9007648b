/**
 * Correctness at scale (issue 16): analyze and validate of one generated file of 10,000 resources
 * give the same findings, at the same positions, as the union of running them on its parts, one
 * file per namespace. The analyzers that look across resources stay within a namespace in this
 * mesh (routes, subsets, selectors, gateways all name their own namespace's objects), so they are
 * local to the parts; the whole file is read document by document (src/manifest/compact-docs.ts),
 * the parts are small, so this also checks that streaming changes no finding and no position.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

const RESOURCES = 10_000;
const APPS_PER_NAMESPACE = 40;

/**
 * Returns the documents of a mesh of `count` resources, grouped by namespace: per namespace a
 * Namespace, then per application a Deployment (comments, flow maps, probes), its Service, a
 * Pod, a VirtualService and a DestinationRule, and a Gateway for every tenth. Faults, so that
 * several analyzers report: every 25th Service leaves a port unnamed, every 30th Deployment has no
 * version label, every 35th DestinationRule names a subset no pod carries, every 45th
 * VirtualService routes to a host that does not exist, every 55th names a gateway that does not
 * exist, every 60th Pod lacks its sidecar.
 */
function mesh(count: number): { docs: string[]; namespaceOf: number[] } {
  const docs: string[] = [];
  const namespaceOf: number[] = [];
  const push = (n: number, text: string): void => {
    docs.push(text);
    namespaceOf.push(n);
  };
  let ns = '';
  let n = -1;
  for (let i = 0; docs.length < count; i++) {
    if (i % APPS_PER_NAMESPACE === 0) {
      n++;
      ns = `team-${n}`;
      push(n, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels: {istio-injection: enabled}\n`);
    }
    const app = `app-${i}`;
    push(n, `# workload ${i}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}-v1
  namespace: ${ns}
  labels: {app: ${app}${i % 30 === 3 ? '' : ', version: v1'}}
spec:
  replicas: ${1 + (i % 3)}
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels:
        app: ${app}
${i % 30 === 3 ? '' : '        version: v1\n'}      annotations: {owner: 'team-${n}@example.com'}
    spec:
      containers:
      - name: app
        image: "registry.example.com/${app}:1.${i % 10}.0"
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 5
`);
    push(n, `apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${ns}
  labels: {app: ${app}}
spec:
  selector: {app: ${app}}
  ports:
  - ${i % 25 === 7 ? '' : 'name: http\n    '}port: 8080
    targetPort: 8080
`);
    push(n, `apiVersion: v1
kind: Pod
metadata:
  name: ${app}-v1-0
  namespace: ${ns}
  labels: {app: ${app}, version: v1}
${i % 60 === 11 ? '' : `  annotations:\n    sidecar.istio.io/status: '{"containers":["istio-proxy"]}'\n`}spec:
  containers:
  - {name: app, image: "registry.example.com/${app}:1.0"}
${i % 60 === 11 ? '' : '  - {name: istio-proxy, image: docker.io/istio/proxyv2:1.30.3}\n'}`);
    push(n, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  hosts: [${app}${i % 10 === 0 ? `, ${app}.example.com` : ''}]
${i % 10 === 0 ? `  gateways: [mesh, ${i % 55 === 0 ? 'missing-gateway' : `${app}-gateway`}]\n` : ''}  http:
  - match:
    - uri: {prefix: /api}
    route:
    - destination:
        host: ${i % 45 === 5 ? 'no-such-host' : app}
        subset: v1
        port: {number: 8080}
      weight: 100
    timeout: 5s
`);
    push(n, `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  host: ${app}
  subsets:
  - name: v1
    labels: {version: v1}
${i % 35 === 9 ? '  - name: v2\n    labels: {version: v2}\n' : ''}`);
    if (i % 10 === 0) {
      push(n, `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${app}-gateway
  namespace: ${ns}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: [${app}.example.com]
`);
    }
  }
  return { docs: docs.slice(0, count), namespaceOf: namespaceOf.slice(0, count) };
}

const SEPARATOR = '---\n';

/** The whole file and its parts: one file per namespace, each a run of the whole file's lines. */
function layout(dir: string): { whole: string; parts: { file: string; firstLine: number }[] } {
  const { docs, namespaceOf } = mesh(RESOURCES);
  const whole = join(dir, 'whole.yaml');
  writeFileSync(whole, docs.join(SEPARATOR));
  const parts: { file: string; firstLine: number }[] = [];
  let line = 1;
  for (let start = 0; start < docs.length;) {
    let end = start;
    while (end < docs.length && namespaceOf[end] === namespaceOf[start]) end++;
    const text = docs.slice(start, end).join(SEPARATOR);
    const file = join(dir, `part-${namespaceOf[start]}.yaml`);
    writeFileSync(file, text);
    // The part's first line is the whole file's line after the separator before it.
    if (start > 0) line += 1;
    parts.push({ file, firstLine: line });
    line += text.split('\n').length - 1;
    start = end;
  }
  return { whole, parts };
}

/** Rewrites `part.yaml:L:C` in each line as `whole.yaml:(L + first line - 1):C`. */
function mapped(lines: readonly string[], part: { file: string; firstLine: number }, whole: string): string[] {
  const at = new RegExp(`${part.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  return lines.map((l) => l.replace(at, (_, line: string, col: string) => `${whole}:${Number(line) + part.firstLine - 1}:${col}`));
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('analyze and validate at scale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-scale-'));
  const { whole, parts } = layout(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('analyze of 10,000 resources equals the union of analyzing each namespace\'s part', async () => {
    const all = await run(['analyze', whole]);
    expect(all.stderr).not.toMatch(/^Error: (?!Analyzers found issues)/m);
    const findings = lines(all.stdout);
    const union: string[] = [];
    for (const part of parts) {
      const r = await run(['analyze', part.file]);
      expect(r.stderr).not.toMatch(/^Error: (?!Analyzers found issues)/m);
      union.push(...mapped(lines(r.stdout), part, whole));
    }
    expect([...union].sort()).toEqual([...findings].sort());
    // Every finding positioned, and several analyzers reporting.
    expect(findings.every((f) => f.includes(`${whole}:`))).toBe(true);
    const codes = new Set(findings.map((f) => /\[(\w+)\]/.exec(f)?.[1]));
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect(findings.length).toBeGreaterThan(300);
  }, 120_000);

  it('validate of 10,000 resources equals the union of validating each namespace\'s part', async () => {
    const findingLine = /^\S+:\d+:\d+: /;
    const all = await run(['validate', '-f', whole]);
    const findings = lines(all.stderr).filter((l) => findingLine.test(l));
    const union: string[] = [];
    for (const part of parts) {
      const r = await run(['validate', '-f', part.file]);
      union.push(...mapped(lines(r.stderr).filter((l) => findingLine.test(l)), part, whole));
    }
    expect([...union].sort()).toEqual([...findings].sort());
    expect(findings.length).toBeGreaterThan(100);
    expect(all.stderr).toMatch(`validated ${RESOURCES} objects in 1 file`);
  }, 120_000);
});
