/**
 * The policy, credential, EnvoyFilter and ServiceEntry analyzers beyond the grid: where findings
 * point and what they say, the certificate checks against an injected clock, and the rules these
 * analyzers share with Istio 1.30.3 (namespace expressions, claim headers, patch targets).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runAnalysis, type Finding } from '../../src/analyze/engine.js';
import { namespaceExpressionMatches } from '../../src/analyze/analyzers/auth-authorization-policies.js';
import { summarizeNames } from '../../src/analyze/analyzers/authn-blocked-cidrs.js';
import { patchTargetKey } from '../../src/analyze/analyzers/envoyfilter-patch.js';
import { certificateIdentity } from '../../src/analyze/analyzers/gateway-certificate.js';
import { certificateValidAt, firstPemBlock, secretData, usableCredential } from '../../src/analyze/analyzers/gateway-secret.js';
import { claimRouteKey, isClaimHeader } from '../../src/analyze/analyzers/virtualservice-jwt-claim-route.js';
import { selectAnalyzers } from '../../src/analyze/registry.js';
import { friendlyName, type Resource } from '../../src/analyze/resource.js';
import { ResourceStore } from '../../src/analyze/store.js';
import { loadFiles, profileIngressGateway } from '../../src/cli/analyze-impl.js';
import { testDeps } from '../helpers.js';
import { analyzeTestdata, analyzeTestFiles } from './harness.js';

/** Returns `file:line:column Kind ns/name [CODE] message` for each finding. */
function lines(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.position ? `${basename(f.position.file)}:${f.position.line}:${f.position.column}` : '-'} `
    + `${friendlyName(f.resource!)} [${f.type.code}] ${f.message}`);
}

async function findingsOf(file: string, analyzer: string, origin: string): Promise<string[]> {
  const result = await analyzeTestFiles([file], [analyzer]);
  return lines(result.findings.filter((f) => friendlyName(f.resource!) === origin));
}

/** Runs gateway.SecretAnalyzer over gateway-secrets.yaml as if the time were `now` (ms since the epoch). */
async function secretFindingsAt(now: number): Promise<string[]> {
  const { deps } = testDeps();
  const loaded = await loadFiles(deps, [join(analyzeTestdata, 'gateway-secrets.yaml')], 'default');
  const synthetic = await profileIngressGateway(deps, loaded.resources);
  const result = runAnalysis(new ResourceStore([...loaded.resources, ...synthetic], true), {
    analyzers: selectAnalyzers(['gateway.SecretAnalyzer']).analyzers, istioNamespace: 'istio-system', strictInputs: true, now,
  });
  return result.findings.map((f) => `${f.type.code} ${f.position?.line}`).sort();
}

/** Returns the decoded data of a Secret of gateway-secrets.yaml. */
function testSecret(name: string): Map<string, Buffer> {
  const docs = parseAllDocuments(readFileSync(join(analyzeTestdata, 'gateway-secrets.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const object = docs.find((o) => o.kind === 'Secret' && o.metadata.name === name)!;
  return secretData({ object } as unknown as Resource)!;
}

describe('auth.AuthorizationPoliciesAnalyzer', () => {
  it('matches namespace expressions as Istio does', () => {
    expect(namespaceExpressionMatches('test-login', '*')).toBe(true);
    expect(namespaceExpressionMatches('test-login', 'test-*')).toBe(true);
    expect(namespaceExpressionMatches('test-login', '*-login')).toBe(true);
    expect(namespaceExpressionMatches('test-login', '*-test')).toBe(false);
    expect(namespaceExpressionMatches('test-login', 'login-*')).toBe(false);
    expect(namespaceExpressionMatches('Shop', 'shop')).toBe(true);
    expect(namespaceExpressionMatches('shop', 'Sho*')).toBe(false);
  });

  it('points at the namespace expression and at the selector', async () => {
    const file = 'authorization-policies.yaml';
    const analyzer = 'auth.AuthorizationPoliciesAnalyzer';
    expect(await findingsOf(file, analyzer, 'AuthorizationPolicy shop/bad-namespaces')).toEqual([
      'authorization-policies.yaml:177:22 AuthorizationPolicy shop/bad-namespaces [IST0101] Referenced namespace not found: "staging"',
      'authorization-policies.yaml:179:25 AuthorizationPolicy shop/bad-namespaces [IST0101] Referenced namespace not found: "qa-*"',
    ]);
    expect(await findingsOf(file, analyzer, 'AuthorizationPolicy shop/ghost')).toEqual([
      'authorization-policies.yaml:91:7 AuthorizationPolicy shop/ghost [IST0127] No matching workloads for this resource with the following labels: app=ghost',
    ]);
    expect(await findingsOf(file, analyzer, 'AuthorizationPolicy legacy/legacy-wide')).toEqual([
      'authorization-policies.yaml:105:14 AuthorizationPolicy legacy/legacy-wide [IST0127] No matching workloads for this resource with the following labels: ',
    ]);
  });
});

describe('authn.BlockedCIDRsAnalyzer', () => {
  it('names up to five RequestAuthentications, then counts the rest', () => {
    expect(summarizeNames(['a/1', 'b/2'])).toBe('a/1, b/2');
    expect(summarizeNames(['n/1', 'n/2', 'n/3', 'n/4', 'n/5'])).toBe('n/1, n/2, n/3, n/4, n/5');
    expect(summarizeNames(['n/1', 'n/2', 'n/3', 'n/4', 'n/5', 'n/6', 'n/7'])).toBe('n/1, n/2, n/3, n/4, n/5, and 2 more');
  });

  it('points at the discovery container\'s env', async () => {
    const result = await analyzeTestFiles(['jwks-request-authentications.yaml', 'jwks-istiod.yaml'], ['authn.BlockedCIDRsAnalyzer']);
    expect(lines(result.findings.filter((f) => f.resource!.name === 'istiod'))).toEqual([
      'jwks-istiod.yaml:20:9 Deployment istio-system/istiod [IST0175] BLOCKED_CIDRS_IN_JWKS_URIS is not configured but 2 '
        + 'RequestAuthentication resource(s) exist (shop/shop-jwt, istio-system/ingress-jwt). Consider configuring it to restrict '
        + 'JWKS URI fetches to trusted networks.',
    ]);
  });
});

describe('destinationrule.CaCertificateAnalyzer', () => {
  it('names the rule, mode, host and port, at the TLS settings', async () => {
    expect(await findingsOf('destinationrule-ca-certificates.yaml', 'destinationrule.CaCertificateAnalyzer', 'DestinationRule shop/both-levels')).toEqual([
      'destinationrule-ca-certificates.yaml:62:10 DestinationRule shop/both-levels [IST0128] DestinationRule shop/both-levels in namespace '
        + 'shop has TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: legacy.example.com',
      'destinationrule-ca-certificates.yaml:65:12 DestinationRule shop/both-levels [IST0129] DestinationRule shop/both-levels in namespace '
        + 'shop has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: legacy.example.com at port number:8443',
    ]);
  });
});

describe('envoyfilter.EnvoyPatchAnalyzer', () => {
  it('keys a patch by its value\'s name, else by the listener match\'s filter name', () => {
    expect(patchTargetKey({ patch: { value: { name: 'x' } } })).toBe('value:"x"');
    expect(patchTargetKey({ match: { listener: { filterChain: { filter: { name: 'x' } } } }, patch: { value: { a: 1 } } })).toBe('x');
    expect(patchTargetKey({ match: { listener: { filterChain: {} } }, patch: { value: {} } })).toBe('');
    expect(patchTargetKey({ match: { listener: { filterChain: { filter: { name: 'x' } } } }, patch: { operation: 'REMOVE' } })).toBe('');
  });

  it('reports each code once per EnvoyFilter, at the first patch\'s operation', async () => {
    expect(await findingsOf('envoyfilter-patches.yaml', 'envoyfilter.EnvoyPatchAnalyzer', 'EnvoyFilter shop/unordered')).toEqual([
      'envoyfilter-patches.yaml:34:18 EnvoyFilter shop/unordered [IST0151] This EnvoyFilter does not have a priority and has a relative '
        + 'patch operation set which can cause the EnvoyFilter not to be applied. Using the INSERT_FIRST of ADD option or setting the '
        + 'priority may help in ensuring the EnvoyFilter is applied correctly.',
    ]);
  });
});

describe('gateway.CertificateAnalyzer', () => {
  it('identifies a certificate by credential name, else by certificate and key files', () => {
    expect(certificateIdentity({ credentialName: 'a', serverCertificate: 'c', privateKey: 'k' }))
      .toBe(certificateIdentity({ credentialName: 'a' }));
    expect(certificateIdentity({ serverCertificate: 'c', privateKey: 'k' })).not.toBe(certificateIdentity({ credentialName: 'a' }));
    expect(certificateIdentity({ serverCertificate: 'c' })).toBeUndefined();
    expect(certificateIdentity({ mode: 'SIMPLE' })).toBeUndefined();
  });

  it('names both Gateways, at the shared credential', async () => {
    expect(await findingsOf('gateway-certificates.yaml', 'gateway.CertificateAnalyzer', 'Gateway files/files-a')).toEqual([
      'gateway-certificates.yaml:73:44 Gateway files/files-a [IST0138] Duplicate certificate in multiple gateways [files/files-a files/files-b] '
        + 'may cause 404s if clients re-use HTTP2 connections.',
    ]);
  });
});

describe('gateway.SecretAnalyzer', () => {
  const validFrom = Date.UTC(2025, 0, 1);
  const validTo = Date.UTC(2125, 0, 1);

  it('accepts a certificate only within its validity', () => {
    const cert = testSecret('shop-cert').get('tls.crt')!;
    expect(certificateValidAt(cert, validFrom + 1000)).toBe(true);
    expect(certificateValidAt(cert, validTo - 1000)).toBe(true);
    expect(certificateValidAt(cert, validFrom - 1000)).toBe(false);
    expect(certificateValidAt(cert, validTo + 1000)).toBe(false);
  });

  it('needs both certificate and key, under the generic or the TLS names', () => {
    const now = Date.UTC(2030, 0, 1);
    expect(usableCredential(testSecret('shop-cert'), now)).toBe(true);
    expect(usableCredential(testSecret('generic-cert'), now)).toBe(true);
    expect(usableCredential(testSecret('empty-key'), now)).toBe(false);
    expect(usableCredential(testSecret('ca-only'), now)).toBe(false);
    expect(usableCredential(testSecret('not-pem'), now)).toBe(false);
    expect(usableCredential(testSecret('old-cert'), now)).toBe(false);
  });

  it('reads the first PEM block, skipping text and headers before it', () => {
    const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
    const pem = `junk\n-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(firstPemBlock(pem)).toEqual(der);
    expect(firstPemBlock('-----BEGIN A-----\nAAAA\n-----END B-----\n')).toBeUndefined();
  });

  it('treats a Secret whose data is not base64 as missing', () => {
    expect(secretData({ object: { data: { 'tls.crt': 'not base64!' } } } as unknown as Resource)).toBeUndefined();
    expect(secretData({ object: { data: { 'tls.crt': 'aGk=\n' } } } as unknown as Resource)?.get('tls.crt')?.toString()).toBe('hi');
  });

  it('judges certificates at the run\'s instant', async () => {
    // credentialName lines: 96 shop-cert, 99 generic-cert, 102 edge/edge-cert, 132 edge-cert (valid
    // 2025-2125); 105 old-cert (valid 2020-2021); 108, 111, 114 unusable at any time.
    const invalidAt = async (now: number): Promise<number[]> => (await secretFindingsAt(now))
      .filter((f) => f.startsWith('IST0161')).map((f) => Number(f.split(' ')[1])).sort((a, b) => a - b);
    expect(await invalidAt(Date.UTC(2030, 0, 1))).toEqual([105, 108, 111, 114]);
    expect(await invalidAt(Date.UTC(2020, 6, 1))).toEqual([96, 99, 102, 108, 111, 114, 132]);
    expect(await invalidAt(Date.UTC(2200, 0, 1))).toEqual([96, 99, 102, 105, 108, 111, 114, 132]);
  });

  it('points at the credentialName and names the gateway and its workload namespace', async () => {
    expect((await findingsOf('gateway-secrets.yaml', 'gateway.SecretAnalyzer', 'Gateway default/public')).slice(0, 2)).toEqual([
      'gateway-secrets.yaml:117:41 Gateway default/public [IST0101] Referenced credentialName not found: "no-such-secret"',
      'gateway-secrets.yaml:105:41 Gateway default/public [IST0161] The credential referenced by the Gateway public in namespace '
        + 'istio-system is invalid, which can cause the traffic not to work as expected.',
    ]);
    expect(await findingsOf('gateway-secrets.yaml', 'gateway.SecretAnalyzer', 'Gateway default/orphan')).toEqual([
      'gateway-secrets.yaml:144:12 Gateway default/orphan [IST0101] Referenced selector not found: "istio=nowhere"',
    ]);
  });
});

