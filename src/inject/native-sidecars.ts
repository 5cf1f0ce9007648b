/**
 * Whether istio-proxy goes in as a native sidecar (an init container with `restartPolicy: Always`)
 * or as a classic one (a regular container), decided as Istio 1.30 decides it:
 *
 * - the `ENABLE_NATIVE_SIDECARS` setting (pilot/pkg/features/pilot.go, default `auto`): `true`
 *   always native, `false` never, `auto` when the Nodes allow; any other value counts as `false`;
 * - in `auto`, the Nodes (pkg/kube/inject/webhook.go, DetectNativeSidecar): a pod already bound
 *   to a known Node follows that Node; otherwise every Node's kubelet must be at least 1.33 (the
 *   release where sidecar containers became stable), so a single older Node keeps the whole
 *   cluster on classic sidecars. Without Nodes to look at (no cluster), `auto` means classic, as
 *   istioctl kube-inject does without a cluster client.
 */

/** The environment variable istiod and istioctl read the setting from. */
export const NATIVE_SIDECARS_ENV = 'ENABLE_NATIVE_SIDECARS';

/** The lowest kubelet minor version on which `auto` turns native sidecars on (Kubernetes 1.33). */
export const NATIVE_SIDECAR_MIN_KUBELET_MINOR = 33;

/** The three settings of `ENABLE_NATIVE_SIDECARS`. */
export type NativeSidecarMode = 'enabled' | 'disabled' | 'auto';

/**
 * Returns the mode a value of `ENABLE_NATIVE_SIDECARS` stands for: unset (or empty) is `auto`;
 * `true`, `false` and `auto` are themselves (case-sensitive, as istiod compares them); anything
 * else is `disabled` with a warning, which is what istiod does with it.
 */
export function nativeSidecarMode(value: string | undefined): { mode: NativeSidecarMode; warning?: string } {
  if (value === undefined || value === '' || value === 'auto') return { mode: 'auto' };
  if (value === 'true') return { mode: 'enabled' };
  if (value === 'false') return { mode: 'disabled' };
  return { mode: 'disabled', warning: `${NATIVE_SIDECARS_ENV}="${value}" is not true, false or auto; native sidecars are disabled, as istiod does with such a value` };
}

// A version as Go's hashicorp/go-version reads it (what istiod parses kubelet versions with):
// optional "v", dot-separated numbers, then an optional pre-release and build metadata.
const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.\d+)*(?:-\d[0-9A-Za-z~-]*(?:\.[0-9A-Za-z~-]+)*|-?[A-Za-z~-][0-9A-Za-z~-]*(?:\.[0-9A-Za-z~-]+)*)?(?:\+[0-9A-Za-z~-]+(?:\.[0-9A-Za-z~-]+)*)?$/;

/**
 * Returns the minor version of a kubelet version (`v1.35.3` -> 35, `v1.29.4+k3s1` -> 29,
 * `v1` -> 0), or undefined when it does not parse as a version.
 */
export function kubeletMinor(version: string): number | undefined {
  const m = VERSION.exec(version);
  if (!m) return undefined;
  return m[2] === undefined ? 0 : Number(m[2]);
}

/**
 * Returns whether a Node with this kubelet version allows native sidecars in `auto` mode. Only
 * the minor number counts (istiod compares nothing else); an unreadable version does not allow them.
 */
export function kubeletAllowsNativeSidecars(version: string): boolean {
  const minor = kubeletMinor(version);
  return minor !== undefined && minor >= NATIVE_SIDECAR_MIN_KUBELET_MINOR;
}

/** A Node as the decision needs it. */
export interface NodeKubelet {
  name: string;
  /** `status.nodeInfo.kubeletVersion`; `''` when the Node reports none. */
  kubeletVersion: string;
}

/** The outcome for a set of Nodes: for pods on no (known) Node, and per Node for pods bound to one. */
export interface NativeSidecarNodes {
  /** Every Node allows native sidecars (true for no Nodes at all, as istiod's check over none is). */
  all: boolean;
  /** Each Node's own answer, for a pod whose `spec.nodeName` names it. */
  byNode: ReadonlyMap<string, boolean>;
}

/** Returns the `auto`-mode decision for `nodes`. */
export function nativeSidecarsOnNodes(nodes: readonly NodeKubelet[]): NativeSidecarNodes {
  const byNode = new Map(nodes.map((n) => [n.name, kubeletAllowsNativeSidecars(n.kubeletVersion)] as const));
  return { all: [...byNode.values()].every(Boolean), byNode };
}
