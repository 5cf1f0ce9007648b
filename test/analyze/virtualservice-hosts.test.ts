/**
 * Host helpers of the VirtualService and DestinationRule analyzers: FQDNs, wildcard overlap,
 * exportTo scopes, the Service/ServiceEntry lookup, the overlap index (checked against the plain
 * pairwise rule), gateway server hosts and subset matching on node topology labels.
 */
import { describe, expect, it } from 'vitest';
import type { WorkloadInstance } from '../../src/analyze/analyzer.js';
import { endpointLabels, selects } from '../../src/analyze/analyzers/destinationrule-subset-select-pod.js';
import { gatewayServerHosts, isInternalGatewayReference } from '../../src/analyze/analyzers/virtualservice-gateway.js';
import type { Resource } from '../../src/analyze/resource.js';
import {
  annotationScopes, exportScopes, HostOverlapIndex, hostsForNamespace, hostsOverlap, mirrorDestinations, resourceNameFromHost,
  routeDestinations, ServiceHostIndex, shortOrFullName, toFqdn,
} from '../../src/analyze/util/hosts.js';

function resource(kind: string, namespace: string, name: string, spec: unknown, annotations?: Record<string, string>): Resource {
  const group = kind === 'Service' ? '' : 'networking.istio.io';
  return {
    key: group ? `${kind}.${group}` : kind, group, version: 'v1', kind, namespace, name,
    object: { apiVersion: group ? `${group}/v1` : 'v1', kind, metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec: spec as object },
  };
}

describe('host names', () => {
  it('qualifies short names only', () => {
    expect(toFqdn('shop', 'cart')).toBe('cart.shop.svc.cluster.local');
    expect(toFqdn('shop', 'cart.other')).toBe('cart.other');
    expect(toFqdn('shop', 'pay.example.com')).toBe('pay.example.com');
    expect(toFqdn('shop', '*')).toBe('*');
    expect(toFqdn('shop', '*.example.com')).toBe('*.example.com');
  });

  it('reads the Service a host names as upstream does', () => {
    expect(resourceNameFromHost('shop', 'cart')).toEqual({ namespace: 'shop', name: 'cart' });
    expect(resourceNameFromHost('shop', 'ledger.finance.svc.cluster.local')).toEqual({ namespace: 'finance', name: 'ledger' });
    // The name part may hold dots; the namespace is the last label before the domain.
    expect(resourceNameFromHost('shop', 'a.b.c.svc.cluster.local')).toEqual({ namespace: 'c', name: 'a.b' });
    // Not a cluster-local FQDN: the whole host is a name in the default namespace.
    expect(resourceNameFromHost('shop', 'cart.finance')).toEqual({ namespace: 'shop', name: 'cart.finance' });
    expect(resourceNameFromHost('shop', 'pay.example.com')).toEqual({ namespace: 'shop', name: 'pay.example.com' });
  });

  it('resolves short and namespaced references', () => {
    expect(shortOrFullName('shop', 'web')).toEqual({ namespace: 'shop', name: 'web' });
    expect(shortOrFullName('shop', 'istio-system/web')).toEqual({ namespace: 'istio-system', name: 'web' });
  });

  it('overlaps hosts as Istio host.Name.Matches does', () => {
    const cases: [string, string, boolean][] = [
      ['foo.com', 'foo.com', true],
      ['foo.com', 'bar.com', false],
      ['*.com', 'foo.com', true],
      ['bar.com', '*.com', true],
      ['*.foo.com', 'foo.com', false],
      ['*', 'foo.com', true],
      ['*', '*.com', true],
      ['*.com', '*.foo.com', true],
      ['*.foo.com', '*.bar.com', false],
      ['*.catalog.d', '*.d', true],
      ['*.catalog.b', '*.catalog', false],
    ];
    for (const [a, b, want] of cases) {
      expect(hostsOverlap(a, b), `${a} ~ ${b}`).toBe(want);
      expect(hostsOverlap(b, a), `${b} ~ ${a}`).toBe(want);
    }
  });

  it('keeps the Gateway hosts that apply to a namespace', () => {
    expect(hostsForNamespace(['ns1/foo.com', 'ns2/bar.com'], 'ns1')).toEqual(['foo.com']);
    expect(hostsForNamespace(['ns1/foo.com', 'ns2/bar.com'], 'ns3')).toEqual([]);
    expect(hostsForNamespace(['ns1/foo.com', '*/bar.com'], 'ns3')).toEqual(['bar.com']);
    expect(hostsForNamespace(['foo.com', 'ns2/bar.com'], 'ns2')).toEqual(['foo.com', 'bar.com']);
  });
});

