/**
 * gateway.CertificateAnalyzer: two Gateways on the same workloads that serve the same certificate
 * (IST0138), which lets HTTP/2 clients reuse a connection for the other Gateway's hosts and get
 * 404s. Facts per Istio 1.30.3 analyzers/gateway/certificate.go:
 * - Gateway B is compared with Gateway A when A's selector is empty or every label of A's
 *   selector is in B's with the same value; Gateways of all namespaces are compared
 *   (PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off by default);
 * - two servers' `tls` share a certificate when both name the same `credentialName`, or when
 *   neither names one and both give the same non-empty `serverCertificate` and `privateKey`;
 * - the finding is on A, naming A and B as `namespace/name`, once per pair of Gateways (upstream
 *   points every such message at A's name, so repeats collapse); meshctl points at the first of A's
 *   servers that shares the certificate.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, stringMap, type Resource } from '../resource.js';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Returns the identity of the certificate a server's `tls` serves, as Istio compares them: its
 * `credentialName`, else its `serverCertificate` and `privateKey` when both are given, else
 * undefined (such a server shares its certificate with none). Two servers share a certificate
 * exactly when their identities are equal.
 */
export function certificateIdentity(tls: unknown): string | undefined {
  const t = asMap(tls);
  if (nonEmpty(t.credentialName)) return `credentialName\u0000${t.credentialName}`;
  if (nonEmpty(t.serverCertificate) && nonEmpty(t.privateKey)) return `files\u0000${t.serverCertificate}\u0000${t.privateKey}`;
  return undefined;
}

/** Returns true when every label of `sub` is in `sup` with the same value. */
function isSubset(sub: Readonly<Record<string, string>>, sup: Readonly<Record<string, string>>): boolean {
  for (const k in sub) if (sup[k] !== sub[k]) return false;
  return true;
}

const qualified = (r: Resource): string => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

export const gatewayCertificateAnalyzer: Analyzer = {
  name: 'gateway.CertificateAnalyzer',
  description: 'Flags Gateways on the same workloads that serve the same TLS certificate',
  inputs: [K.Gateway],
  messages: [MESSAGES.GatewayDuplicateCertificate],
  analyze(ctx) {
    const gateways = ctx.list(K.Gateway);
    if (gateways.length < 2) return;
    // Certificate identities of each Gateway's servers, and the Gateways serving each identity,
    // so that only Gateways sharing a certificate are compared.
    const identities = new Map<Resource, (string | undefined)[]>();
    const servedBy = new Map<string, Set<Resource>>();
    for (const g of gateways) {
      const ids = asList(field(g.object.spec, 'servers')).map((s) => certificateIdentity(field(s, 'tls')));
      identities.set(g, ids);
      for (const id of ids) {
        if (id === undefined) continue;
        let set = servedBy.get(id);
        if (!set) servedBy.set(id, (set = new Set()));
        set.add(g);
      }
    }
    for (const current of gateways) {
      const selector = stringMap(field(current.object.spec, 'selector'));
      const ids = identities.get(current)!;
      const firstShared = new Map<Resource, number>();
      ids.forEach((id, i) => {
        if (id === undefined) return;
        for (const other of servedBy.get(id)!) if (!firstShared.has(other)) firstShared.set(other, i);
      });
      for (const [other, i] of firstShared) {
        if (other === current || (other.namespace === current.namespace && other.name === current.name)) continue;
        if (!isSubset(selector, stringMap(field(other.object.spec, 'selector')))) continue;
        const key = ids[i]!.startsWith('credentialName') ? 'credentialName' : 'serverCertificate';
        ctx.report(MESSAGES.GatewayDuplicateCertificate, { resource: current, path: ['spec', 'servers', i, 'tls', key] },
          [qualified(current), qualified(other)]);
      }
    }
  },
};
