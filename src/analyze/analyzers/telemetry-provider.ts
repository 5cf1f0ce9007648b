/**
 * telemetry.ProviderAnalyzer: an access logging entry without providers relies on the mesh's
 * default access log providers; when the mesh config names none, the entry is ignored (IST0157).
 * Facts per Istio 1.30.3 pkg/config/analysis/analyzers/telemetry/providers.go: checked only while
 * `defaultProviders.accessLogging` of the mesh config is empty; entries with `disabled: true` are
 * fine; one finding per offending entry, pointing at it.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field } from '../resource.js';

export const telemetryProviderAnalyzer: Analyzer = {
  name: 'telemetry.ProviderAnalyzer',
  description: 'Flags Telemetry access logging without providers when the mesh config sets no default access log provider',
  inputs: [K.Telemetry],
  messages: [MESSAGES.InvalidTelemetryProvider],
  analyze(ctx) {
    if (asList(field(ctx.meshConfig.defaultProviders, 'accessLogging')).length > 0) return;
    for (const t of ctx.list(K.Telemetry)) {
      asList(asMap(t.object.spec).accessLogging).forEach((raw, i) => {
        const entry = asMap(raw);
        if (entry.disabled === true) return;
        if (asList(entry.providers).length > 0) return;
        ctx.report(MESSAGES.InvalidTelemetryProvider, { resource: t, path: ['spec', 'accessLogging', i] }, t.name, t.namespace);
      });
    }
  },
};
