/**
 * schema.ValidationAnalyzer.<Kind>: one analyzer per Istio kind, reporting every schema violation
 * of its resources as IST0106 (Istio 1.30.3 names and code; analyzers/schema/validation.go). The
 * schemas are the 15 Istio 1.30.3 CRDs' (src/schema), strict about unknown fields; each violation
 * points at its node (an unknown field at its key).
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { schemaProblems } from '../../schema/validate-object.js';

/** The Istio kinds (by analysis kind key) whose resources are checked against their CRD schema. */
const ISTIO_KINDS = [
  K.AuthorizationPolicy, K.DestinationRule, K.EnvoyFilter, K.Gateway, K.PeerAuthentication, K.ProxyConfig,
  K.RequestAuthentication, K.ServiceEntry, K.Sidecar, K.Telemetry, K.TrafficExtension, K.VirtualService,
  K.WasmPlugin, K.WorkloadEntry, K.WorkloadGroup,
] as const;

function schemaAnalyzer(kindKey: string): Analyzer {
  const kind = kindKey.slice(0, kindKey.indexOf('.'));
  return {
    name: `schema.ValidationAnalyzer.${kind}`,
    description: `Checks ${kind} resources against the Istio 1.30.3 CRD schema (unknown fields, types, enums, required fields)`,
    inputs: [kindKey],
    messages: [MESSAGES.SchemaValidationError],
    analyze(ctx) {
      for (const r of ctx.list(kindKey)) {
        // undefined: a version this release does not serve; validate reports it, analysis skips it as istioctl does.
        for (const p of schemaProblems(r.object) ?? []) {
          ctx.report(MESSAGES.SchemaValidationError, { resource: r, path: p.path, key: p.atKey }, p.message);
        }
      }
    },
  };
}

/** One schema analyzer per Istio kind. */
export const schemaAnalyzers: readonly Analyzer[] = ISTIO_KINDS.map(schemaAnalyzer);
