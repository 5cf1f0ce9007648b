/** Grid rows for the Gateway and Sidecar analyzers. */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['gateway-ingress-ports.yaml'],
    analyzer: 'gateway.IngressGatewayPortAnalyzer',
    expected: [
      ['IST0101', 'Gateway default/no-workload'],
      ['IST0162', 'Gateway default/bad-port'],
      ['IST0162', 'Gateway edge/edge-udp'],
      ['IST0162', 'Gateway edge/edge-cross'],
      ['IST0162', 'Gateway private/private-gw'],
    ],
  },
  {
    files: ['bookinfo/bookinfo.yaml', 'bookinfo/bookinfo-gateway.yaml'],
    analyzer: 'gateway.IngressGatewayPortAnalyzer',
    expected: [],
  },
  {
    files: ['gateway-conflicts.yaml'],
    analyzer: 'gateway.ConflictingGatewayAnalyzer',
    expected: [
      ['IST0145', 'Gateway default/alpha'],
      ['IST0145', 'Gateway default/beta'],
      ['IST0145', 'Gateway team-a/team-a'],
      ['IST0145', 'Gateway team-b/team-b'],
      ['IST0145', 'Gateway default/no-port-b'],
      ['IST0145', 'Gateway default/no-port-c'],
      ['IST0145', 'Gateway default/two-servers'],
      ['IST0101', 'Gateway default/no-servers'],
    ],
  },
  {
    files: ['gateway-conflicts-subselector.yaml'],
    analyzer: 'gateway.ConflictingGatewayAnalyzer',
    expected: [
      ['IST0145', 'Gateway edge/sub-a'],
      ['IST0145', 'Gateway edge/sub-b'],
    ],
  },
  {
    files: ['sidecar-selector.yaml'],
    analyzer: 'sidecar.SelectorAnalyzer',
    expected: [
      ['IST0101', 'Sidecar shop/missing'],
      ['IST0101', 'Sidecar other/cross-namespace'],
      ['IST0110', 'Sidecar shop/dupe-1'],
      ['IST0110', 'Sidecar shop/dupe-2'],
      ['IST0110', 'Sidecar shop/overlap-1'],
      ['IST0110', 'Sidecar shop/overlap-2'],
      ['IST0167', 'Sidecar shop/ambient-1'],
      ['IST0167', 'Sidecar shop/ambient-2'],
    ],
  },
  {
    files: ['sidecar-default-selector.yaml'],
    analyzer: 'sidecar.SelectorAnalyzer',
    expected: [
      ['IST0111', 'Sidecar double/first'],
      ['IST0111', 'Sidecar double/second'],
      ['IST0111', 'Sidecar injected/first'],
      ['IST0111', 'Sidecar injected/second'],
      ['IST0111', 'Sidecar revisioned/first'],
      ['IST0111', 'Sidecar revisioned/second'],
      ['IST0167', 'Sidecar mesh-ambient/first'],
      ['IST0167', 'Sidecar mesh-ambient/second'],
    ],
  },
];
