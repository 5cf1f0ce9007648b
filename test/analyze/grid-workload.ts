/** Grid rows for the workload, injection, annotation and application-UID analyzers. */
import type { GridCase } from './harness.js';

const BOOKINFO = 'bookinfo/bookinfo.yaml';

export const GRID: GridCase[] = [
  {
    files: ['deployment-multi-service.yaml'],
    analyzer: 'deployment.MultiServiceAnalyzer',
    expected: [
      ['IST0116', 'Deployment store/resolver'],
      ['IST0137', 'Deployment store/cart'],
    ],
  },
  {
    files: ['deployment-in-mesh.yaml'],
    analyzer: 'deployment.MultiServiceAnalyzer',
    expected: [
      ['IST0116', 'Deployment lab/injected'],
      ['IST0116', 'Deployment lab-disabled/label-true'],
      ['IST0116', 'Deployment lab/annotation-true'],
    ],
  },
  {
    files: ['injection-namespaces.yaml'],
    analyzer: 'injection.Analyzer',
    expected: [
      ['IST0102', 'Namespace unlabelled'],
      ['IST0102', 'Namespace empty-label'],
      ['IST0103', 'Pod orders/missing-proxy'],
      ['IST0103', 'Pod orders/proxy-without-image'],
      ['IST0103', 'Pod orders/label-over-annotation'],
      ['IST0103', 'Pod both-labels/missing-proxy'],
      ['IST0123', 'Namespace both-labels'],
      ['IST0123', 'Namespace sidecar-and-ambient'],
      ['IST0123', 'Namespace rev-and-ambient'],
    ],
  },
  {
    files: ['injection-namespaces.yaml', 'injection-enabled-by-default.yaml'],
    analyzer: 'injection.Analyzer',
    expected: [
      ['IST0148', 'Namespace unlabelled'],
      ['IST0148', 'Namespace empty-label'],
      ['IST0103', 'Pod orders/missing-proxy'],
      ['IST0103', 'Pod orders/proxy-without-image'],
      ['IST0103', 'Pod orders/label-over-annotation'],
      ['IST0103', 'Pod both-labels/missing-proxy'],
      ['IST0123', 'Namespace both-labels'],
      ['IST0123', 'Namespace sidecar-and-ambient'],
      ['IST0123', 'Namespace rev-and-ambient'],
    ],
  },
  {
    files: ['annotations-k8s.yaml'],
    analyzer: 'annotations.K8sAnalyzer',
    expected: [
      ['IST0108', 'Service media/web'],
      ['IST0107', 'Service media/api'],
      ['IST0135', 'Service media/api'],
      ['IST0125', 'Pod media/bad-values'],
      ['IST0125', 'Pod media/bad-values'],
      ['IST0125', 'Pod media/bad-values'],
      ['IST0107', 'Pod media/misplaced'],
      ['IST0108', 'Pod media/misplaced'],
      ['IST0107', 'Deployment media/player'],
      ['IST0107', 'Deployment media/player'],
      ['IST0135', 'Deployment media/player'],
      ['IST0135', 'Deployment media/player'],
      ['IST0125', 'Deployment media/player'],
      ['IST0108', 'StatefulSet media/store'],
      ['IST0107', 'Namespace media'],
    ],
  },
  {
    files: ['uid-application.yaml'],
    analyzer: 'applicationUID.Analyzer',
    expected: [
      ['IST0144', 'Pod apps/pod-level'],
      ['IST0144', 'Pod apps/container-level'],
      ['IST0144', 'Deployment apps/pod-level'],
      ['IST0144', 'Deployment apps/both-levels'],
      ['IST0144', 'CronJob apps/nightly'],
    ],
  },
  // Bookinfo as shipped is clean for all four.
  { files: [BOOKINFO], analyzer: 'deployment.MultiServiceAnalyzer', expected: [] },
  { files: [BOOKINFO], analyzer: 'injection.Analyzer', expected: [] },
  { files: [BOOKINFO], analyzer: 'annotations.K8sAnalyzer', expected: [] },
  { files: [BOOKINFO], analyzer: 'applicationUID.Analyzer', expected: [] },
];
