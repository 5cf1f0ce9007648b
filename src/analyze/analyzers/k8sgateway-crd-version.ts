/**
 * k8sgateway.CRDVersionAnalyzer: istiod ignores Gateway API CRDs older than it needs, so their
 * resources are silently not processed (IST0176). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/k8sgateway/crdversion.go and
 * pkg/config/schema/gatewayapi/minimumversions.go:
 * - the version is the CRD's `gateway.networking.k8s.io/bundle-version` annotation; CRDs without
 *   it, or with a value that is not a (loose) semantic version, are left alone;
 * - a pre-release suffix is ignored (`v1.5.0-rc.1` counts as 1.5.0);
 * - the message prints the installed version without a leading `v`, pre-release kept.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { annotationsOf } from '../resource.js';

/** The annotation Gateway API's release bundle stamps on each CRD. */
const BUNDLE_VERSION = 'gateway.networking.k8s.io/bundle-version';

/** Lowest bundle version per CRD name that Istio 1.30.3 processes, `[major, minor, patch]`. */
export const MINIMUM_GATEWAY_API_CRD_VERSIONS: ReadonlyMap<string, readonly [number, number, number]> = new Map([
  ['grpcroutes.gateway.networking.k8s.io', [1, 1, 0]],
  ['backendtlspolicies.gateway.networking.k8s.io', [1, 4, 0]],
  ['tlsroutes.gateway.networking.k8s.io', [1, 5, 0]],
]);

/** A parsed version: numbers, pre-release and build metadata. */
interface LooseVersion {
  parts: [number, number, number];
  prerelease: string;
  metadata: string;
}

/**
 * Returns the version in `text` as Masterminds semver's lenient NewVersion reads it (optional `v`,
 * minor and patch default to 0, optional `-pre` and `+meta`), or undefined when it is none.
 */
export function parseLooseVersion(text: string): LooseVersion | undefined {
  const ident = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
  const m = new RegExp(`^v?([0-9]+)(?:\\.([0-9]+))?(?:\\.([0-9]+))?(?:-(${ident}))?(?:\\+(${ident}))?$`).exec(text);
  if (!m) return undefined;
  const prerelease = m[4] ?? '';
  // Numeric pre-release identifiers may not have leading zeros.
  if (prerelease.split('.').some((p) => /^0[0-9]+$/.test(p))) return undefined;
  const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  const parts: [number, number, number] = [num(m[1]), num(m[2]), num(m[3])];
  if (parts.some((n) => !Number.isSafeInteger(n))) return undefined;
  return { parts, prerelease, metadata: m[5] ?? '' };
}

/** Returns a version as Masterminds semver's String() prints it: `1.4.1`, `1.5.0-rc.1+build`. */
function versionText(v: LooseVersion): string {
  return `${v.parts.join('.')}${v.prerelease ? `-${v.prerelease}` : ''}${v.metadata ? `+${v.metadata}` : ''}`;
}

/** Returns true when version `a` is below `b` (numbers only). */
function below(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

export const gatewayApiCrdVersionAnalyzer: Analyzer = {
  name: 'k8sgateway.CRDVersionAnalyzer',
  description: 'Checks that Gateway API CRDs are at least at the bundle version this Istio release needs',
  inputs: [K.CustomResourceDefinition],
  messages: [MESSAGES.GatewayAPICRDVersionBelowMinimum],
  analyze(ctx) {
    for (const crd of ctx.list(K.CustomResourceDefinition)) {
      const minimum = MINIMUM_GATEWAY_API_CRD_VERSIONS.get(crd.name);
      if (!minimum) continue;
      const given = annotationsOf(crd)[BUNDLE_VERSION];
      if (given === undefined) continue;
      const installed = parseLooseVersion(given);
      if (!installed || !below(installed.parts, minimum)) continue;
      ctx.report(MESSAGES.GatewayAPICRDVersionBelowMinimum, { resource: crd, path: ['metadata', 'annotations', BUNDLE_VERSION] },
        crd.name, versionText(installed), minimum.join('.'));
    }
  },
};