describe('exportTo', () => {
  it('scopes a VirtualService or ServiceEntry', () => {
    expect(exportScopes([], 'shop')).toEqual(['*']);
    expect(exportScopes(['.', 'web', '*'], 'shop')).toEqual(['*']);
    expect(exportScopes(['.', 'web', 'shop'], 'shop')).toEqual(['shop', 'web']);
  });

  it('scopes a Service by its annotation', () => {
    expect(annotationScopes(undefined, 'ns')).toEqual(['*']);
    expect(annotationScopes('', 'ns')).toEqual(['*']);
    expect(annotationScopes('ns', 'ns')).toEqual(['ns']);
    expect(annotationScopes('.', 'ns')).toEqual(['ns']);
    expect(annotationScopes('ns1, ns2', 'ns1')).toEqual(['ns1', 'ns2']);
    expect(annotationScopes('ns1 ,ns2', 'ns1')).toEqual(['ns1', 'ns2']);
  });
});

describe('ServiceHostIndex', () => {
  const index = new ServiceHostIndex([
    resource('ServiceEntry', 'shop', 'eu', { hosts: ['*.eu.example.com'] }),
    resource('ServiceEntry', 'other', 'private', { hosts: ['private.example.com'], exportTo: ['.'] }),
    resource('ServiceEntry', 'other', 'shared', { hosts: ['shared.example.com'], exportTo: ['shop'], ports: [{ number: 80 }, { number: 8080 }] }),
    resource('ServiceEntry', 'lonely', 'all', { hosts: ['*'], exportTo: ['.'] }),
    resource('ServiceEntry', 'shop', 'legacy', { hosts: ['legacy.example.com'], workloadSelector: { labels: { app: 'legacy' } } }),
  ], [
    resource('Service', 'shop', 'cart', { selector: { app: 'cart' }, ports: [{ port: 8080 }] }),
    resource('Service', 'finance', 'vault', { ports: [{ port: 8200 }] }, { 'networking.istio.io/exportTo': 'audit' }),
  ]);
  const found = (ns: string, exportTo: string[], host: string): string | undefined => {
    const h = index.lookup(ns, exportTo, host);
    return h && `${h.resource.namespace}/${h.resource.name}`;
  };

  it('finds Services by short name in their namespace and by FQDN anywhere', () => {
    expect(found('shop', [], 'cart')).toBe('shop/cart');
    expect(found('web', [], 'cart.shop.svc.cluster.local')).toBe('shop/cart');
    expect(found('web', [], 'cart')).toBeUndefined();
    expect(index.lookup('shop', [], 'cart')).toMatchObject({ ports: [8080], workloadSelector: {} });
  });

  it('honours exportTo of the host and of the resource looking', () => {
    expect(found('shop', [], 'private.example.com')).toBeUndefined();
    expect(found('other', [], 'private.example.com')).toBe('other/private');
    expect(found('shop', [], 'shared.example.com')).toBe('other/shared');
    expect(found('web', [], 'shared.example.com')).toBeUndefined();
    // A resource exported to shop looks in shop's scope, wherever it lives.
    expect(found('web', ['shop'], 'shared.example.com')).toBe('other/shared');
    expect(found('audit', [], 'vault.finance.svc.cluster.local')).toBe('finance/vault');
    expect(found('finance', [], 'vault')).toBeUndefined();
  });

  it('matches wildcard ServiceEntry hosts visible to the namespace', () => {
    expect(found('web', [], 'api.eu.example.com')).toBe('shop/eu');
    expect(found('web', [], '*.eu.example.com')).toBe('shop/eu');
    expect(found('web', [], '*.de.eu.example.com')).toBe('shop/eu');
    expect(found('web', [], 'eu.example.com')).toBeUndefined();
    expect(found('lonely', [], 'anything.example.net')).toBe('lonely/all');
    expect(found('web', [], 'anything.example.net')).toBeUndefined();
  });

  it('keeps a ServiceEntry workload selector for subset matching', () => {
    expect(index.lookup('shop', [], 'legacy.example.com')?.workloadSelector).toEqual({ app: 'legacy' });
  });
});

describe('HostOverlapIndex', () => {
  it('answers as comparing against every host would', () => {
    const hosts = ['*', '*.com', 'foo.com', 'a.foo.com', '*.foo.com', '*.bar.com', 'b.bar.com', 'bar.com', '*.a.foo.com',
      'x.y.z', '*.z', '*z', 'zz', '.odd', '*.catalog.d', '*.d', 'catalog.d'];
    const index = new HostOverlapIndex<string>();
    for (const h of hosts) index.add(h, h);
    for (const q of [...hosts, '*.y.z', 'q.a.foo.com', '*oo.com', '*.nothing', 'nothing']) {
      expect(index.overlapping(q), q).toEqual(hosts.filter((h) => hostsOverlap(q, h)));
    }
  });

  it('returns each item once, in the order added', () => {
    const index = new HostOverlapIndex<string>();
    index.add('b.example.com', 'second');
    index.add('*.example.com', 'first');
    index.add('a.example.com', 'first');
    expect(index.overlapping('*.example.com')).toEqual(['second', 'first']);
  });
});

