/**
 * Helpers of the Gateway and Sidecar analyzers (port reading, host collisions, selector lookups,
 * ambient checks), plus the text and position of one finding of each message they report.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadInstance } from '../../src/analyze/analyzer.js';
import { addClaimants, selectorTextsOverlap, serverPort } from '../../src/analyze/analyzers/gateway-conflicting.js';
import { intOrStringValue, serviceTargetPorts } from '../../src/analyze/analyzers/gateway-ingress-port.js';
import { WorkloadSelectorIndex, selectorPath } from '../../src/analyze/analyzers/gateway-selection.js';
import { namespaceInAmbientMode, podInAmbientMode } from '../../src/analyze/analyzers/sidecar-selector.js';
import type { Resource } from '../../src/analyze/resource.js';
import { analyzeTestFiles } from './harness.js';

function resource(kind: string, namespace: string, name: string, object: Record<string, unknown>): Resource {
  return { key: kind, group: '', version: 'v1', kind, namespace, name, object: { metadata: { name }, ...object } };
}

function pod(namespace: string, name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): WorkloadInstance {
  return { resource: resource('Pod', namespace, name, {}), namespace, templatePath: [], labels, annotations, podSpec: {}, fromTemplate: false };
}

describe('gateway port reading', () => {
  it('reads IntOrString as Go IntValue does', () => {
    expect(intOrStringValue(8080)).toBe(8080);
    expect(intOrStringValue('8080')).toBe(8080);
    expect(intOrStringValue('http')).toBe(0);
    expect(intOrStringValue(undefined)).toBe(0);
    expect(intOrStringValue('80a')).toBe(0);
  });

  it('takes TCP target ports and the ports mapping to them, the port alone for absent, zero or named targets', () => {
    const svc = resource('Service', 'edge', 'gw', {
      spec: {
        ports: [
          { port: 80, targetPort: 8080, protocol: 'TCP' },
          { port: 443 },
          { port: 9000, targetPort: 'http-alt' },
          { port: 9001, targetPort: 0 },
          { port: 53, targetPort: 5353, protocol: 'UDP' },
          { port: 7000, targetPort: '7001', protocol: 'SCTP' },
        ],
      },
    });
    expect(serviceTargetPorts(svc)).toEqual([8080, 80, 443, 9000, 9001]);
  });

  it('reads a server without a port as port 0', () => {
    expect(serverPort({ port: { number: 443 } })).toBe(443);
    expect(serverPort({ hosts: ['a'] })).toBe(0);
    expect(serverPort({ port: { name: 'http' } })).toBe(0);
  });
});

describe('gateway host collisions', () => {
  it('compares hosts as written and only on the same bind address', () => {
    const claims = new Map([
      ['foo.example.com', [{ name: 'default/a', bind: '' }, { name: 'default/self', bind: '' }]],
      ['*.bar.example.com', [{ name: 'team/b', bind: '' }]],
      ['api.example.com', [{ name: 'team/c', bind: '10.0.0.1' }]],
    ]);
    const run = (hosts: string[], bind = '') => {
      const found = new Set<string>();
      const first = addClaimants(found, claims, hosts, bind, 'default/self');
      return { found: [...found], first };
    };
    expect(run(['foo.example.com'])).toEqual({ found: ['default/a'], first: 0 });
    expect(run(['*.example.com', 'x.bar.example.com'])).toEqual({ found: [], first: -1 });
    expect(run(['other', '*.bar.example.com', 'foo.example.com'])).toEqual({ found: ['team/b', 'default/a'], first: 1 });
    expect(run(['api.example.com'], '10.0.0.2')).toEqual({ found: [], first: -1 });
    expect(run(['api.example.com'], '10.0.0.1')).toEqual({ found: ['team/c'], first: 0 });
    expect(run([])).toEqual({ found: [], first: -1 });
    expect(addClaimants(new Set(), undefined, ['foo.example.com'], '', 'default/self')).toBe(-1);
  });

  it('treats selector texts as candidates for one workload when one contains the other', () => {
    expect(selectorTextsOverlap('istio=ingressgateway', 'app=istio-ingressgateway,istio=ingressgateway')).toBe(true);
    expect(selectorTextsOverlap('app=a,istio=ingressgateway', 'istio=ingressgateway')).toBe(true);
    expect(selectorTextsOverlap('custom=edge-b', 'role=gw')).toBe(false);
    expect(selectorTextsOverlap('', 'role=gw')).toBe(true);
  });
});

describe('WorkloadSelectorIndex', () => {
  const a = pod('shop', 'a', { app: 'web', version: 'v1' });
  const b = pod('shop', 'b', { app: 'web', version: 'v2' });
  const c = pod('other', 'c', { app: 'web', version: 'v1' });
  const all = [a, b, c];
  const index = new WorkloadSelectorIndex((ns) => (ns === undefined ? all : all.filter((w) => w.namespace === ns)));

  it('matches every label of the selector, across namespaces unless one is given', () => {
    expect(index.select({ app: 'web', version: 'v1' })).toEqual([a, c]);
    expect(index.select({ app: 'web', version: 'v1' }, 'shop')).toEqual([a]);
    expect(index.select({ version: 'v2' }, 'other')).toEqual([]);
    expect(index.select({ app: 'web', tier: 'front' })).toEqual([]);
  });

  it('matches everything in scope with an empty selector', () => {
    expect(index.select({})).toEqual([a, b, c]);
    expect(index.select({}, 'other')).toEqual([c]);
    expect(index.select({}, 'nowhere')).toEqual([]);
  });

  it('answers the same once selectors have used enough keys to index every label', () => {
    const many = Array.from({ length: 12 }, (_, i) => pod('shop', `p${i}`, Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`k${k}`, `${(i + k) % 3}`]))));
    const fresh = new WorkloadSelectorIndex((ns) => (ns === undefined ? many : many.filter((w) => w.namespace === ns)));
    for (let k = 0; k < 12; k++) {
      const selector = { [`k${k}`]: '0', [`k${(k + 1) % 12}`]: '1' };
      expect(fresh.select(selector), `k${k}`).toEqual(many.filter((w) => w.labels[`k${k}`] === '0' && w.labels[`k${(k + 1) % 12}`] === '1'));
      expect(fresh.select({ [`k${k}`]: '2' }, 'shop')).toEqual(many.filter((w) => w.labels[`k${k}`] === '2'));
    }
    expect(fresh.select({ unknown: 'x' })).toEqual([]);
    expect(fresh.select({ constructor: 'x' })).toEqual([]);
  });

  it('points selector findings at the first label in key order', () => {
    expect(selectorPath(['spec', 'selector'], { version: 'v1', app: 'web' })).toEqual(['spec', 'selector', 'app']);
    expect(selectorPath(['spec', 'selector'], {})).toEqual(['spec', 'selector']);
  });
});

describe('ambient checks', () => {
  it('knows a pod captured by ztunnel', () => {
    expect(podInAmbientMode(pod('ns', 'p', {}, { 'ambient.istio.io/redirection': 'enabled' }))).toBe(true);
    expect(podInAmbientMode(pod('ns', 'p', {}, { 'ambient.istio.io/redirection': 'disabled' }))).toBe(false);
  });

  it('lets sidecar injection labels win over the ambient label', () => {
    const ns = (labels: Record<string, string>): Resource => resource('Namespace', '', 'n', { metadata: { name: 'n', labels } });
    expect(namespaceInAmbientMode(ns({ 'istio.io/dataplane-mode': 'ambient' }))).toBe(true);
    expect(namespaceInAmbientMode(ns({ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }))).toBe(false);
    expect(namespaceInAmbientMode(ns({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': 'canary' }))).toBe(false);
    expect(namespaceInAmbientMode(ns({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': '' }))).toBe(true);
    expect(namespaceInAmbientMode(undefined)).toBe(false);
  });
});

describe('gateway and sidecar findings', () => {
  async function finding(file: string, analyzer: string, code: string, origin: string) {
    const result = await analyzeTestFiles([file], [analyzer]);
    const f = result.findings.find((x) => x.type.code === code && x.resource && `${x.resource.kind} ${x.resource.namespace}/${x.resource.name}` === origin);
    expect(f, `${code} ${origin}`).toBeDefined();
    return { message: f!.message, at: `${f!.position!.line}:${f!.position!.column}` };
  }

  it('IST0101 for a Gateway points at the selector label', async () => {
    expect(await finding('gateway-ingress-ports.yaml', 'gateway.IngressGatewayPortAnalyzer', 'IST0101', 'Gateway default/no-workload'))
      .toEqual({ message: 'Referenced selector not found: "istio=nonexistent"', at: '71:12' });
  });

  it('IST0162 points at the server port number', async () => {
    expect(await finding('gateway-ingress-ports.yaml', 'gateway.IngressGatewayPortAnalyzer', 'IST0162', 'Gateway default/bad-port')).toEqual({
      message: 'The gateway is listening on a target port (port 9999) that is not defined in the Service associated with its workload instances '
        + '(Pod selector istio=ingressgateway). If you need to access the gateway port through the gateway Service, it will not be available.',
      at: '43:15',
    });
  });

  it('IST0145 points at the colliding host and lists the server\'s hosts', async () => {
    expect(await finding('gateway-conflicts.yaml', 'gateway.ConflictingGatewayAnalyzer', 'IST0145', 'Gateway default/beta')).toEqual({
      message: 'Conflict with gateways default/alpha (workload selector istio=ingressgateway, port 80, hosts other.bar,foo.bar).',
      at: '31:7',
    });
  });

  it('IST0101 for a Sidecar points at the workload selector label', async () => {
    expect(await finding('sidecar-selector.yaml', 'sidecar.SelectorAnalyzer', 'IST0101', 'Sidecar shop/missing'))
      .toEqual({ message: 'Referenced selector not found: "app=bogus,version=v1"', at: '105:12' });
  });

  it('IST0110 names the Sidecars and the pod, at the Sidecar name', async () => {
    expect(await finding('sidecar-selector.yaml', 'sidecar.SelectorAnalyzer', 'IST0110', 'Sidecar shop/dupe-1')).toEqual({
      message: 'The Sidecars [dupe-1 dupe-2] in namespace "shop" select the same workload pod "reviews", which can lead to undefined behavior.',
      at: '128:9',
    });
  });

  it('IST0111 names the selector-less Sidecars of the namespace', async () => {
    expect(await finding('sidecar-default-selector.yaml', 'sidecar.SelectorAnalyzer', 'IST0111', 'Sidecar double/first')).toEqual({
      message: 'The Sidecars [first second] in namespace "double" have no workload selector, which can lead to undefined behavior.',
      at: '47:9',
    });
  });
});
