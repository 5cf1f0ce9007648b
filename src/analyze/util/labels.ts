/** Label selectors as Kubernetes and Istio match them. */

/**
 * Returns true when every key of `selector` is in `labels` with the same value. An empty
 * selector matches everything (Istio's workloadSelector and Gateway selector semantics); callers
 * that treat an empty Service selector as "selects nothing" check that themselves.
 */
export function matchesLabels(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Formats a selector as istioctl prints one in messages: `app=web,version=v1` in key order. */
export function formatSelector(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
}

/** One `matchExpressions` requirement of a Kubernetes LabelSelector. */
interface SelectorRequirement {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

/**
 * Returns true when a Kubernetes `metav1.LabelSelector` (`{matchLabels, matchExpressions}`, plain
 * JSON) selects `labels`. An absent selector (undefined or null) selects everything, as admission
 * webhooks treat an unset namespace or object selector; so does an empty one. A selector
 * Kubernetes would refuse (unknown operator, `In`/`NotIn` without values, `Exists`/`DoesNotExist`
 * with values, non-string values) selects nothing, as `LabelSelectorAsSelector` then fails.
 */
export function labelSelectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined || selector === null) return true;
  if (typeof selector !== 'object' || Array.isArray(selector)) return false;
  const { matchLabels, matchExpressions } = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  if (matchLabels !== undefined && matchLabels !== null) {
    if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) return false;
    for (const [k, v] of Object.entries(matchLabels)) {
      if (typeof v !== 'string' || labels[k] !== v) return false;
    }
  }
  if (matchExpressions === undefined || matchExpressions === null) return true;
  if (!Array.isArray(matchExpressions)) return false;
  for (const raw of matchExpressions as SelectorRequirement[]) {
    if (raw === null || typeof raw !== 'object' || typeof raw.key !== 'string') return false;
    const values = raw.values === undefined || raw.values === null ? [] : raw.values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return false;
    const has = Object.hasOwn(labels, raw.key);
    switch (raw.operator) {
      case 'In':
        if (values.length === 0 || !has || !values.includes(labels[raw.key])) return false;
        break;
      case 'NotIn':
        if (values.length === 0) return false;
        if (has && values.includes(labels[raw.key])) return false;
        break;
      case 'Exists':
        if (values.length > 0 || !has) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0 || has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
