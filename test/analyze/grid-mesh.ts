/**
 * Grid rows for annotations.AlphaAnalyzer, conditions.ConditionAnalyzer,
 * deprecation.DeprecationAnalyzer, webhook.Analyzer and meshnetworks.MeshNetworksAnalyzer.
 */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['annotations-alpha.yaml'],
    analyzer: 'annotations.AlphaAnalyzer',
    expected: [
      ['IST0136', 'Service shop/cart'],
      ['IST0136', 'Deployment shop/checkout'],
      ['IST0136', 'Pod shop/legacy'],
      ['IST0136', 'Pod shop/cni'],
    ],
  },
];
