/**
 * `x precheck`: can Istio be installed (or upgraded) into this cluster? Checks the Kubernetes
 * version (IST0142), permission to create what an installation creates, by
 * SelfSubjectAccessReview (IST0141), the served versions of Gateway API CRDs (IST0156), and any
 * existing installation (meshctl's installed-state records and running istiod pods), after
 * istioctl's precheck (istioctl/pkg/precheck/precheck.go, Istio 1.30.3).
 *
 * The IST messages are Istio's (messages.yaml, Istio 1.30.3). They live here rather than in the
 * analyzer catalog because no analyzer reports them and their origin is the cluster, not a
 * resource. The installation messages are meshctl's own (codes MSH0101-MSH0103).
 */
import { formatMessage, type Level, type MessageType } from '../analyze/messages.js';
import { ISTIO_VERSION } from '../render/context.js';
import type { K8sObject } from '../manifest/objects.js';
import { KubeError } from './errors.js';
import { compareVersions, controlPlaneOf, minorGap, minorOf } from './mesh-versions.js';
import { LABEL, readInstalledState, stateConfigMapName } from './owner.js';
import type { KubeClient } from './types.js';

/** The oldest Kubernetes minor version Istio 1.30 supports (`MinK8SVersion`, reference header). */
export const MIN_KUBERNETES_MINOR = 32;

/** Gateway API version Istio 1.30 needs when Gateway API CRDs are present (`gvk.KubernetesGateway.Version`). */
export const GATEWAY_API_VERSION = 'v1';

/** Messages precheck reports. IST codes, levels and templates are Istio 1.30.3's messages.yaml. */
export const PRECHECK_MESSAGES = {
  InsufficientPermissions: {
    name: 'InsufficientPermissions', code: 'IST0141', level: 'Error',
    template: 'Missing required permission to create resource %v (%v)',
    summary: 'Required permissions to install Istio are missing.',
  },
  UnsupportedKubernetesVersion: {
    name: 'UnsupportedKubernetesVersion', code: 'IST0142', level: 'Error',
    template: 'The Kubernetes Version %q is lower than the minimum version: %v',
    summary: 'The Kubernetes version is not supported.',
  },
  UnsupportedGatewayAPIVersion: {
    name: 'UnsupportedGatewayAPIVersion', code: 'IST0156', level: 'Error',
    template: 'The Gateway API CRD version %v is lower than the minimum version: %v',
    summary: 'The Gateway API CRD version is not supported.',
  },
  ExistingInstallation: {
    name: 'ExistingInstallation', code: 'MSH0101', level: 'Info',
    template: '%s',
    summary: 'Istio is already installed; installing again upgrades (or reconfigures) it.',
  },
  UpgradeOutsidePolicy: {
    name: 'UpgradeOutsidePolicy', code: 'MSH0102', level: 'Warning',
    template: '%s',
    summary: 'Installing this Istio version over the existing one is outside Istio\'s upgrade policy.',
  },
  CheckNotRun: {
    name: 'CheckNotRun', code: 'MSH0103', level: 'Warning',
    template: '%s',
    summary: 'A check could not run: the user may not read what it needs.',
  },
} as const satisfies Record<string, MessageType>;

/** One finding of precheck. */
export interface PrecheckMessage {
  type: MessageType;
  /** `Cluster` for cluster-wide findings, else `Kind name` or `Kind namespace/name`. */
  origin: string;
  message: string;
}

function message(type: MessageType, origin: string, ...args: unknown[]): PrecheckMessage {
  return { type, origin, message: formatMessage(type.template, args) };
}

/** A resource an installation creates, for the permission check. */
export interface RequiredPermission {
  group: string;
  resource: string;
  /** True when the check is made in the install namespace. */
  namespaced: boolean;
}

/**
 * What an installation creates, checked with `create` access reviews: istioctl's list
 * (precheck.go) plus rolebindings, which every profile also renders.
 */
