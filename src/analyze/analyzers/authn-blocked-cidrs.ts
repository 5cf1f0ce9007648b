/**
 * authn.BlockedCIDRsAnalyzer: when RequestAuthentications exist, each istiod Deployment (label
 * `app: istiod`) should restrict where it fetches JWKS URIs from with a non-empty
 * `BLOCKED_CIDRS_IN_JWKS_URIS` environment value on one of its containers (IST0175, naming up to
 * five RequestAuthentications as `namespace/name`, then how many more). Facts per Istio 1.30.3
 * analyzers/authn/blockedcidrs.go: only `value` counts (not `valueFrom`), init containers are not
 * searched, and the Deployment's own labels (not its pod template's) identify istiod.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, getAt, labelsOf, type ObjectPath, type Resource } from '../resource.js';

/** The istiod environment variable that lists CIDRs JWKS URIs may not resolve into. */
export const BLOCKED_CIDRS_ENV = 'BLOCKED_CIDRS_IN_JWKS_URIS';

/** How many RequestAuthentication names IST0175 lists before summarising the rest. */
const NAMES_SHOWN = 5;

/**
 * Returns the names list IST0175 prints: all names joined by `, ` when five or fewer, else the
 * first five and `, and N more`.
 */
export function summarizeNames(names: readonly string[]): string {
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, NAMES_SHOWN).join(', ')}, and ${names.length - NAMES_SHOWN} more`;
}

/** Returns the path IST0175 points at: the env list of the `discovery` container (else the first). */
function envPath(containers: readonly unknown[]): ObjectPath {
  const i = Math.max(0, containers.findIndex((c) => asMap(c).name === 'discovery'));
  return ['spec', 'template', 'spec', 'containers', i, 'env'];
}

function restrictsJwksFetches(containers: readonly unknown[]): boolean {
  return containers.some((c) => asList(asMap(c).env).some((e) => {
    const env = asMap(e);
    return env.name === BLOCKED_CIDRS_ENV && typeof env.value === 'string' && env.value !== '';
  }));
}

const qualified = (r: Resource): string => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

export const blockedCidrsAnalyzer: Analyzer = {
  name: 'authn.BlockedCIDRsAnalyzer',
  description: 'Flags istiod Deployments that fetch JWKS URIs for RequestAuthentications without BLOCKED_CIDRS_IN_JWKS_URIS',
  inputs: [K.RequestAuthentication, K.Deployment],
  messages: [MESSAGES.JwksUriFetchUnrestricted],
  analyze(ctx) {
    const names = ctx.list(K.RequestAuthentication).map(qualified);
    if (names.length === 0) return;
    for (const d of ctx.list(K.Deployment)) {
      if (labelsOf(d).app !== 'istiod') continue;
      const containers = asList(getAt(d.object, ['spec', 'template', 'spec', 'containers']));
      if (restrictsJwksFetches(containers)) continue;
      ctx.report(MESSAGES.JwksUriFetchUnrestricted, { resource: d, path: envPath(containers) }, names.length, summarizeNames(names));
    }
  },
};
