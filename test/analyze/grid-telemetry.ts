/** Grid rows for the Telemetry analyzers. */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['telemetry.yaml'],
    analyzer: 'telemetry.DefaultSelectorAnalyzer',
    expected: [
      ['IST0160', 'Telemetry obs/obs-metrics'],
      ['IST0160', 'Telemetry obs/obs-logging'],
    ],
  },
  {
    files: ['telemetry.yaml'],
    analyzer: 'telemetry.SelectorAnalyzer',
    expected: [
      ['IST0101', 'Telemetry obs/details-metrics'],
      ['IST0159', 'Telemetry obs/reviews-tracing'],
      ['IST0159', 'Telemetry obs/reviews-v1-tracing'],
    ],
  },
  {
    files: ['telemetry.yaml'],
    analyzer: 'telemetry.ProviderAnalyzer',
    expected: [['IST0157', 'Telemetry obs/obs-logging']],
  },
  {
    files: ['telemetry.yaml'],
    meshConfigFile: 'mesh-config/default-access-log.yaml',
    analyzer: 'telemetry.ProviderAnalyzer',
    expected: [],
  },
  {
    files: ['telemetry.yaml'],
    meshConfigFile: 'mesh-config/lightstep.yaml',
    analyzer: 'telemetry.LightstepAnalyzer',
    expected: [
      ['IST0002', 'Telemetry obs/reviews-v1-tracing'],
      ['IST0002', 'Telemetry istio-system/mesh-default'],
    ],
  },
  {
    files: ['telemetry.yaml'],
    analyzer: 'telemetry.LightstepAnalyzer',
    expected: [],
  },
];
