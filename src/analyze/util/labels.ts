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