describe('serviceentry.Analyzer', () => {
  it('points at each named port, and once at the ports without a name', async () => {
    const analyzer = 'serviceentry.Analyzer';
    expect(await findingsOf('serviceentry-addresses.yaml', analyzer, 'ServiceEntry shop/two-named')).toEqual([
      'serviceentry-addresses.yaml:46:11 ServiceEntry shop/two-named [IST0134] ServiceEntry addresses are required for this protocol.',
      'serviceentry-addresses.yaml:49:11 ServiceEntry shop/two-named [IST0134] ServiceEntry addresses are required for this protocol.',
    ]);
    expect(await findingsOf('serviceentry-addresses.yaml', analyzer, 'ServiceEntry shop/two-unnamed')).toEqual([
      'serviceentry-addresses.yaml:61:3 ServiceEntry shop/two-unnamed [IST0134] ServiceEntry addresses are required for this protocol.',
    ]);
  });
});

describe('virtualservice.JWTClaimRouteAnalyzer', () => {
  it('recognises claim headers as Istio does', () => {
    expect(isClaimHeader('@request.auth.claims.group')).toBe(true);
    expect(isClaimHeader('@request.auth.claims.nested.key')).toBe(true);
    expect(isClaimHeader('@Request.Auth.Claims[tier]')).toBe(true);
    expect(isClaimHeader('@request.auth.claims[a][b]')).toBe(true);
    expect(isClaimHeader('@request.auth.claims')).toBe(false);
    expect(isClaimHeader('@request.auth.claims.')).toBe(false);
    expect(isClaimHeader('@request.auth.claims[]')).toBe(false);
    expect(isClaimHeader('x-request-auth-claims')).toBe(false);
  });

  it('takes the first claim key of any match, headers before withoutHeaders', () => {
    const vs = { spec: { http: [{ match: [{ headers: { a: {}, '@request.auth.claims.b': {} }, withoutHeaders: { '@request.auth.claims.c': {} } }] }] } };
    expect(claimRouteKey(vs)).toBe('@request.auth.claims.b');
    expect(claimRouteKey({ spec: { http: [{ route: [] }] } })).toBeUndefined();
  });

  it('names the key, the gateway and the uncovered pod, at the gateways entry, once per pod', async () => {
    expect(await findingsOf('jwt-claim-routes.yaml', 'virtualservice.JWTClaimRouteAnalyzer', 'VirtualService edge/partner-tier')).toEqual([
      'jwt-claim-routes.yaml:91:14 VirtualService edge/partner-tier [IST0149] The virtual service uses the JWT claim based routing '
        + '(key: @Request.Auth.Claims[tier]) but found no request authentication for the gateway (edge/partners) pod (partner-gateway-1). '
        + 'The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.',
    ]);
  });
});
