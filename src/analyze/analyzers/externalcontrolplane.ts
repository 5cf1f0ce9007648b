/**
 * externalcontrolplane.ExternalControlPlaneAnalyzer: the Istio webhooks of a cluster whose control
 * plane runs elsewhere must reach it by URL or Service. Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/externalcontrolplane/externalcontrolplane.go:
 * - looked at: ValidatingWebhookConfigurations named `istiod-default-validator` or starting with
 *   `istio-validator`, and MutatingWebhookConfigurations starting with `istio-sidecar-injector`;
 * - for each webhook, a `clientConfig.url` that Go's url.Parse refuses gets IST0163 ("was provided
 *   in an invalid format"); one whose host is an IP address gets IST0164; a webhook with neither a
 *   URL nor a Service gets IST0163 with an empty hostname ("is blank"). An empty URL string is
 *   accepted, as upstream accepts it.
 * Findings point at the URL, or at the webhook's clientConfig when it has none.
 */
import type { Analyzer, AnalysisContext } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, type Resource } from '../resource.js';

/** The default revision's validating webhook configuration. */
const DEFAULT_VALIDATOR = 'istiod-default-validator';
/** Name prefix of per-revision validating webhook configurations. */
const VALIDATOR_PREFIX = 'istio-validator';
/** Name prefix of injection webhook configurations. */
const INJECTOR_PREFIX = 'istio-sidecar-injector';

/** Returns true when `port` is empty or `:` followed by digits only (Go's validOptionalPort). */
function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

/** Returns true when every `%` in `s` starts a two-digit hex escape. */
function validEscapes(s: string): boolean {
  return !/%(?![0-9A-Fa-f]{2})/.test(s);
}

/** Characters Go's url package accepts unescaped in a host. */
const HOST_CHARS = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]*$/;

/**
 * Returns the hostname of a URL as Go's `url.Parse(u).Hostname()` gives it (port and IPv6
 * brackets removed; `''` for URLs without an authority), or undefined when url.Parse would fail:
 * control characters, a scheme starting with `:`, a first path segment with `:` and no scheme,
 * a bad port, an unclosed `[`, bad `%` escapes, characters not allowed in a host.
 */
export function goUrlHostname(raw: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(raw)) return undefined;
  const hash = raw.indexOf('#');
  const fragment = hash < 0 ? '' : raw.slice(hash + 1);
  if (!validEscapes(fragment)) return undefined;
  let rest = hash < 0 ? raw : raw.slice(0, hash);
  if (rest === '*') return '';
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*)?:/.exec(rest);
  if (rest.startsWith(':')) return undefined;
  if (m && m[1] !== undefined) {
    scheme = m[1];
    rest = rest.slice(m[0].length);
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return '';
    const slash = rest.indexOf('/');
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':')) return undefined;
    return validEscapes(rest) ? '' : undefined;
  }
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    if (at >= 0 && !validEscapes(authority.slice(0, at))) return undefined;
    host = authority.slice(at + 1);
    if (host.startsWith('[')) {
      const close = host.lastIndexOf(']');
      if (close < 0 || !validOptionalPort(host.slice(close + 1))) return undefined;
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !validOptionalPort(host.slice(colon))) return undefined;
    }
    if (!HOST_CHARS.test(host) || !validEscapes(host)) return undefined;
    host = decodeURIComponentSafe(host);
  }
  if (!validEscapes(rest)) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) host = host.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Returns true for dotted-decimal IPv4 (four parts, 0-255, no leading zeros), as Go 1.17+ reads it. */
function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** Returns true for an IPv6 address without zone: hex groups, one `::` at most, an IPv4 tail allowed. */
function isIpv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let width = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIpv4(last)) return false;
    all.pop();
    width++;
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? width < 8 : width === 8;
}

/** Returns true for an IPv4 or IPv6 address as Go's net.ParseIP reads one (no zone). */
export function isIpAddress(host: string): boolean {
  return isIpv4(host) || isIpv6(host);
}

/** Checks the webhooks of one configuration. */
function checkWebhooks(ctx: AnalysisContext, config: Resource): void {
  asList(config.object.webhooks).forEach((raw, i) => {
    const hook = asMap(raw);
    const name = typeof hook.name === 'string' ? hook.name : '';
    const client = asMap(hook.clientConfig);
    if (typeof client.url === 'string') {
      const at = { resource: config, path: ['webhooks', i, 'clientConfig', 'url'] };
      const host = goUrlHostname(client.url);
      if (host === undefined) ctx.report(MESSAGES.InvalidExternalControlPlaneConfig, at, client.url, name, 'was provided in an invalid format');
      else if (isIpAddress(host)) ctx.report(MESSAGES.ExternalControlPlaneAddressIsNotAHostname, at, client.url, name);
    } else if (client.service === undefined || client.service === null) {
      const path = hook.clientConfig === undefined ? ['webhooks', i] : ['webhooks', i, 'clientConfig'];
      ctx.report(MESSAGES.InvalidExternalControlPlaneConfig, { resource: config, path }, '', name, 'is blank');
    }
  });
}

export const externalControlPlaneAnalyzer: Analyzer = {
  name: 'externalcontrolplane.ExternalControlPlaneAnalyzer',
  description: 'Checks that the Istio webhooks of a remote cluster reach an external control plane by a usable hostname',
  inputs: [K.ValidatingWebhookConfiguration, K.MutatingWebhookConfiguration],
  messages: [MESSAGES.InvalidExternalControlPlaneConfig, MESSAGES.ExternalControlPlaneAddressIsNotAHostname],
  analyze(ctx) {
    for (const v of ctx.list(K.ValidatingWebhookConfiguration)) {
      if (v.name === DEFAULT_VALIDATOR || v.name.startsWith(VALIDATOR_PREFIX)) checkWebhooks(ctx, v);
    }
    for (const m of ctx.list(K.MutatingWebhookConfiguration)) {
      if (m.name.startsWith(INJECTOR_PREFIX)) checkWebhooks(ctx, m);
    }
  },
};
