/** Grid rows for the Service port-name and workload-label analyzers. */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['port-names.yaml'],
    analyzer: 'service.PortNameAnalyzer',
    expected: [
      ['IST0118', 'Service shop/unnamed'],
      ['IST0118', 'Service shop/unnamed'],
      ['IST0118', 'Service shop/no-prefix'],
      ['IST0118', 'Service shop/bad-app-protocol'],
      ['IST0118', 'Service default/no-namespace'],
    ],
  },
  {
    files: ['external-name.yaml'],
    analyzer: 'service.PortNameAnalyzer',
    expected: [
      ['IST0150', 'Service ext/bare-tcp'],
      ['IST0150', 'Service ext/no-prefix'],
    ],
  },
  {
    files: ['workload-labels.yaml'],
    analyzer: 'workload.AppVersionLabelAnalyzer',
    expected: [
      ['MSH0001', 'Deployment shop/no-version'],
      ['MSH0001', 'StatefulSet shop/no-labels'],
      ['MSH0001', 'StatefulSet shop/no-labels'],
      ['MSH0001', 'CronJob shop/no-app'],
      ['MSH0001', 'Pod shop/bare-pod'],
      ['MSH0002', 'Deployment shop/cart-a'],
      ['MSH0002', 'Deployment shop/cart-b'],
    ],
  },
];
