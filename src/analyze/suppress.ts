/**
 * Suppressions: `-S CODE=Kind ns/name` flags (globs with `*`) and the resource annotation
 * `galley.istio.io/analyze-suppress` (a comma list of codes, or `*`), as istioctl 1.30 reads them.
 */
import { UsageError } from '../errors.js';
import { annotationsOf, friendlyName, type Resource } from './resource.js';

/** The annotation istioctl reads for per-resource suppression. */
export const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

/** One `-S` rule. */
export interface Suppression {
  /** The flag as given, for reports. */
  text: string;
  code: string;
  /** Glob over the friendly name `Kind ns/name` (`Kind name` for cluster-scoped kinds). */
  resource: RegExp;
}

/**
 * Parses a `-S` value: `CODE=Kind ns/name`, where the resource part may use `*` for any run of
 * characters (`IST0118=Service *`, `IST0102=Namespace kube-*`). Throws UsageError in istioctl's
 * words for a value without `=` or with an empty side.
 */
export function parseSuppression(text: string): Suppression {
  const eq = text.indexOf('=');
  const code = eq < 0 ? '' : text.slice(0, eq).trim();
  const resource = eq < 0 ? '' : text.slice(eq + 1).trim();
  if (!code || !resource) {
    throw new UsageError(`${text} is not a valid suppression value (expected CODE=Kind namespace/name, e.g. IST0102=Namespace default)`);
  }
  return { text, code: code.toUpperCase(), resource: globToRegExp(resource) };
}

function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/**
 * Returns how a finding of `code` on `resource` is suppressed, or undefined: by the resource's
 * annotation first, then by the first matching flag.
 */
export function suppressionFor(code: string, resource: Resource, flags: readonly Suppression[]): { by: 'flag' | 'annotation'; rule: string } | undefined {
  const annotation = annotationsOf(resource)[SUPPRESS_ANNOTATION];
  if (annotation !== undefined) {
    const codes = annotation.split(',').map((c) => c.trim().toUpperCase());
    if (codes.includes('*') || codes.includes(code)) return { by: 'annotation', rule: `${SUPPRESS_ANNOTATION}: ${annotation}` };
  }
  if (flags.length === 0) return undefined;
  const name = friendlyName(resource);
  const flag = flags.find((f) => f.code === code && f.resource.test(name));
  return flag ? { by: 'flag', rule: flag.text } : undefined;
}
