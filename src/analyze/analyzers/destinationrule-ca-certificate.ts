/**
 * destinationrule.CaCertificateAnalyzer: TLS origination (`mode: SIMPLE` or `MUTUAL`) without
 * `caCertificates` leaves the server's identity unverified: IST0128 for the DestinationRule's
 * `trafficPolicy.tls`, IST0129 for each `trafficPolicy.portLevelSettings[]` entry. Facts per Istio
 * 1.30.3 analyzers/destinationrule/ca-certificates.go: a `credentialName` stands in for
 * `caCertificates` only when the DestinationRule has a `workloadSelector` (then the gateway reads
 * the CA from the credential); subsets' traffic policies are not checked; the port is printed as
 * its protobuf text (`number:443`), the DestinationRule as `namespace/name`.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, type JsonMap } from '../resource.js';

/** TLS modes that originate TLS and so need a CA to verify the server. */
const VERIFYING_MODES: ReadonlySet<unknown> = new Set(['SIMPLE', 'MUTUAL']);

/**
 * Returns the TLS mode of `tls` when it originates TLS without a way to verify the server (no
 * `caCertificates`, and no `credentialName` or no workload selector), else undefined.
 */
export function unverifiedMode(tls: unknown, hasWorkloadSelector: boolean): string | undefined {
  const t = asMap(tls);
  if (!VERIFYING_MODES.has(t.mode)) return undefined;
  if (typeof t.caCertificates === 'string' && t.caCertificates !== '') return undefined;
  if (hasWorkloadSelector && typeof t.credentialName === 'string' && t.credentialName !== '') return undefined;
  return String(t.mode);
}

/** Returns a PortSelector as protobuf's text form prints it (`number:443`), `''` when unset. */
function portText(port: unknown): string {
  const p = asMap(port);
  return typeof p.number === 'number' && p.number !== 0 ? `number:${p.number}` : '';
}

export const caCertificateAnalyzer: Analyzer = {
  name: 'destinationrule.CaCertificateAnalyzer',
  description: 'Flags DestinationRules that originate TLS without CA certificates to verify the server',
  inputs: [K.DestinationRule],
  messages: [MESSAGES.NoServerCertificateVerificationDestinationLevel, MESSAGES.NoServerCertificateVerificationPortLevel],
  analyze(ctx) {
    for (const dr of ctx.list(K.DestinationRule)) {
      const spec: JsonMap = asMap(dr.object.spec);
      const selector = spec.workloadSelector;
      const hasWorkloadSelector = selector !== null && typeof selector === 'object';
      const host = typeof spec.host === 'string' ? spec.host : '';
      const policy = field(spec, 'trafficPolicy');
      const fullName = dr.namespace ? `${dr.namespace}/${dr.name}` : dr.name;
      const mode = unverifiedMode(field(policy, 'tls'), hasWorkloadSelector);
      if (mode) {
        ctx.report(MESSAGES.NoServerCertificateVerificationDestinationLevel,
          { resource: dr, path: ['spec', 'trafficPolicy', 'tls', 'caCertificates'] }, fullName, dr.namespace, mode, host);
      }
      asList(field(policy, 'portLevelSettings')).forEach((setting, i) => {
        const portMode = unverifiedMode(field(setting, 'tls'), hasWorkloadSelector);
        if (!portMode) return;
        ctx.report(MESSAGES.NoServerCertificateVerificationPortLevel,
          { resource: dr, path: ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'caCertificates'] },
          fullName, dr.namespace, portMode, host, portText(field(setting, 'port')));
      });
    }
  },
};
