/**
 * serviceentry.Analyzer: a ServiceEntry with a port whose protocol is TCP or unset, and no
 * `addresses`, gives the proxy nothing to tell its traffic apart by (IST0134). Facts per Istio
 * 1.30.3 analyzers/serviceentry/protocoladdresses.go:
 * - `addresses` counts as given when present, even empty; addresses Istio allocated
 *   (`status.addresses`) count too;
 * - nothing is reported when the mesh config's `defaultConfig.proxyMetadata` has
 *   `ISTIO_META_DNS_CAPTURE: "true"` and `ISTIO_META_DNS_AUTO_ALLOCATE: "true"` or
 *   `PILOT_ENABLE_IP_AUTOALLOCATE: "true"` (the proxy's DNS proxy allocates addresses);
 * - the protocol compares case-insensitively; one finding per such port, at its `name`. Upstream
 *   finds no line for a port without a `name` key, so all such ports of a ServiceEntry give one
 *   message; meshctl reports them once, at `ports`.
 */
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt } from '../resource.js';

/**
 * Returns true when the mesh config lets the proxy's DNS capture allocate addresses for
 * ServiceEntries (`ISTIO_META_DNS_CAPTURE` with `ISTIO_META_DNS_AUTO_ALLOCATE` or
 * `PILOT_ENABLE_IP_AUTOALLOCATE`, each `"true"`, in `defaultConfig.proxyMetadata`).
 */
export function dnsAutoAllocates(ctx: AnalysisContext): boolean {
  const metadata = asMap(field(ctx.meshConfig.defaultConfig, 'proxyMetadata'));
  if (metadata.ISTIO_META_DNS_CAPTURE !== 'true') return false;
  return metadata.ISTIO_META_DNS_AUTO_ALLOCATE === 'true' || metadata.PILOT_ENABLE_IP_AUTOALLOCATE === 'true';
}

export const serviceEntryAddressesAnalyzer: Analyzer = {
  name: 'serviceentry.Analyzer',
  description: 'Flags ServiceEntries with TCP ports but no addresses, given or allocated',
  inputs: [K.ServiceEntry],
  messages: [MESSAGES.ServiceEntryAddressesRequired],
  analyze(ctx) {
    if (dnsAutoAllocates(ctx)) return;
    for (const se of ctx.list(K.ServiceEntry)) {
      const addresses = field(se.object.spec, 'addresses');
      if (addresses !== undefined && addresses !== null) continue;
      if (asList(getAt(se.object, ['status', 'addresses'])).length > 0) continue;
      let unnamedReported = false;
      asList(field(se.object.spec, 'ports')).forEach((port, i) => {
        const protocol = field(port, 'protocol');
        const p = typeof protocol === 'string' ? protocol : '';
        if (p !== '' && p.toUpperCase() !== 'TCP') return;
        if (!Object.hasOwn(asMap(port), 'name')) {
          if (unnamedReported) return;
          unnamedReported = true;
          ctx.report(MESSAGES.ServiceEntryAddressesRequired, { resource: se, path: ['spec', 'ports'] });
        } else {
          ctx.report(MESSAGES.ServiceEntryAddressesRequired, { resource: se, path: ['spec', 'ports', i, 'name'] });
        }
      });
    }
  },
};