describe('VirtualService destinations', () => {
  const vs = resource('VirtualService', 'shop', 'routes', {
    tcp: [{ route: [{ destination: { host: 'db' } }] }],
    tls: [{ route: [{ destination: { host: 'pay.example.com' } }] }],
    http: [
      { route: [{ destination: { host: 'cart', subset: 'v1' } }, {}], mirror: { host: 'shadow' }, mirrors: [{ destination: { host: 'copy' } }] },
    ],
  });

  it('lists tcp, tls and http routes with their paths; a route without destination names no host', () => {
    expect(routeDestinations(vs)).toEqual([
      { destination: { host: 'db' }, path: ['spec', 'tcp', 0, 'route', 0, 'destination'] },
      { destination: { host: 'pay.example.com' }, path: ['spec', 'tls', 0, 'route', 0, 'destination'] },
      { destination: { host: 'cart', subset: 'v1' }, path: ['spec', 'http', 0, 'route', 0, 'destination'] },
      { destination: {}, path: ['spec', 'http', 0, 'route', 1, 'destination'] },
    ]);
  });

  it('lists mirror and mirrors', () => {
    expect(mirrorDestinations(vs)).toEqual([
      { destination: { host: 'shadow' }, path: ['spec', 'http', 0, 'mirror'] },
      { destination: { host: 'copy' }, path: ['spec', 'http', 0, 'mirrors', 0, 'destination'] },
    ]);
  });
});

describe('Gateway server hosts', () => {
  it('resolves namespace prefixes as upstream does before matching', () => {
    const gw = resource('Gateway', 'istio-system', 'gw', {
      servers: [{ hosts: ['./a.com', '*/b.com', 'shop/c.com', 'd.com'] }, { hosts: ['x.com', '*/*', 'y.com'] }],
    });
    expect(gatewayServerHosts(gw)).toEqual(['istio-system/a.com', 'b.com', 'shop/c.com', 'd.com', '*']);
  });

  it('recognises references to Gateways generated for Kubernetes Gateways', () => {
    expect(isInternalGatewayReference('istio-ingress/gateway~istio-autogenerated-k8s-gateway~http')).toBe(true);
    expect(isInternalGatewayReference('gateway~istio-autogenerated-k8s-gateway~http')).toBe(true);
    expect(isInternalGatewayReference('gateway-istio-autogenerated-k8s-gateway-http')).toBe(false);
    expect(isInternalGatewayReference('istio-system/ingress')).toBe(false);
  });
});

describe('subset matching on endpoint labels', () => {
  const pod = (labels: Record<string, string>, nodeName?: string, fromTemplate = false): WorkloadInstance => ({
    resource: resource('Pod', 'ns', 'p', {}), namespace: 'ns', templatePath: [], labels, annotations: {},
    podSpec: nodeName ? { nodeName } : {}, fromTemplate,
  });
  const nodes: Record<string, Record<string, string>> = {
    east: { 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'us-east-1a', 'topology.istio.io/subzone': 'r1' },
    bare: { 'topology.kubernetes.io/region': '', 'topology.istio.io/subzone': 'r9' },
  };
  const lookup = (name: string): Record<string, string> | undefined => nodes[name];

  it('adds the node topology and hostname labels Istio adds to endpoints', () => {
    expect(endpointLabels(pod({ app: 'web' }, 'east'), lookup).labels).toEqual({
      app: 'web', 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'us-east-1a',
      'topology.istio.io/subzone': 'r1', 'kubernetes.io/hostname': 'east',
    });
    // Empty values are not copied; a subzone needs a zone.
    expect(endpointLabels(pod({ app: 'web' }, 'bare'), lookup).labels).toEqual({ app: 'web', 'kubernetes.io/hostname': 'bare' });
  });

  it('holds nothing against labels that depend on a node the input lacks', () => {
    const region = { 'topology.kubernetes.io/region': 'eu' };
    const host = { 'kubernetes.io/hostname': 'elsewhere' };
    expect(selects(region, endpointLabels(pod({}, 'east'), lookup))).toBe(false);
    expect(selects(region, endpointLabels(pod({}, 'gone'), lookup))).toBe(true);
    expect(selects(host, endpointLabels(pod({}, 'gone'), lookup))).toBe(false);
    expect(selects(host, endpointLabels(pod({}, undefined, true), lookup))).toBe(true);
    expect(selects({ ...host, version: 'v1' }, endpointLabels(pod({ version: 'v2' }, undefined, true), lookup))).toBe(false);
  });

  it('needs an empty-valued label to be present', () => {
    expect(selects({ tier: '' }, endpointLabels(pod({ tier: '' }), lookup))).toBe(true);
    expect(selects({ tier: '' }, endpointLabels(pod({}), lookup))).toBe(false);
  });
});