export const REQUIRED_PERMISSIONS: readonly RequiredPermission[] = [
  { group: '', resource: 'namespaces', namespaced: false },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespaced: false },
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', namespaced: false },
  { group: 'rbac.authorization.k8s.io', resource: 'roles', namespaced: true },
  { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespaced: true },
  { group: '', resource: 'serviceaccounts', namespaced: true },
  { group: '', resource: 'services', namespaced: true },
  { group: 'apps', resource: 'deployments', namespaced: true },
  { group: '', resource: 'configmaps', namespaced: true },
  { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', namespaced: false },
  { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', namespaced: false },
];

/** Options of `precheck`. */
export interface PrecheckOptions {
  /** Install namespace (`-i`, default istio-system). */
  istioNamespace: string;
  /** Revision the user means to install (`-r`; '' or undefined for default). */
  revision?: string;
  /** Istio version this client installs. Default ISTIO_VERSION. */
  istioVersion?: string;
}

/**
 * Runs every check and returns the findings sorted by level (worst first), then code, then
 * origin. A check the user may not read the objects for (403) becomes MSH0103. Throws KubeError /
 * ClusterUnreachableError when the cluster cannot be read at all.
 */
export async function precheck(client: KubeClient, opts: PrecheckOptions): Promise<PrecheckMessage[]> {
  const msgs: PrecheckMessage[] = [];
  msgs.push(...await checkKubernetesVersion(client));
  msgs.push(...await checkPermissions(client, opts.istioNamespace));
  msgs.push(...await unlessForbidden('the Gateway API CRD versions (IST0156)', () => checkGatewayApi(client)));
  msgs.push(...await unlessForbidden('for an existing installation', () => checkExistingInstallation(client, opts)));
  const rank: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };
  return msgs.sort((a, b) => rank[a.type.level] - rank[b.type.level] || a.type.code.localeCompare(b.type.code) || a.origin.localeCompare(b.origin) || a.message.localeCompare(b.message));
}

/**
 * Runs a check that reads cluster objects and returns its findings; when the user may not read
 * them (403: a user allowed to create what an install needs is not always allowed to list it
 * cluster-wide) returns MSH0103 instead, naming the check and the server's refusal, so that the
 * permission findings still get printed. Other errors are thrown.
 */
async function unlessForbidden(what: string, check: () => Promise<PrecheckMessage[]>): Promise<PrecheckMessage[]> {
  try {
    return await check();
  } catch (err) {
    if (!(err instanceof KubeError) || err.status !== 403) throw err;
    return [message(PRECHECK_MESSAGES.CheckNotRun, 'Cluster', `Could not check ${what}: ${err.message}`)];
  }
}

/** Returns IST0142 when the server is older than Kubernetes 1.MIN_KUBERNETES_MINOR. */
export async function checkKubernetesVersion(client: KubeClient): Promise<PrecheckMessage[]> {
  const v = await client.serverVersion();
  const major = Number.parseInt(v.major, 10);
  const minor = Number.parseInt(v.minor, 10);
  if (Number.isNaN(major) || Number.isNaN(minor)) return [];
  if (major > 1 || major === 1 && minor >= MIN_KUBERNETES_MINOR) return [];
  return [message(PRECHECK_MESSAGES.UnsupportedKubernetesVersion, 'Cluster', v.gitVersion || `v${v.major}.${v.minor}`, `1.${MIN_KUBERNETES_MINOR}`)];
}

/** Returns IST0141 for every resource of REQUIRED_PERMISSIONS the user may not create. */
export async function checkPermissions(client: KubeClient, istioNamespace: string): Promise<PrecheckMessage[]> {
  const answers = await Promise.all(REQUIRED_PERMISSIONS.map((p) => client.canI('create', p.group, p.resource, p.namespaced ? istioNamespace : undefined)));
  const out: PrecheckMessage[] = [];
  REQUIRED_PERMISSIONS.forEach((p, i) => {
    const a = answers[i]!;
    if (!a.allowed) out.push(message(PRECHECK_MESSAGES.InsufficientPermissions, 'Cluster', p.resource, a.reason || 'permission denied'));
  });
  return out;
}

/**
 * Returns IST0156 for each Gateway API CRD (Gateway, GatewayClass, HTTPRoute, ReferenceGrant)
 * that does not serve `v1`; having no Gateway API CRDs at all is fine.
 */
export async function checkGatewayApi(client: KubeClient): Promise<PrecheckMessage[]> {
  const kinds = new Set(['Gateway', 'GatewayClass', 'HTTPRoute', 'ReferenceGrant']);
  const out: PrecheckMessage[] = [];
  for await (const crd of client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')) {
    const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] };
    if (spec.group !== 'gateway.networking.k8s.io' || !kinds.has(spec.names?.kind ?? '')) continue;
    const served = (spec.versions ?? []).filter((v) => v.served && v.name).map((v) => v.name!).sort();
    if (!served.includes(GATEWAY_API_VERSION)) {
      out.push(message(PRECHECK_MESSAGES.UnsupportedGatewayAPIVersion, `CustomResourceDefinition ${crd.metadata.name}`, served.join(',') || 'none', GATEWAY_API_VERSION));
    }
  }
  return out;
}

/** One installation found in the cluster. */
export interface FoundInstallation {
  /** Revision label value (`default` for the default revision). */
  revision: string;
  /** Namespace of the control plane. */
  namespace: string;
  /** Istio version: from the installed state, else from the istiod image, else `unknown`. */
  version: string;
  /** Profile, when meshctl installed it. */
  profile?: string;
  /** How it was found. */
  source: 'installed state' | 'istiod pods';
}

