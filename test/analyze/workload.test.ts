/**
 * Helpers of the workload, injection, annotation and application-UID analyzers, and where their
 * findings point.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { annotationValueError } from '../../src/analyze/analyzers/annotations-k8s.js';
import { proxyUidPaths } from '../../src/analyze/analyzers/application-uid.js';
import { serviceConflicts, servicePorts } from '../../src/analyze/analyzers/deployment-multi-service.js';
import { hasIstioProxy } from '../../src/analyze/analyzers/injection-in-mesh.js';
import { injectionLabels } from '../../src/analyze/analyzers/injection-status.js';
import type { Finding } from '../../src/analyze/engine.js';
import { friendlyName } from '../../src/analyze/resource.js';
import { ISTIO_ANNOTATIONS, isIstioAnnotation, lookupAnnotation } from '../../src/analyze/util/annotations.js';
import { analyzeTestdata, analyzeTestFiles } from './harness.js';

describe('annotation vocabulary', () => {
  it('holds the 67 annotations of Istio 1.30.3, each once', () => {
    expect(ISTIO_ANNOTATIONS).toHaveLength(67);
    expect(new Set(ISTIO_ANNOTATIONS.map((a) => a.name)).size).toBe(67);
    expect(ISTIO_ANNOTATIONS.filter((a) => a.deprecated).map((a) => a.name).sort()).toEqual([
      'alpha.istio.io/canonical-serviceaccounts', 'alpha.istio.io/kubernetes-serviceaccounts',
      'sidecar.istio.io/discoveryAddress', 'sidecar.istio.io/extraStatTags', 'sidecar.istio.io/inject',
      'sidecar.istio.io/statsCompression', 'sidecar.istio.io/statsInclusionPrefixes', 'sidecar.istio.io/statsInclusionRegexps',
      'sidecar.istio.io/statsInclusionSuffixes', 'traffic.sidecar.istio.io/kubevirtInterfaces',
    ]);
  });

  it('knows targets and feature status', () => {
    expect(lookupAnnotation('networking.istio.io/traffic-distribution')?.targets).toEqual(['Service', 'Namespace', 'ServiceEntry']);
    expect(lookupAnnotation('sidecar.istio.io/inject')).toMatchObject({ targets: ['Pod'], status: 'Beta', deprecated: true });
    expect(lookupAnnotation('kubernetes.io/ingress.class')).toMatchObject({ targets: ['Ingress'], status: 'Stable' });
    // istio/api at Istio 1.30.3's pin marks proxyMemoryLimit alpha like proxyMemory.
    expect(lookupAnnotation('sidecar.istio.io/proxyMemoryLimit')?.status).toBe('Alpha');
    expect(lookupAnnotation('galley.istio.io/analyze-suppress')?.targets).toEqual(['Any']);
    expect(lookupAnnotation('policy.istio.io/check')).toBeUndefined();
  });

  it('recognises keys in Istio domains only', () => {
    for (const key of ['sidecar.istio.io/inject', 'istio.io/rev', 'networking.istio.io/x', 'kubernetes.io/ingress.class', 'istio.io']) {
      expect(isIstioAnnotation(key), key).toBe(true);
    }
    for (const key of ['kubernetes.io/psp', 'example.com/istio.io', 'istio.io.example.com/x', 'helm.sh/hook']) {
      expect(isIstioAnnotation(key), key).toBe(false);
    }
  });
});

describe('annotationValueError', () => {
  it('returns the injector reason without its lead', () => {
    expect(annotationValueError('sidecar.istio.io/interceptionMode', 'DIRECT')).toBe('interceptionMode invalid, use REDIRECT,TPROXY,NONE: DIRECT');
    expect(annotationValueError('traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.1'))
      .toBe(`excludeIPRanges invalid: failed parsing cidr '10.0.0.1': no "/" and prefix length`);
    expect(annotationValueError('readiness.status.sidecar.istio.io/periodSeconds', '-1')).toBeDefined();
  });

  it('accepts valid values and unchecked annotations', () => {
    expect(annotationValueError('readiness.status.sidecar.istio.io/periodSeconds', '10')).toBeUndefined();
    expect(annotationValueError('traffic.sidecar.istio.io/includeInboundPorts', '*')).toBeUndefined();
    expect(annotationValueError('sidecar.istio.io/proxyCPU', 'lots')).toBeUndefined();
    expect(annotationValueError('proxy.istio.io/config', '{}')).toBeUndefined();
    expect(annotationValueError('proxy.istio.io/config', 'holdApplicationUntilProxyStarts: true')).toBeUndefined();
  });

  it('refuses a proxy config that is not a map', () => {
    expect(annotationValueError('proxy.istio.io/config', '[1, 2]')).toMatch(/^failed to convert to apply proxy config: /);
  });
});

describe('service association helpers', () => {
  it('defaults protocol to TCP and targetPort to port', () => {
    expect(servicePorts({ ports: [{ port: 80 }, { port: 81, targetPort: 0 }, { port: 82, targetPort: 'http', protocol: 'UDP' }, { port: '83' }] }))
      .toEqual([
        { port: 80, protocol: 'TCP', targetPort: '80' },
        { port: 81, protocol: 'TCP', targetPort: '81' },
        { port: 82, protocol: 'UDP', targetPort: 'http' },
      ]);
  });

  it('finds protocol and targetPort conflicts, names sorted', () => {
    const tcp = { port: 53, protocol: 'TCP', targetPort: '53' };
    const udp = { port: 53, protocol: 'UDP', targetPort: '53' };
    expect(serviceConflicts([{ name: 'ns/b', ports: [tcp] }, { name: 'ns/a', ports: [udp] }]))
      .toEqual([{ kind: 'protocol', port: 53, services: ['ns/a', 'ns/b'] }]);
    // One Service alone can conflict with itself, as upstream counts ports, not Services.
    expect(serviceConflicts([{ name: 'ns/web', ports: [{ port: 80, protocol: 'TCP', targetPort: 'http' }, { port: 8080, protocol: 'TCP', targetPort: 'http' }] }]))
      .toEqual([{ kind: 'targetPort', targetPort: 'http', services: ['ns/web', 'ns/web'], ports: [80, 8080] }]);
    expect(serviceConflicts([{ name: 'ns/a', ports: [tcp] }, { name: 'ns/b', ports: [tcp] }])).toEqual([]);
  });

  it('counts an istio-proxy container only with an image', () => {
    expect(hasIstioProxy([{ name: 'app' }, { name: 'istio-proxy', image: 'proxyv2' }])).toBe(true);
    expect(hasIstioProxy([{ name: 'istio-proxy' }])).toBe(false);
    expect(hasIstioProxy([{ name: 'istio-proxy', image: '' }])).toBe(false);
  });
});

describe('injectionLabels', () => {
  it('counts revision and data-plane labels only beside an absent or enabled legacy label', () => {
    expect(injectionLabels({ 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })).toEqual(['istio-injection=enabled', 'istio.io/rev=canary']);
    expect(injectionLabels({ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' })).toEqual(['istio-injection=disabled']);
    expect(injectionLabels({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': 'x' })).toEqual(['istio.io/rev=x', 'istio.io/dataplane-mode=ambient']);
    expect(injectionLabels({})).toEqual([]);
  });
});

describe('proxyUidPaths', () => {
  it('finds 1337 on the pod and on application containers only', () => {
    expect(proxyUidPaths({
      securityContext: { runAsUser: 1337 },
      initContainers: [{ name: 'init', securityContext: { runAsUser: 1337 } }],
      containers: [
        { name: 'istio-proxy', securityContext: { runAsUser: 1337 } },
        { name: 'app', securityContext: { runAsUser: 1337 } },
        { name: 'other', securityContext: { runAsUser: 1000 } },
      ],
    })).toEqual([['securityContext', 'runAsUser'], ['containers', 1, 'securityContext', 'runAsUser']]);
    expect(proxyUidPaths(undefined)).toEqual([]);
  });
});

/**
 * Returns the 1-based line and column of `needle` in a test input, searching from the first
 * occurrence of `after` (so a needle repeated in the file can be told apart).
 */
