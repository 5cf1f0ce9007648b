/**
 * schema.ValidationAnalyzer.<Kind>: one analyzer per Istio kind, reporting every schema violation
 * of its resources as IST0106 (Istio 1.30.3 names and code; analyzers/schema/validation.go). The
 * schemas are the 15 Istio 1.30.3 CRDs' (src/schema), strict about unknown fields; each violation
 * points at its node (an unknown field at its key). schema.ValidationAnalyzer.VirtualService also
 * reports the unused rules and matches Istio's VirtualService validation warns about (IST0130,
 * IST0131; see virtualservice-unreachable-rules.ts).
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { schemaProblems } from '../../schema/validate-object.js';
import { unreachableRuleFindings } from './virtualservice-unreachable-rules.js';

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
    messages: kindKey === K.VirtualService
      ? [MESSAGES.SchemaValidationError, MESSAGES.VirtualServiceUnreachableRule, MESSAGES.VirtualServiceIneffectiveMatch]
      : [MESSAGES.SchemaValidationError],
    analyze(ctx) {
      for (const r of ctx.list(kindKey)) {
        // undefined: a version this release does not serve; validate reports it, analysis skips it as istioctl does.
        const problems = schemaProblems(r.object);
        for (const p of problems ?? []) {
          ctx.report(MESSAGES.SchemaValidationError, { resource: r, path: p.path, key: p.atKey }, p.message);
        }
        // Istio's VirtualService validation also warns about rules that can never be used.
        if (kindKey !== K.VirtualService || problems === undefined) continue;
        for (const f of unreachableRuleFindings(r.object.spec)) {
          const type = f.kind === 'unreachable' ? MESSAGES.VirtualServiceUnreachableRule : MESSAGES.VirtualServiceIneffectiveMatch;
          ctx.report(type, { resource: r, path: f.path }, ...f.args);
        }
      }
    },
  };
}

/** One schema analyzer per Istio kind. */
export const schemaAnalyzers: readonly Analyzer[] = ISTIO_KINDS.map(schemaAnalyzer);