/**
 * Returns the installations in the cluster: meshctl's installed-state records (ConfigMaps in any
 * namespace) and ready istiod pods (`app=istiod`) that no record covers, one entry per
 * revision and namespace, sorted.
 */
export async function findInstallations(client: KubeClient): Promise<FoundInstallation[]> {
  const found = new Map<string, FoundInstallation>();
  const base = stateConfigMapName('');
  for await (const cm of client.list('v1', 'ConfigMap', { labelSelector: `${LABEL.component}=Base,app.kubernetes.io/managed-by=meshctl` })) {
    const name = cm.metadata.name;
    const ns = cm.metadata.namespace ?? '';
    if (name !== base && !name.startsWith(`${base}-`)) continue;
    const revision = name === base ? '' : name.slice(base.length + 1);
    const state = await readInstalledState(client, ns, revision);
    if (!state) continue;
    found.set(`${ns}/${revision || 'default'}`, {
      revision: revision || 'default', namespace: ns, version: state.istioVersion || 'unknown', source: 'installed state',
      ...(state.profile ? { profile: state.profile } : {}),
    });
  }
  for await (const pod of client.list<K8sObject>('v1', 'Pod', { labelSelector: 'app=istiod' })) {
    const cp = controlPlaneOf(pod as unknown as Parameters<typeof controlPlaneOf>[0]);
    if (!cp) continue;
    const ns = pod.metadata.namespace ?? '';
    const key = `${ns}/${cp.revision}`;
    if (!found.has(key)) found.set(key, { revision: cp.revision, namespace: ns, version: cp.version, source: 'istiod pods' });
  }
  return [...found.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.revision.localeCompare(b.revision));
}

/**
 * Returns how installing `target` over `installed` relates to Istio's upgrade policy: upgrades go
 * one minor version at a time (two with canary revisions), and downgrades are not supported
 * in place (istio.io "Supported releases" and upgrade guides). Returns `{ within, text }`.
 */
export function upgradeVerdict(installed: string, target: string): { within: boolean; text: string } {
  const steps = minorGap(installed, target);
  const to = minorOf(target);
  if (steps === undefined || !to) return { within: true, text: `installing ${target} would replace version ${installed}, which could not be compared` };
  const cmp = compareVersions(target, installed);
  if (cmp === 0) return { within: true, text: `installing ${target} again would reconfigure it in place` };
  if (cmp > 0 && steps <= 1) return { within: true, text: `installing ${target} would be an upgrade within Istio's policy (at most one minor version at a time)` };
  if (cmp > 0) {
    return { within: false, text: `installing ${target} would skip ${steps - 1} minor version(s); Istio supports upgrading one minor version at a time (two with a canary revision): upgrade through 1.${to.minor - 1} first, or install ${target} as a new revision (-r) and move workloads over` };
  }
  return { within: false, text: `installing ${target} would downgrade it; Istio does not support in-place downgrades: install ${target} as a separate revision (-r) instead` };
}

/**
 * Returns MSH0101 (Info) for each installation found, saying which revision and version it is and
 * what installing this client's version would mean; for the revision being installed (`-r`, default
 * revision otherwise) an upgrade outside policy is MSH0102 (Warning) instead.
 */
export async function checkExistingInstallation(client: KubeClient, opts: PrecheckOptions): Promise<PrecheckMessage[]> {
  const target = opts.istioVersion ?? ISTIO_VERSION;
  const revision = opts.revision || 'default';
  const out: PrecheckMessage[] = [];
  for (const inst of await findInstallations(client)) {
    const what = `Istio ${inst.version} is installed (revision "${inst.revision}", namespace ${inst.namespace}${inst.profile ? `, profile "${inst.profile}"` : ''}; found by its ${inst.source})`;
    const origin = 'Cluster';
    if (inst.revision !== revision) {
      out.push(message(PRECHECK_MESSAGES.ExistingInstallation, origin, `${what}; installing revision "${revision}" would add a control plane beside it`));
      continue;
    }
    const verdict = upgradeVerdict(inst.version, target);
    out.push(message(verdict.within ? PRECHECK_MESSAGES.ExistingInstallation : PRECHECK_MESSAGES.UpgradeOutsidePolicy, origin, `${what}; ${verdict.text}`));
  }
  return out;
}

/** Returns the documentation URL of a precheck code: Istio's analysis reference, or the supported-releases page for meshctl's own. */
export function precheckDocumentationUrl(code: string): string {
  if (code.startsWith('IST')) return `https://istio.io/v1.30/docs/reference/config/analysis/${code.toLowerCase()}/`;
  return 'https://istio.io/latest/docs/releases/supported-releases/';
}
