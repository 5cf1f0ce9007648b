/**
 * Validation of the pod annotations that steer injection, with Istio 1.30's rules
 * (pkg/kube/inject/validate.go, AnnotationValidation): a bad value fails the injection of that
 * workload with a message naming the annotation and the value.
 */

type Check = (value: string) => string | undefined;

function parsePort(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) > 65535) return `failed parsing port '${text}': not a port number (0-65535)`;
  return undefined;
}

function portList(parameter: string): Check {
  return (value) => {
    const t = value.trim();
    if (t === '') return undefined;
    for (const p of t.split(',')) {
      const err = parsePort(p);
      if (err) return `${parameter} invalid: failed parsing port '${p}': ${err}`;
    }
    return undefined;
  };
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (s.includes('%')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const all = halves.flatMap(groups);
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function cidrError(cidr: string): string | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return 'no "/" and prefix length';
  const addr = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  const v4 = isIPv4(addr);
  if (!v4 && !isIPv6(addr)) return `bad IP address "${addr}"`;
  if (!/^(0|[1-9]\d*)$/.test(bits) || Number(bits) > (v4 ? 32 : 128)) return `bad prefix length "${bits}"`;
  return undefined;
}

function cidrList(parameter: string, allowStar: boolean): Check {
  return (value) => {
    if (allowStar && value === '*') return undefined;
    if (value.length === 0) return undefined;
    for (const cidr of value.split(',')) {
      const err = cidrError(cidr);
      if (err) return `${parameter} invalid: failed parsing cidr '${cidr}': ${err}`;
    }
    return undefined;
  };
}

const uint32: Check = (value) => (/^\d+$/.test(value) && Number(value) <= 4294967295 ? undefined : 'not an unsigned 32-bit integer');
const bool: Check = (value) => (GO_BOOLS.has(value) ? undefined : 'not a boolean (true or false)');
const GO_BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool: true/false for its accepted spellings, undefined otherwise. */
export function parseGoBool(value: string): boolean | undefined {
  if (!GO_BOOLS.has(value)) return undefined;
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** Annotation -> check, per Istio 1.30. `proxy.istio.io/config` is checked where it is applied. */
const CHECKS: Readonly<Record<string, Check>> = {
  'sidecar.istio.io/interceptionMode': (v) => (['REDIRECT', 'TPROXY', 'NONE'].includes(v) ? undefined : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`),
  'status.sidecar.istio.io/port': (v) => { const e = parsePort(v); return e ? `excludeInboundPorts invalid: ${e}` : undefined; },
  'readiness.status.sidecar.istio.io/initialDelaySeconds': uint32,
  'readiness.status.sidecar.istio.io/periodSeconds': uint32,
  'readiness.status.sidecar.istio.io/failureThreshold': uint32,
  'traffic.sidecar.istio.io/includeOutboundIPRanges': cidrList('includeIPRanges', true),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': cidrList('excludeIPRanges', false),
  'traffic.sidecar.istio.io/includeInboundPorts': (v) => (v === '*' ? undefined : portList('includeInboundPorts')(v)),
  'traffic.sidecar.istio.io/excludeInboundPorts': portList('excludeInboundPorts'),
  'traffic.sidecar.istio.io/excludeOutboundPorts': portList('excludeOutboundPorts'),
  'prometheus.istio.io/merge-metrics': bool,
};

/**
 * Returns one problem per invalid injection annotation, in annotation-name order, with the message
 * `invalid value 'V' for annotation 'NAME': REASON`. Empty when all are valid.
 */
export function annotationProblems(annotations: Readonly<Record<string, string>>): { annotation: string; message: string }[] {
  const problems: { annotation: string; message: string }[] = [];
  for (const name of Object.keys(annotations).sort()) {
    const err = annotationValueProblem(name, annotations[name]!);
    if (err) problems.push({ annotation: name, message: `invalid value '${annotations[name]!}' for annotation '${name}': ${err}` });
  }
  return problems;
}

/**
 * Returns why `value` is not valid for the injection annotation `name` (e.g. `not an unsigned
 * 32-bit integer`), or undefined when it is valid or `name` has no value check.
 */
export function annotationValueProblem(name: string, value: string): string | undefined {
  return Object.hasOwn(CHECKS, name) ? CHECKS[name]!(value) : undefined;
}
