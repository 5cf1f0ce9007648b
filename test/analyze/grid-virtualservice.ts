/**
 * Grid rows for the VirtualService and DestinationRule reference analyzers, and the Bookinfo
 * acceptance rows (inputs: Istio 1.30.3 samples/bookinfo, byte-identical copies under bookinfo/).
 * Why Bookinfo gives what it gives is spelled out in virtualservice-bookinfo.test.ts.
 */
import type { GridCase } from './harness.js';

const GATEWAY = 'virtualservice.GatewayAnalyzer';
const DESTINATION_HOST = 'virtualservice.DestinationHostAnalyzer';
const DESTINATION_RULE = 'virtualservice.DestinationRuleAnalyzer';
const MESH_HOSTS = 'virtualservice.ConflictingMeshGatewayHostsAnalyzer';
const SUBSETS = 'destinationrule.SubsetSelectPodAnalyzer';

/** The analyzers of this area. */
export const REFERENCE_ANALYZERS = [GATEWAY, DESTINATION_HOST, DESTINATION_RULE, MESH_HOSTS, SUBSETS] as const;

const BOOKINFO_APP = ['bookinfo/bookinfo.yaml', 'bookinfo/bookinfo-gateway.yaml'];
const BOOKINFO_SUBSETS = [...BOOKINFO_APP, 'bookinfo/destination-rule-all.yaml'];
/** The routing samples, each analyzed on top of the application, its gateway and its subsets. */
export const BOOKINFO_ROUTING = [
  'bookinfo/virtual-service-all-v1.yaml',
  'bookinfo/virtual-service-reviews-80-20.yaml',
  'bookinfo/fault-injection-details-v1.yaml',
];
/** Subsets of destination-rule-all.yaml that no Bookinfo workload carries. */
const RATINGS_WITHOUT_PODS: [string, string][] = [
  ['IST0173', 'DestinationRule default/ratings'],
  ['IST0173', 'DestinationRule default/ratings'],
];

/** One row per analyzer of this area, all expecting nothing except what `expected` lists by analyzer. */
function bookinfoRows(files: string[], expected: Partial<Record<string, [string, string][]>>): GridCase[] {
  return REFERENCE_ANALYZERS.map((analyzer) => ({ files, analyzer, expected: expected[analyzer] ?? [] }));
}

export const GRID: GridCase[] = [
  {
    files: ['virtualservice-ingress-subsets.yaml'],
    analyzer: DESTINATION_HOST,
    expected: [['IST0140', 'VirtualService shop/edge-routes']],
  },
  {
    files: ['virtualservice-gateways.yaml'],
    analyzer: GATEWAY,
    expected: [
      ['IST0132', 'VirtualService shop/wrong-host'],
      ['IST0101', 'VirtualService shop/missing-gateway'],
      ['IST0132', 'VirtualService shop/missing-gateway'],
      ['IST0101', 'VirtualService shop/k8s-gateway'],
      ['IST0132', 'VirtualService shop/k8s-gateway'],
      ['IST0132', 'VirtualService shop/internal'],
      ['IST0132', 'VirtualService other/only-shop'],
      ['IST0132', 'VirtualService shop/two-gateways'],
      ['IST0165', 'VirtualService shop/internal-reference'],
    ],
  },
  {
    files: ['virtualservice-destination-hosts.yaml'],
    analyzer: DESTINATION_HOST,
    expected: [
      ['IST0101', 'VirtualService shop/cart-typo'],
      ['IST0101', 'VirtualService shop/catalog-bad-port'],
      ['IST0101', 'VirtualService shop/private-ref'],
      ['IST0101', 'VirtualService shop/mirror-typo'],
      ['IST0101', 'VirtualService shop/mirror-typo'],
      ['IST0101', 'VirtualService shop/vault-ref'],
      ['IST0101', 'VirtualService finance/narrow-export'],
      ['IST0101', 'VirtualService shop/anything'],
      ['IST0112', 'VirtualService shop/catalog-no-port'],
      ['IST0112', 'VirtualService shop/shared-ref'],
    ],
  },
  {
    files: ['virtualservice-destination-rules.yaml'],
    analyzer: DESTINATION_RULE,
    expected: [
      ['IST0101', 'VirtualService shop/cart-v3'],
      ['IST0101', 'VirtualService shop/cart-mirror'],
      ['IST0101', 'VirtualService shop/ledger-short'],
      ['IST0101', 'VirtualService other/payments'],
    ],
  },
  {
    files: ['virtualservice-mesh-hosts.yaml'],
    analyzer: MESH_HOSTS,
    expected: [
      ['IST0109', 'VirtualService shop/orders-1'],
      ['IST0109', 'VirtualService shop/orders-2'],
      ['IST0109', 'VirtualService shop/stock'],
      ['IST0109', 'VirtualService web/stock'],
      ['IST0109', 'VirtualService team-b/search'],
      ['IST0109', 'VirtualService team-c/quotes'],
      ['IST0109', 'VirtualService team-d/quotes'],
    ],
  },
  {
    files: ['virtualservice-mesh-hosts-exportto.yaml'],
    analyzer: MESH_HOSTS,
    expected: [
      ['IST0109', 'VirtualService alpha/catalog'],
      ['IST0109', 'VirtualService beta/catalog'],
      ['IST0109', 'VirtualService alpha/catalog-c'],
      ['IST0109', 'VirtualService beta/catalog-c'],
      ['IST0109', 'VirtualService alpha/catalog-d'],
      ['IST0109', 'VirtualService beta/catalog-d'],
      ['IST0109', 'VirtualService alpha/exact'],
      ['IST0109', 'VirtualService beta/wild'],
    ],
  },
  {
    files: ['destinationrule-subsets.yaml'],
    analyzer: SUBSETS,
    expected: [
      ['IST0173', 'DestinationRule shop/cart'],
      ['IST0173', 'DestinationRule shop/legacy'],
      ['IST0174', 'DestinationRule shop/ghost'],
      ['IST0174', 'DestinationRule shop/private'],
    ],
  },
  {
    files: ['destinationrule-topology.yaml'],
    analyzer: SUBSETS,
    expected: [
      ['IST0173', 'DestinationRule zones/web'],
      ['IST0173', 'DestinationRule zones/web'],
      ['IST0173', 'DestinationRule zones/web'],
      ['IST0173', 'DestinationRule zones/web'],
    ],
  },
  // Bookinfo: the application and its gateway are clean.
  ...bookinfoRows(BOOKINFO_APP, {}),
  // Adding every subset: two ratings subsets select nothing.
  ...bookinfoRows(BOOKINFO_SUBSETS, { [SUBSETS]: RATINGS_WITHOUT_PODS }),
  // Each routing sample names only subsets that exist and hosts that resolve.
  ...BOOKINFO_ROUTING.flatMap((sample) => bookinfoRows([...BOOKINFO_SUBSETS, sample], {
    [SUBSETS]: RATINGS_WITHOUT_PODS,
    // productpage is split into subset v1 while the gateway's route names no subset.
    ...(sample.endsWith('virtual-service-all-v1.yaml') ? { [DESTINATION_HOST]: [['IST0140', 'VirtualService default/bookinfo']] as [string, string][] } : {}),
  })),
];
