/**
 * Grid rows for the revision analyzers (meshctl's own MSH0004 and MSH0005): namespaces selecting a
 * revision or tag that does not exist, and pods on a revision other than their namespace's. The
 * control plane (two revisions and a tag) is its own file, so that rows without it show the
 * analyzers stay silent when the analysis holds no injector webhook.
 */
import type { GridCase } from './harness.js';

const CONTROL_PLANE = 'injection-revisions-control-plane.yaml';
const WORKLOADS = 'injection-revisions.yaml';
const DEFAULT_TAG = 'injection-revisions-default-tag.yaml';
const DEFAULT_REVISION = 'injection-revisions-default.yaml';
const BOOKINFO = 'bookinfo/bookinfo.yaml';

export const GRID: GridCase[] = [
  {
    files: [CONTROL_PLANE, WORKLOADS],
    analyzer: 'injection.NamespaceRevisionAnalyzer',
    expected: [
      ['MSH0004', 'Namespace on-gone'],
      ['MSH0004', 'Namespace legacy-enabled'],
    ],
  },
  // The default tag takes over istio-injection=enabled; the tag prod resolves to canary.
  { files: [CONTROL_PLANE, WORKLOADS, DEFAULT_TAG], analyzer: 'injection.NamespaceRevisionAnalyzer', expected: [['MSH0004', 'Namespace on-gone']] },
  // Without an injector webhook in the analysis nothing is known about revisions: silent.
  { files: [WORKLOADS], analyzer: 'injection.NamespaceRevisionAnalyzer', expected: [] },
  // istio-injection=enabled and istio.io/rev=default select the default revision.
  { files: [DEFAULT_REVISION], analyzer: 'injection.NamespaceRevisionAnalyzer', expected: [] },
  {
    files: [CONTROL_PLANE, WORKLOADS],
    analyzer: 'injection.PodRevisionAnalyzer',
    expected: [
      ['MSH0005', 'Pod on-prod/reviews-v1-7d9f6c8b4-x2x7k'],
      ['MSH0005', 'Pod on-stable/db-0'],
      ['MSH0005', 'Pod on-stable/bare'],
    ],
  },
  {
    files: [CONTROL_PLANE, WORKLOADS, DEFAULT_TAG],
    analyzer: 'injection.PodRevisionAnalyzer',
    expected: [
      ['MSH0005', 'Pod on-prod/reviews-v1-7d9f6c8b4-x2x7k'],
      ['MSH0005', 'Pod on-stable/db-0'],
      ['MSH0005', 'Pod on-stable/bare'],
      ['MSH0005', 'Pod legacy-enabled/web-old'],
    ],
  },
  { files: [WORKLOADS], analyzer: 'injection.PodRevisionAnalyzer', expected: [] },
  { files: [DEFAULT_REVISION], analyzer: 'injection.PodRevisionAnalyzer', expected: [['MSH0005', 'Pod classic/leftover']] },
  // Bookinfo as shipped (no control plane, no pods) is clean for both.
  { files: [BOOKINFO], analyzer: 'injection.NamespaceRevisionAnalyzer', expected: [] },
  { files: [BOOKINFO], analyzer: 'injection.PodRevisionAnalyzer', expected: [] },
];
