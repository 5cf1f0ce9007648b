/** Label selectors as Kubernetes and Istio match them. */
import { asList, asMap, stringMap } from '../resource.js';

/**
 * Returns true when every key of `selector` is in `labels` with the same value. An empty
 * selector matches everything (Istio's workloadSelector and Gateway selector semantics); callers
 * that treat an empty Service selector as "selects nothing" check that themselves.
 */
export function matchesLabels(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/**
 * Returns true when a Kubernetes LabelSelector (`matchLabels` and `matchExpressions` with In,
 * NotIn, Exists, DoesNotExist) matches `labels`. An empty selector matches everything.
 */
export function matchesLabelSelector(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const s = asMap(selector);
  if (!matchesLabels(stringMap(s.matchLabels), labels)) return false;
  for (const raw of asList(s.matchExpressions)) {
    const e = asMap(raw);
    const key = String(e.key ?? '');
    const values = asList(e.values).map(String);
    const has = Object.hasOwn(labels, key);
    switch (e.operator) {
      case 'In': if (!has || !values.includes(labels[key]!)) return false; break;
      case 'NotIn': if (has && values.includes(labels[key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Formats a selector as istioctl prints one in messages: `app=web,version=v1` in key order. */
export function formatSelector(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
}
