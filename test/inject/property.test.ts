/**
 * Property-based checks of kube-inject's promises on generated workloads (fast-check): random
 * Deployments/StatefulSets/Pods with random labels, annotations, containers, ports and probes,
 * written in random YAML styles (indented or kubectl-style sequences, flow or block maps, quoted
 * or plain strings, comments), next to a Service that must not change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, parseAllDocuments } from 'yaml';
import { injectFile, uninjectFile } from '../../src/inject/documents.js';
import { defaultInjector } from './injector.js';

const injector = await defaultInjector();
const nativeInjector = await defaultInjector([], true);

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
// A Kubernetes label value begins and ends with an alphanumeric character.
const labelValue = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,7}[A-Za-z0-9])?$/);

const probe = fc.oneof(
  fc.constant(undefined),
  fc.record({ httpGet: fc.record({ path: fc.constantFrom('/healthz', '/ready', '/'), port: fc.integer({ min: 1024, max: 9999 }) }), periodSeconds: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ exec: fc.record({ command: fc.constant(['true']) }) }),
);

const container = fc.record({
  name: dnsName,
  image: fc.constantFrom('nginx:1.27', 'example.com/app:1.0', 'busybox'),
  ports: fc.option(fc.uniqueArray(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), name: fc.option(fc.constantFrom('http', 'grpc', 'tcp-db', 'metrics'), { nil: undefined }) }), { maxLength: 2, selector: (p) => p.containerPort }), { nil: undefined }),
  readinessProbe: probe,
});

const workload = fc.record({
  kind: fc.constantFrom('Deployment', 'StatefulSet', 'Pod'),
  name: dnsName,
  namespace: fc.option(dnsName, { nil: undefined }),
  labels: fc.dictionary(fc.constantFrom('app', 'version', 'tier', 'team', 'app.kubernetes.io/name'), labelValue, { maxKeys: 3 }),
  // Values a user would write for each key. (A value injection must overwrite with one of another
  // YAML type, say prometheus.io/scrape: maybe -> "true", cannot keep its quoting on the way back.)
  annotations: fc.option(fc.record({
    owner: fc.constantFrom('team-a', 'platform@example.com'),
    'prometheus.io/scrape': fc.constantFrom('true', 'false'),
    'sidecar.istio.io/proxyCPU': fc.constantFrom('50m', '200m'),
    'kubectl.kubernetes.io/default-container': fc.constantFrom('web', 'app'),
  }, { requiredKeys: [] }), { nil: undefined }),
  containers: fc.uniqueArray(container, { minLength: 1, maxLength: 3, selector: (c) => c.name }),
  style: fc.record({ indentSeq: fc.boolean(), flowLabels: fc.boolean(), quote: fc.boolean(), comment: fc.boolean() }),
});

type Workload = typeof workload extends fc.Arbitrary<infer T> ? T : never;

/** Writes a workload and a Service as a two-document YAML stream in the workload's chosen style. */
function render(w: Workload): string {
  const clean = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
  const podMeta: Record<string, unknown> = { labels: w.labels };
  if (w.annotations && Object.keys(w.annotations).length) podMeta.annotations = w.annotations;
  const podSpec = { containers: w.containers.map(clean) };
  const body = w.kind === 'Pod'
    ? { apiVersion: 'v1', kind: 'Pod', metadata: { name: w.name, namespace: w.namespace, ...podMeta }, spec: podSpec }
    : {
      apiVersion: 'apps/v1', kind: w.kind, metadata: { name: w.name, namespace: w.namespace },
      spec: { selector: { matchLabels: { app: w.name } }, template: { metadata: podMeta, spec: podSpec } },
    };
  const doc = new Document(clean(body));
  if (w.style.flowLabels) {
    const labels = doc.getIn(w.kind === 'Pod' ? ['metadata', 'labels'] : ['spec', 'template', 'metadata', 'labels'], true) as { flow?: boolean } | undefined;
    if (labels && typeof labels === 'object') labels.flow = true;
  }
  if (w.style.comment) doc.commentBefore = ' generated workload';
  const text = doc.toString({ indentSeq: w.style.indentSeq, defaultStringType: w.style.quote ? 'QUOTE_DOUBLE' : 'PLAIN', defaultKeyType: 'PLAIN' });
  const service = `# a service that must come out byte for byte\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${w.name}   # same name\nspec:\n  ports: [{port: 80, name: http}]\n`;
  return `${text}---\n${service}`;
}

describe('kube-inject properties on generated workloads', () => {
  it('re-injecting is a no-op and uninject gives back the input, byte for byte', () => {
    fc.assert(fc.property(workload, fc.boolean(), (w, native) => {
      const input = render(w);
      const inj = native ? nativeInjector : injector;
      const once = injectFile(inj, input, 'gen.yaml');
      expect(once.workloads).toHaveLength(1);
      expect(once.workloads[0]!.action).toBe('injected');
      expect(parseAllDocuments(once.output).every((d) => d.errors.length === 0)).toBe(true);
      expect(injectFile(inj, once.output, 'gen.yaml').output).toBe(once.output);
      expect(uninjectFile(once.output, 'gen.yaml').output).toBe(input);
      // The Service document is untouched.
      const serviceIn = input.slice(input.indexOf('# a service'));
      expect(once.output.endsWith(serviceIn)).toBe(true);
    }), { numRuns: 120 });
  });

  it('every injected pod template gets the proxy, the init container and the status annotation', () => {
    fc.assert(fc.property(workload, (w) => {
      const out = injectFile(injector, render(w), 'gen.yaml').output;
      const obj = parseAllDocuments(out)[0]!.toJS() as Record<string, any>;
      const pod = w.kind === 'Pod' ? obj : obj.spec.template;
      expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual([...w.containers.map((c) => c.name), 'istio-proxy']);
      expect(pod.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['istio-init']);
      expect(JSON.parse(pod.metadata.annotations['sidecar.istio.io/status']).containers).toEqual(['istio-proxy']);
      // Labels the user set keep their values.
      for (const [k, v] of Object.entries(w.labels)) expect(pod.metadata.labels[k]).toBe(v);
    }), { numRuns: 60 });
  });
});
