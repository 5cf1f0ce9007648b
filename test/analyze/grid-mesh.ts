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
  {
    files: ['conditions.yaml'],
    analyzer: 'conditions.ConditionAnalyzer',
    expected: [
      ['IST0171', 'Service shop/ledger'],
      ['IST0171', 'AuthorizationPolicy shop/partial'],
      ['IST0171', 'AuthorizationPolicy shop/refused'],
      ['IST0171', 'HTTPRoute shop/ledger-route'],
    ],
  },
  {
    files: ['deprecation.yaml'],
    analyzer: 'deprecation.DeprecationAnalyzer',
    expected: [
      ['IST0002', 'VirtualService shop/slow-catalog'],
      ['IST0002', 'Sidecar shop/egress-via-proxy'],
      ['IST0002', 'CustomResourceDefinition serviceroles.rbac.istio.io'],
    ],
  },
  {
    files: ['webhooks.yaml'],
    analyzer: 'webhook.Analyzer',
    expected: [
      ['IST0139', 'MutatingWebhookConfiguration legacy'],
      ['IST0139', 'MutatingWebhookConfiguration legacy'],
      ['IST0139', 'MutatingWebhookConfiguration default'],
    ],
  },
  {
    files: ['meshnetworks-remote.yaml'],
    meshNetworksFile: 'mesh-networks.yaml',
    analyzer: 'meshnetworks.MeshNetworksAnalyzer',
    expected: [
      ['IST0126', 'MeshNetworks istio-system/meshnetworks'],
      ['IST0126', 'MeshNetworks istio-system/meshnetworks'],
    ],
  },
  {
    // Without mesh networks there is nothing to check.
    files: ['meshnetworks-remote.yaml'],
    analyzer: 'meshnetworks.MeshNetworksAnalyzer',
    expected: [],
  },
];
