/** Grid rows for schema.ValidationAnalyzer.<Kind>: each kind's invalid object, and only it, is reported. */
import type { GridCase } from './harness.js';

const KINDS = [
  'AuthorizationPolicy', 'DestinationRule', 'EnvoyFilter', 'Gateway', 'PeerAuthentication', 'ProxyConfig',
  'RequestAuthentication', 'ServiceEntry', 'Sidecar', 'Telemetry', 'TrafficExtension', 'VirtualService',
  'WasmPlugin', 'WorkloadEntry', 'WorkloadGroup',
];

// The bad VirtualService misspells `host`: an unknown field and a missing required one.
const TWICE = new Set(['VirtualService']);

export const GRID: GridCase[] = KINDS.map((kind) => ({
  files: ['schema-istio-kinds.yaml'],
  analyzer: `schema.ValidationAnalyzer.${kind}`,
  expected: Array.from({ length: TWICE.has(kind) ? 2 : 1 }, (): [string, string] => ['IST0106', `${kind} schema/bad`]),
})).concat([
  {
    files: ['virtualservice-unused-rules.yaml'],
    analyzer: 'schema.ValidationAnalyzer.VirtualService',
    expected: [
      ['IST0131', 'VirtualService shop/catalog'],
      ['IST0130', 'VirtualService shop/catalog'],
      ['IST0131', 'VirtualService shop/catalog'],
      ['IST0130', 'VirtualService shop/catalog'],
      ['IST0130', 'VirtualService shop/catalog'],
      ['IST0131', 'VirtualService shop/ledger'],
      ['IST0130', 'VirtualService shop/ledger'],
    ],
  },
]);