function locate(file: string, needle: string, after = ''): { line: number; column: number } {
  const text = readFileSync(join(analyzeTestdata, file), 'utf8');
  const start = text.indexOf(after);
  const at = text.indexOf(needle, start);
  if (start < 0 || at < 0) throw new Error(`${needle} not in ${file}`);
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

async function findingOf(files: string[], analyzer: string, code: string, origin: string): Promise<Finding> {
  const result = await analyzeTestFiles(files, [analyzer]);
  const f = result.findings.find((x) => x.type.code === code && x.resource && friendlyName(x.resource) === origin);
  if (!f) throw new Error(`no ${code} on ${origin}`);
  return f;
}

describe('finding positions', () => {
  const cases: { files: string[]; analyzer: string; code: string; origin: string; needle: string; after?: string; message?: string }[] = [
    {
      files: ['deployment-multi-service.yaml'], analyzer: 'deployment.MultiServiceAnalyzer', code: 'IST0116', origin: 'Deployment store/resolver',
      needle: 'resolver', after: 'kind: Deployment',
      message: 'This deployment resolver is associated with multiple services using port 5353 but different protocols: [store/resolver-tcp store/resolver-udp]',
    },
    {
      files: ['deployment-multi-service.yaml'], analyzer: 'deployment.MultiServiceAnalyzer', code: 'IST0137', origin: 'Deployment store/cart',
      needle: 'cart', after: 'name: cart',
      message: 'This deployment cart is associated with multiple services [store/cart store/cart-direct] using targetPort "8080" but different ports: [80 8080].',
    },
    {
      files: ['injection-namespaces.yaml'], analyzer: 'injection.Analyzer', code: 'IST0102', origin: 'Namespace unlabelled',
      needle: 'unlabelled',
      message: "The namespace is not enabled for Istio injection. Run 'kubectl label namespace unlabelled istio-injection=enabled' to enable it, or 'kubectl label namespace unlabelled istio-injection=disabled' to explicitly mark it as not needing injection.",
    },
    {
      files: ['injection-namespaces.yaml'], analyzer: 'injection.Analyzer', code: 'IST0103', origin: 'Pod orders/label-over-annotation',
      needle: 'containers', after: 'name: label-over-annotation',
      message: 'The pod orders/label-over-annotation is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.',
    },
    {
      files: ['injection-namespaces.yaml'], analyzer: 'injection.Analyzer', code: 'IST0123', origin: 'Namespace both-labels',
      needle: 'labels:', after: 'name: both-labels\n',
      message: 'The namespace has more than one type of injection labels [istio-injection=enabled istio.io/rev=canary], which may lead to undefined behavior. Make sure only one injection label exists.',
    },
    {
      files: ['injection-namespaces.yaml', 'injection-enabled-by-default.yaml'], analyzer: 'injection.Analyzer', code: 'IST0148', origin: 'Namespace unlabelled',
      needle: 'unlabelled',
      message: 'is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.',
    },
    {
      files: ['annotations-k8s.yaml'], analyzer: 'annotations.K8sAnalyzer', code: 'IST0108', origin: 'Service media/web',
      needle: 'networking.istio.io/exportToo', message: 'Unknown annotation: networking.istio.io/exportToo',
    },
    {
      files: ['annotations-k8s.yaml'], analyzer: 'annotations.K8sAnalyzer', code: 'IST0107', origin: 'Namespace media',
      needle: 'kubernetes.io/ingress.class', after: 'kind: Namespace',
      message: 'Misplaced annotation: kubernetes.io/ingress.class can only be applied to Ingress',
    },
    {
      files: ['annotations-k8s.yaml'], analyzer: 'annotations.K8sAnalyzer', code: 'IST0125', origin: 'Deployment media/player',
      needle: 'DIRECT', message: 'Invalid annotation sidecar.istio.io/interceptionMode: interceptionMode invalid, use REDIRECT,TPROXY,NONE: DIRECT',
    },
    {
      files: ['annotations-k8s.yaml'], analyzer: 'annotations.K8sAnalyzer', code: 'IST0135', origin: 'Service media/api',
      needle: 'sidecar.istio.io/inject', after: 'name: api',
      message: 'Annotation "sidecar.istio.io/inject" has been deprecated in favor of the "sidecar.istio.io/inject" label and may not work in future Istio versions.',
    },
    {
      files: ['uid-application.yaml'], analyzer: 'applicationUID.Analyzer', code: 'IST0144', origin: 'Pod apps/container-level',
      needle: '1337', after: 'name: container-level', message: 'User ID (UID) 1337 is reserved for the sidecar proxy.',
    },
  ];

  for (const c of cases) {
    it(`${c.code} on ${c.origin} points at ${c.needle}`, async () => {
      const f = await findingOf(c.files, c.analyzer, c.code, c.origin);
      const file = c.files.find((x) => f.position?.file.endsWith(x));
      expect(file, f.position?.file).toBeDefined();
      expect({ line: f.position!.line, column: f.position!.column }).toEqual(locate(file!, c.needle, c.after));
      if (c.message) expect(f.message).toBe(c.message);
    });
  }

  it('reports a deprecated annotation on a Deployment without the label note for other annotations', async () => {
    const result = await analyzeTestFiles(['annotations-k8s.yaml'], ['annotations.K8sAnalyzer']);
    const messages = result.findings
      .filter((x) => x.type.code === 'IST0135' && x.resource && friendlyName(x.resource) === 'Deployment media/player')
      .map((x) => x.message).sort();
    expect(messages).toEqual([
      'Annotation "sidecar.istio.io/inject" has been deprecated in favor of the "sidecar.istio.io/inject" label and may not work in future Istio versions.',
      'Annotation "sidecar.istio.io/statsInclusionPrefixes" has been deprecated and may not work in future Istio versions.',
    ]);
  });
});
