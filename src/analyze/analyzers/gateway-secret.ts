/**
 * gateway.SecretAnalyzer: the Secret a Gateway server's `tls.credentialName` names must exist in
 * the namespace of the gateway workload (IST0101 `credentialName`) and hold a usable certificate
 * (IST0161); a Gateway whose selector matches no workload gets IST0101 `selector` instead. Facts
 * per Istio 1.30.3 analyzers/gateway/secret.go, pilot/pkg/credentials/kube/secrets.go
 * (ExtractCertInfo) and pilot/pkg/xds/sds.go (ValidateCertificate):
 * - the workload namespace is that of the first pod the selector matches (an empty selector
 *   matches every pod); a matched pod without a namespace counts as no match;
 * - `credentialName` is `name` in that namespace or `namespace/name`;
 * - a usable Secret has non-empty `cert` and `key` data, else non-empty `tls.crt` and `tls.key`;
 *   the certificate's first PEM block must hold DER certificates all valid at the run's instant
 *   (`stringData` is not read, as the API server, not istioctl, turns it into `data`);
 * - a Secret whose `data` is not base64 fails to load upstream, so it counts as missing.
 * In file mode, pod templates stand in for pods (the assumed ingress gateway included).
 */
import type { X509Certificate as X509 } from 'node:crypto';
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, stringMap, type JsonMap, type Resource } from '../resource.js';
import { formatSelector } from '../util/labels.js';
import { shortOrFullName } from '../util/hosts.js';
import { selectorPath, WorkloadSelectorIndex } from './gateway-selection.js';

/**
 * Returns node:crypto's X509Certificate class, loading node:crypto on first use: a static import
 * loaded it (~2.5 ms) in every analyze run, most of which hold no Secret with a certificate.
 */
function x509Class(): typeof X509 {
  return process.getBuiltinModule('node:crypto').X509Certificate;
}

/** Standard base64 with padding, as Go decodes `[]byte` from JSON (which also skips line breaks). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Returns a Secret's `data` decoded, key by key, or undefined when a value is not base64 (the
 * Secret then fails to load).
 */
export function secretData(secret: Resource): Map<string, Buffer> | undefined {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(asMap(secret.object.data))) {
    if (v === null) continue;
    if (typeof v !== 'string') return undefined;
    const compact = v.replace(/[\r\n]/g, '');
    if (!BASE64.test(compact)) return undefined;
    out.set(k, Buffer.from(compact, 'base64'));
  }
  return out;
}

/**
 * Returns the first PEM block's content in `pem`, whatever its type, or undefined when there is
 * none that decodes (Go's pem.Decode: headers before a blank line are skipped; a block that does
 * not decode is passed over).
 */
export function firstPemBlock(pem: string): Buffer | undefined {
  const begin = /-----BEGIN ([^\n-]*)-----\r?\n/g;
  const unterminated = new Set<string>();
  for (let m = begin.exec(pem); m; m = begin.exec(pem)) {
    if (unterminated.has(m[1]!)) continue;
    const endMarker = `-----END ${m[1]}-----`;
    const end = pem.indexOf(endMarker, begin.lastIndex);
    if (end < 0) {
      unterminated.add(m[1]!);
      continue;
    }
    let body = pem.slice(begin.lastIndex, end);
    const blank = /\r?\n\r?\n/.exec(body);
    if (blank && body.slice(0, blank.index).split('\n')[0]!.includes(':')) body = body.slice(blank.index + blank[0].length);
    const compact = body.replace(/\s+/g, '');
    if (BASE64.test(compact)) return Buffer.from(compact, 'base64');
    begin.lastIndex = end + endMarker.length;
  }
  return undefined;
}

/** Splits concatenated DER values (`SEQUENCE`s) apart; undefined when the bytes are not that. */
function splitDer(der: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < der.length) {
    if (der[at] !== 0x30 || at + 2 > der.length) return undefined;
    let len = der[at + 1]!;
    let header = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || at + 2 + n > der.length) return undefined;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
      header += n;
    }
    const end = at + header + len;
    if (end > der.length) return undefined;
    out.push(der.subarray(at, end));
    at = end;
  }
  return out.length ? out : undefined;
}

/**
 * Returns true when `pem` holds, in its first PEM block, one or more X.509 certificates that are
 * all valid at `now` (ms since the epoch).
 */
export function certificateValidAt(pem: Buffer, now: number): boolean {
  const block = firstPemBlock(pem.toString('latin1'));
  if (!block) return false;
  const ders = splitDer(block);
  if (!ders) return false;
  try {
    return ders.every((der) => {
      const cert = new (x509Class())(der);
      return now >= Date.parse(cert.validFrom) && now <= Date.parse(cert.validTo);
    });
  } catch {
    return false;
  }
}

/**
 * Returns true when a Secret's decoded data carries a server certificate and key Istio can serve:
 * `cert`/`key`, else `tls.crt`/`tls.key`, both non-empty, the certificate valid at `now`.
 */
export function usableCredential(data: ReadonlyMap<string, Buffer>, now: number): boolean {
  const has = (k: string): boolean => (data.get(k)?.length ?? 0) > 0;
  let cert: Buffer | undefined;
  if (has('cert') && has('key')) cert = data.get('cert');
  else if (has('tls.crt') && has('tls.key')) cert = data.get('tls.crt');
  return cert !== undefined && certificateValidAt(cert, now);
}

export const gatewaySecretAnalyzer: Analyzer = {
  name: 'gateway.SecretAnalyzer',
  description: 'Flags Gateway credentials whose Secret is missing from the gateway namespace or holds no valid certificate',
  inputs: [K.Gateway, K.Secret, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.ReferencedResourceNotFound, MESSAGES.InvalidGatewayCredential],
  analyze(ctx) {
    const gateways = ctx.list(K.Gateway);
    if (gateways.length === 0) return;
    const pods = new WorkloadSelectorIndex((ns) => ctx.workloads(ns));
    const decoded = new Map<Resource, Map<string, Buffer> | undefined>();
    const dataOf = (s: Resource): Map<string, Buffer> | undefined => {
      if (!decoded.has(s)) decoded.set(s, secretData(s));
      return decoded.get(s);
    };
    for (const gw of gateways) {
      const spec: JsonMap = asMap(gw.object.spec);
      const selector = stringMap(spec.selector);
      const gwNamespace = pods.select(selector)[0]?.namespace ?? '';
      if (!gwNamespace) {
        ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: gw, path: selectorPath(['spec', 'selector'], selector) },
          'selector', formatSelector(selector));
        continue;
      }
      asList(spec.servers).forEach((server, i) => {
        const cn = field(field(server, 'tls'), 'credentialName');
        if (typeof cn !== 'string' || cn === '') return;
        const at = { resource: gw, path: ['spec', 'servers', i, 'tls', 'credentialName'] };
        const ref = shortOrFullName(gwNamespace, cn);
        const secret = ctx.get(K.Secret, ref.namespace, ref.name);
        const data = secret && dataOf(secret);
        if (!data) ctx.report(MESSAGES.ReferencedResourceNotFound, at, 'credentialName', cn);
        else if (!usableCredential(data, ctx.now)) ctx.report(MESSAGES.InvalidGatewayCredential, at, gw.name, gwNamespace);
      });
    }
  },
};
