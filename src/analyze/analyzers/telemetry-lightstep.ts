/**
 * telemetry.LightstepAnalyzer: tracing through a Lightstep extension provider is deprecated
 * (IST0002). Facts per Istio 1.30.3 pkg/config/analysis/analyzers/telemetry/lightstep.go: the
 * providers are the mesh config's `extensionProviders` of the `lightstep` kind; every Telemetry
 * tracing entry naming one of them gets the finding, pointing at that provider's name.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap } from '../resource.js';

/**
 * Returns the names of the mesh config's extension providers of one kind (`lightstep`,
 * `envoyFileAccessLog`, ...), the key beside `name` that holds the provider's settings.
 */
export function extensionProviderNames(meshConfig: Readonly<Record<string, unknown>>, kind: string): Set<string> {
  const names = new Set<string>();
  for (const raw of asList(meshConfig.extensionProviders)) {
    const p = asMap(raw);
    if (typeof p.name === 'string' && p[kind] !== undefined && p[kind] !== null) names.add(p.name);
  }
  return names;
}

export const telemetryLightstepAnalyzer: Analyzer = {
  name: 'telemetry.LightstepAnalyzer',
  description: 'Flags Telemetry tracing that still uses a deprecated Lightstep provider',
  inputs: [K.Telemetry],
  messages: [MESSAGES.Deprecated],
  analyze(ctx) {
    const lightstep = extensionProviderNames(ctx.meshConfig, 'lightstep');
    if (lightstep.size === 0) return;
    for (const t of ctx.list(K.Telemetry)) {
      asList(asMap(t.object.spec).tracing).forEach((tracing, i) => {
        asList(asMap(tracing).providers).forEach((p, j) => {
          const name = asMap(p).name;
          if (typeof name !== 'string' || !lightstep.has(name)) return;
          ctx.report(MESSAGES.Deprecated, { resource: t, path: ['spec', 'tracing', i, 'providers', j, 'name'] },
            `The Lightstep provider ${name} is deprecated, please migrate to OpenTelemetry provider.`);
        });
      });
    }
  },
};
