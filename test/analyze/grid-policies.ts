/**
 * Grid rows for the analyzers of policies, credentials, EnvoyFilters and ServiceEntries:
 * AuthorizationPolicies, RequestAuthentication (JWKS fetches, JWT claim routes), DestinationRule
 * and Gateway certificates, Gateway Secrets, EnvoyFilter patches and ServiceEntry addresses.
 */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['authorization-policies.yaml'],
    analyzer: 'auth.AuthorizationPoliciesAnalyzer',
    expected: [
      ['IST0127', 'AuthorizationPolicy shop/ghost'],
      ['IST0127', 'AuthorizationPolicy legacy/legacy-wide'],
      ['IST0127', 'AuthorizationPolicy legacy/legacy-batch'],
      ['IST0127', 'AuthorizationPolicy empty/nobody-home'],
      ['IST0127', 'AuthorizationPolicy istio-system/mesh-missing'],
      ['IST0101', 'AuthorizationPolicy shop/bad-namespaces'],
      ['IST0101', 'AuthorizationPolicy shop/bad-namespaces'],
    ],
  },
  {
    files: ['authorization-policies-root.yaml'],
    analyzer: 'auth.AuthorizationPoliciesAnalyzer',
    expected: [
      ['IST0127', 'AuthorizationPolicy mesh-root/mesh-wide'],
      ['IST0127', 'AuthorizationPolicy mesh-root/mesh-web'],
    ],
  },
  {
    files: ['authorization-policies-root.yaml'],
    meshConfigFile: 'mesh-config/root-namespace.yaml',
    analyzer: 'auth.AuthorizationPoliciesAnalyzer',
    expected: [
      ['IST0127', 'AuthorizationPolicy istio-system/not-root'],
    ],
  },
  {
    files: ['jwks-request-authentications.yaml', 'jwks-istiod.yaml'],
    analyzer: 'authn.BlockedCIDRsAnalyzer',
    expected: [
      ['IST0175', 'Deployment istio-system/istiod'],
      ['IST0175', 'Deployment istio-other/istiod-from-configmap'],
    ],
  },
  {
    files: ['jwks-istiod.yaml'],
    analyzer: 'authn.BlockedCIDRsAnalyzer',
    expected: [],
  },
  {
    files: ['destinationrule-ca-certificates.yaml'],
    analyzer: 'destinationrule.CaCertificateAnalyzer',
    expected: [
      ['IST0128', 'DestinationRule shop/db-simple'],
      ['IST0129', 'DestinationRule shop/api-ports'],
      ['IST0128', 'DestinationRule shop/both-levels'],
      ['IST0129', 'DestinationRule shop/both-levels'],
    ],
  },
  {
    files: ['envoyfilter-patches.yaml'],
    analyzer: 'envoyfilter.EnvoyPatchAnalyzer',
    expected: [
      ['IST0151', 'EnvoyFilter shop/unordered'],
      ['IST0153', 'EnvoyFilter shop/routes'],
      ['IST0154', 'EnvoyFilter shop/removals'],
      ['IST0151', 'EnvoyFilter shop/removals'],
      ['IST0152', 'EnvoyFilter shop/replace-cluster'],
      ['IST0151', 'EnvoyFilter shop/versioned'],
      ['IST0155', 'EnvoyFilter payments/versioned-follower'],
      ['IST0151', 'EnvoyFilter payments/match-named'],
    ],
  },
  {
    files: ['gateway-certificates.yaml'],
    analyzer: 'gateway.CertificateAnalyzer',
    expected: [
      ['IST0138', 'Gateway edge/shop'],
      ['IST0138', 'Gateway edge/shop'],
      ['IST0138', 'Gateway content/blog'],
      ['IST0138', 'Gateway content/blog'],
      ['IST0138', 'Gateway files/files-a'],
      ['IST0138', 'Gateway files/files-b'],
    ],
  },
  {
    files: ['gateway-secrets.yaml'],
    analyzer: 'gateway.SecretAnalyzer',
    expected: [
      ['IST0161', 'Gateway default/public'],
      ['IST0161', 'Gateway default/public'],
      ['IST0161', 'Gateway default/public'],
      ['IST0161', 'Gateway default/public'],
      ['IST0101', 'Gateway default/public'],
      ['IST0101', 'Gateway edge/edge'],
      ['IST0101', 'Gateway default/orphan'],
    ],
  },
  {
    files: ['serviceentry-addresses.yaml'],
    analyzer: 'serviceentry.Analyzer',
    expected: [
      ['IST0134', 'ServiceEntry shop/db-tcp'],
      ['IST0134', 'ServiceEntry shop/cache-unset'],
      ['IST0134', 'ServiceEntry shop/queue-lowercase'],
      ['IST0134', 'ServiceEntry shop/two-named'],
      ['IST0134', 'ServiceEntry shop/two-named'],
      ['IST0134', 'ServiceEntry shop/two-unnamed'],
    ],
  },
  {
    files: ['serviceentry-addresses.yaml'],
    meshConfigFile: 'mesh-config/dns-auto-allocate.yaml',
    analyzer: 'serviceentry.Analyzer',
    expected: [],
  },
  {
    files: ['serviceentry-addresses.yaml'],
    meshConfigFile: 'mesh-config/dns-capture-only.yaml',
    analyzer: 'serviceentry.Analyzer',
    expected: [
      ['IST0134', 'ServiceEntry shop/db-tcp'],
      ['IST0134', 'ServiceEntry shop/cache-unset'],
      ['IST0134', 'ServiceEntry shop/queue-lowercase'],
      ['IST0134', 'ServiceEntry shop/two-named'],
      ['IST0134', 'ServiceEntry shop/two-named'],
      ['IST0134', 'ServiceEntry shop/two-unnamed'],
    ],
  },
  {
    files: ['jwt-claim-routes.yaml'],
    analyzer: 'virtualservice.JWTClaimRouteAnalyzer',
    expected: [
      ['IST0149', 'VirtualService default/by-group'],
      ['IST0149', 'VirtualService edge/partner-tier'],
    ],
  },
  {
    files: ['jwt-claim-routes.yaml', 'jwt-mesh-wide-authentication.yaml'],
    analyzer: 'virtualservice.JWTClaimRouteAnalyzer',
    expected: [],
  },
];
