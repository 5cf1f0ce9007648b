/**
 * Messages and positions of the VirtualService and DestinationRule reference analyzers: each
 * message kind is checked on one finding, text and `file:line:column` of the offending node.
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/analyze/engine.js';
import { friendlyName } from '../../src/analyze/resource.js';
import { analyzeTestFiles } from './harness.js';

/** Returns `file:line:column Kind ns/name [CODE] message` for each finding. */
function lines(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.position ? `${basename(f.position.file)}:${f.position.line}:${f.position.column}` : '-'} `
    + `${friendlyName(f.resource!)} [${f.type.code}] ${f.message}`);
}

async function findingsOf(file: string, analyzer: string, origin: string): Promise<string[]> {
  const result = await analyzeTestFiles([file], [analyzer]);
  return lines(result.findings.filter((f) => friendlyName(f.resource!) === origin));
}

describe('virtualservice.GatewayAnalyzer', () => {
  it('points at the gateways entry for IST0101 and IST0132', async () => {
    expect(await findingsOf('virtualservice-gateways.yaml', 'virtualservice.GatewayAnalyzer', 'VirtualService shop/missing-gateway')).toEqual([
      'virtualservice-gateways.yaml:117:14 VirtualService shop/missing-gateway [IST0101] Referenced gateway not found: "nowhere"',
      'virtualservice-gateways.yaml:117:14 VirtualService shop/missing-gateway [IST0132] one or more host [shop.example.com] '
        + 'defined in VirtualService shop/missing-gateway not found in Gateway shop/nowhere.',
    ]);
    expect(await findingsOf('virtualservice-gateways.yaml', 'virtualservice.GatewayAnalyzer', 'VirtualService shop/two-gateways')).toEqual([
      'virtualservice-gateways.yaml:248:5 VirtualService shop/two-gateways [IST0132] one or more host [shop.example.com] '
        + 'defined in VirtualService shop/two-gateways not found in Gateway istio-system/scoped.',
    ]);
  });
});

describe('virtualservice.DestinationHostAnalyzer', () => {
  const file = 'virtualservice-destination-hosts.yaml';
  const analyzer = 'virtualservice.DestinationHostAnalyzer';

  it('points at the host of a route or mirror that resolves to nothing', async () => {
    expect(await findingsOf(file, analyzer, 'VirtualService shop/cart-typo')).toEqual([
      'virtualservice-destination-hosts.yaml:125:27 VirtualService shop/cart-typo [IST0101] Referenced host not found: "crat"',
    ]);
    expect(await findingsOf(file, analyzer, 'VirtualService shop/mirror-typo')).toEqual([
      'virtualservice-destination-hosts.yaml:231:13 VirtualService shop/mirror-typo [IST0101] Referenced mirror host not found: "cart-shadow"',
      'virtualservice-destination-hosts.yaml:233:27 VirtualService shop/mirror-typo [IST0101] Referenced mirror host not found: "cart-v2"',
    ]);
  });

  it('points at the port number the service lacks, and at the host that needs a port', async () => {
    expect(await findingsOf(file, analyzer, 'VirtualService shop/catalog-bad-port')).toEqual([
      'virtualservice-destination-hosts.yaml:165:24 VirtualService shop/catalog-bad-port [IST0101] Referenced host:port not found: "catalog:7070"',
    ]);
    expect(await findingsOf(file, analyzer, 'VirtualService shop/catalog-no-port')).toEqual([
      'virtualservice-destination-hosts.yaml:137:27 VirtualService shop/catalog-no-port [IST0112] This VirtualService routes to a service '
        + '"catalog" that exposes multiple ports [80 9090]. Specifying a port in the destination is required to disambiguate.',
    ]);
  });
});

describe('virtualservice.DestinationRuleAnalyzer', () => {
  it('points at the subset of a route or mirror', async () => {
    const file = 'virtualservice-destination-rules.yaml';
    const analyzer = 'virtualservice.DestinationRuleAnalyzer';
    expect(await findingsOf(file, analyzer, 'VirtualService shop/cart-v3')).toEqual([
      'virtualservice-destination-rules.yaml:65:41 VirtualService shop/cart-v3 [IST0101] Referenced host+subset in destinationrule not found: "cart+v3"',
    ]);
    expect(await findingsOf(file, analyzer, 'VirtualService shop/cart-mirror')).toEqual([
      'virtualservice-destination-rules.yaml:80:15 VirtualService shop/cart-mirror [IST0101] Referenced mirror+subset in destinationrule not found: "cart+canary"',
    ]);
  });
});

describe('virtualservice.ConflictingMeshGatewayHostsAnalyzer', () => {
  it('points at each name and names the scoped host', async () => {
    const result = await analyzeTestFiles(['virtualservice-mesh-hosts.yaml'], ['virtualservice.ConflictingMeshGatewayHostsAnalyzer']);
    const orders = lines(result.findings).filter((l) => l.includes('shop/orders-'));
    const text = 'The VirtualServices shop/orders-1,shop/orders-2 associated with mesh gateway define the same host */orders.shop.svc.cluster.local '
      + 'which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
    expect(orders).toEqual([
      `virtualservice-mesh-hosts.yaml:6:9 VirtualService shop/orders-1 [IST0109] ${text}`,
      `virtualservice-mesh-hosts.yaml:17:9 VirtualService shop/orders-2 [IST0109] ${text}`,
    ]);
  });
});

describe('destinationrule.SubsetSelectPodAnalyzer', () => {
  const analyzer = 'destinationrule.SubsetSelectPodAnalyzer';

  it('points at the host no service matches', async () => {
    expect(await findingsOf('destinationrule-subsets.yaml', analyzer, 'DestinationRule shop/ghost')).toEqual([
      'destinationrule-subsets.yaml:158:9 DestinationRule shop/ghost [IST0174] The host ghost defined in the DestinationRule does not match any services in the mesh.',
    ]);
  });

  it('points at the labels of a subset that selects nothing', async () => {
    expect(await findingsOf('destinationrule-subsets.yaml', analyzer, 'DestinationRule shop/legacy')).toEqual([
      'destinationrule-subsets.yaml:186:13 DestinationRule shop/legacy [IST0173] The Subset v1 defined in the DestinationRule does not select any pods. '
        + 'Which may lead to 503 UH (NoHealthyUpstream).',
    ]);
  });

  it('names the subsets whose topology labels no pod\'s node carries', async () => {
    const result = await analyzeTestFiles(['destinationrule-topology.yaml'], [analyzer]);
    expect(result.findings.map((f) => `${f.position?.line} ${/The Subset (\S+)/.exec(f.message)?.[1]}`)).toEqual([
      '98 west-v1', '102 empty-region-v2', '106 subzone-v2', '118 v3-wrong-host',
    ]);
  });
});
