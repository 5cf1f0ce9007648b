/**
 * `x precheck`: can Istio be installed (or upgraded) into this cluster? Checks the Kubernetes
 * version (IST0142), permission to create what an installation creates, by
 * SelfSubjectAccessReview (IST0141), the served versions of Gateway API CRDs (IST0156, IST0172),
 * and any existing installation (meshctl's installed-state records and running istiod pods), after
 * istioctl's precheck (istioctl/pkg/precheck/precheck.go, Istio 1.30.3). istioctl checks nothing
 * of ambient mode or the platform; meshctl adds what ambient needs (the Gateway API CRDs its
 * waypoints are made of, at the release Istio 1.30.3 builds against) and the platform settings
 * the CNI node agent needs on distributions with their own CNI folders, when told what is meant
 * to be installed: warnings when that runs those components, else Info.
 *
 * The IST messages are Istio's (messages.yaml, Istio 1.30.3). They live here rather than in the
 * analyzer catalog because no analyzer reports them and their origin is the cluster, not a
 * resource. The other messages are meshctl's own (codes MSH0101-MSH0105).
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

/** The version istioctl 1.30.3's precheck requires of the Gateway API's beta kinds (IST0156). */
export const GATEWAY_API_BETA_VERSION = 'v1beta1';

/** The Gateway API release Istio 1.30.3 builds against (its go.mod: sigs.k8s.io/gateway-api v1.5.1). */
export const GATEWAY_API_RELEASE = 'v1.5.1';

/** How istio.io installs the standard channel of that release. */
const GATEWAY_API_INSTALL = `kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_RELEASE}/standard-install.yaml`;

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
  FutureUnsupportedGatewayAPIVersion: {
    name: 'FutureUnsupportedGatewayAPIVersion', code: 'IST0172', level: 'Warning',
    template: 'The Gateway API CRD version %v is lower than the minimum version: %v',
    summary: 'The Gateway API CRD version will not be supported in the future.',
  },
  GatewayAPIForAmbient: {
    name: 'GatewayAPIForAmbient', code: 'MSH0104', level: 'Warning',
    template: '%s',
    summary: 'Ambient mode\'s waypoints need the Gateway API CRDs of the release Istio builds against.',
  },
  GatewayAPIForAmbientInfo: {
    name: 'GatewayAPIForAmbient', code: 'MSH0104', level: 'Info',
    template: '%s',
    summary: 'Ambient mode\'s waypoints need the Gateway API CRDs of the release Istio builds against.',
  },
  PlatformSettings: {
    name: 'PlatformSettings', code: 'MSH0105', level: 'Warning',
    template: '%s',
    summary: 'The CNI node agent needs the platform\'s settings on this cluster.',
  },
  PlatformSettingsInfo: {
    name: 'PlatformSettings', code: 'MSH0105', level: 'Info',
    template: '%s',
    summary: 'The CNI node agent needs the platform\'s settings on this cluster.',
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
  /**
   * What the configuration meant to be installed runs (`-f`/`--set`). Only with a plan are
   * ambient's and the platform's findings looked for (istioctl's precheck has neither): warnings
   * for a plan that runs ztunnel or the CNI node agent, Info otherwise.
   */
  plan?: InstallPlan;
}

/** The parts of a planned installation precheck judges. */
export interface InstallPlan {
  profile: string;
  /** components.cni.enabled. */
  cni: boolean;
  /** components.ztunnel.enabled. */
  ztunnel: boolean;
  /** values.global.platform, '' when unset. */
  platform: string;
}

/**
 * Runs every check and returns the findings sorted by level (worst first), then code, then
 * origin. A check the user may not read the objects for (403) becomes MSH0103. Throws KubeError /
 * ClusterUnreachableError when the cluster cannot be read at all.
 */
export async function precheck(client: KubeClient, opts: PrecheckOptions): Promise<PrecheckMessage[]> {
  const msgs: PrecheckMessage[] = [];
  msgs.push(...await checkKubernetesVersion(client));
  msgs.push(...await checkPermissions(client, opts.istioNamespace, opts.plan));
  msgs.push(...await unlessForbidden('the Gateway API CRD versions (IST0156)', () => checkGatewayApi(client)));
  const plan = opts.plan;
  if (plan) {
    msgs.push(...await unlessForbidden('the Gateway API CRDs ambient mode needs (MSH0104)', () => checkGatewayApiForAmbient(client, plan)));
    msgs.push(...await unlessForbidden('the platform the CNI node agent runs on (MSH0105)', () => checkPlatform(client, plan)));
  }
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

/**
 * Returns IST0141 for every resource of REQUIRED_PERMISSIONS the user may not create; with a plan
 * that runs the CNI node agent or ztunnel, also daemonsets (both are DaemonSets).
 */
export async function checkPermissions(client: KubeClient, istioNamespace: string, plan?: InstallPlan): Promise<PrecheckMessage[]> {
  const required = plan && (plan.cni || plan.ztunnel)
    ? [...REQUIRED_PERMISSIONS, { group: 'apps', resource: 'daemonsets', namespaced: true }]
    : REQUIRED_PERMISSIONS;
  const answers = await Promise.all(required.map((p) => client.canI('create', p.group, p.resource, p.namespaced ? istioNamespace : undefined)));
  const out: PrecheckMessage[] = [];
  required.forEach((p, i) => {
    const a = answers[i]!;
    if (!a.allowed) out.push(message(PRECHECK_MESSAGES.InsufficientPermissions, 'Cluster', p.resource, a.reason || 'permission denied'));
  });
  return out;
}

/** Kinds istioctl 1.30.3's precheck requires to serve v1beta1 (IST0156, Error). */
const GATEWAY_API_BETA_KINDS: ReadonlySet<string> = new Set(['Gateway', 'GatewayClass', 'HTTPRoute', 'ReferenceGrant']);
/** Kinds it expects to serve v1 (IST0172, Warning: support of older versions will end). */
const GATEWAY_API_STABLE_KINDS: ReadonlySet<string> = new Set(['Gateway', 'GatewayClass', 'HTTPRoute', 'GRPCRoute']);

/**
 * Returns, per istioctl 1.30.3's precheck (checkGatewayAPIs), IST0156 for each Gateway API CRD of
 * Gateway, GatewayClass, HTTPRoute or ReferenceGrant that does not serve `v1beta1`, and IST0172 for
 * each of Gateway, GatewayClass, HTTPRoute or GRPCRoute that does not serve `v1`; the served
 * versions are listed sorted (`none` when none is served). Having no Gateway API CRDs at all is
 * fine here (see checkGatewayApiForAmbient).
 */
export async function checkGatewayApi(client: KubeClient): Promise<PrecheckMessage[]> {
  const out: PrecheckMessage[] = [];
  for await (const crd of client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')) {
    const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] };
    if (spec.group !== 'gateway.networking.k8s.io') continue;
    const kind = spec.names?.kind ?? '';
    const served = (spec.versions ?? []).filter((v) => v.served && v.name).map((v) => v.name!).sort();
    const has = served.join(',') || 'none';
    const origin = `CustomResourceDefinition ${crd.metadata.name}`;
    if (GATEWAY_API_BETA_KINDS.has(kind) && !served.includes(GATEWAY_API_BETA_VERSION)) {
      out.push(message(PRECHECK_MESSAGES.UnsupportedGatewayAPIVersion, origin, has, GATEWAY_API_BETA_VERSION));
    }
    if (GATEWAY_API_STABLE_KINDS.has(kind) && !served.includes(GATEWAY_API_VERSION)) {
      out.push(message(PRECHECK_MESSAGES.FutureUnsupportedGatewayAPIVersion, origin, has, GATEWAY_API_VERSION));
    }
  }
  return out;
}

/** Returns `[major, minor, patch]` of `v1.5.1` (a leading `v` optional), undefined when it is no such version. */
function releaseOf(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/**
 * Returns MSH0104 when the cluster lacks what ambient mode's waypoints are made of: no Gateway CRD
 * (gateways.gateway.networking.k8s.io), or Gateway API CRDs whose bundle version (the
 * `gateway.networking.k8s.io/bundle-version` annotation of the Gateway CRD) is an older minor
 * release than the v1.5 Istio 1.30.3 builds against. Each names the command that installs the
 * standard channel of v1.5.1. A Warning when `plan` runs ztunnel, Info otherwise (and without a plan).
 */
export async function checkGatewayApiForAmbient(client: KubeClient, plan?: InstallPlan): Promise<PrecheckMessage[]> {
  const type = plan?.ztunnel ? PRECHECK_MESSAGES.GatewayAPIForAmbient : PRECHECK_MESSAGES.GatewayAPIForAmbientInfo;
  const why = plan?.ztunnel ? `profile "${plan.profile}" runs ambient mode, whose waypoints are Gateways of class istio-waypoint` : 'ambient mode\'s waypoints are Gateways of class istio-waypoint';
  const crd = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'gateways.gateway.networking.k8s.io' });
  if (!crd) {
    return [message(type, 'Cluster', `The Gateway API CRDs are not installed; ${why}. Install the standard channel of ${GATEWAY_API_RELEASE}, the release Istio ${ISTIO_VERSION} builds against: ${GATEWAY_API_INSTALL}`)];
  }
  const bundle = crd.metadata.annotations?.['gateway.networking.k8s.io/bundle-version'] ?? '';
  const have = releaseOf(bundle);
  const want = releaseOf(GATEWAY_API_RELEASE)!;
  if (!have || have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1])) return [];
  const channel = crd.metadata.annotations?.['gateway.networking.k8s.io/channel'];
  return [message(type, `CustomResourceDefinition ${crd.metadata.name}`, `The Gateway API CRDs are release ${bundle}${channel ? ` (${channel} channel)` : ''}, older than ${GATEWAY_API_RELEASE}, the release Istio ${ISTIO_VERSION} builds against; ${why}. Upgrade them: ${GATEWAY_API_INSTALL}`)];
}

/** A Kubernetes distribution whose CNI folders differ from the usual ones, with the istio-cni chart's platform settings for it. */
interface PlatformRule {
  /** values.global.platform (the charts' files/profile-platform-<name>.yaml). */
  platform: string;
  /** What the chart's platform profile sets, for the message (Istio 1.30.3). */
  settings: string;
}

/** The istio-cni chart's platform profiles that move the CNI node agent's folders (manifests/charts/istio-cni/files/profile-platform-*.yaml, Istio 1.30.3). */
const PLATFORM_RULES: Record<string, PlatformRule> = {
  k3d: { platform: 'k3d', settings: 'cniConfDir /var/lib/rancher/k3s/agent/etc/cni/net.d, cniBinDir /bin' },
  k3s: { platform: 'k3s', settings: 'cniConfDir /var/lib/rancher/k3s/agent/etc/cni/net.d, cniBinDir /var/lib/rancher/k3s/data/cni' },
  microk8s: { platform: 'microk8s', settings: 'cniConfDir /var/snap/microk8s/current/args/cni-network, cniBinDir /var/snap/microk8s/current/opt/cni/bin' },
  minikube: { platform: 'minikube', settings: 'cniNetnsDir /var/run/docker/netns' },
  openshift: { platform: 'openshift', settings: 'cniBinDir /var/lib/cni/bin, cniConfDir /etc/cni/multus/net.d, the multus provider, and the node agent in kube-system' },
};

/**
 * Returns the distribution the cluster looks like, with the evidence, or undefined: OpenShift when
 * the server serves config.openshift.io (its ClusterVersion), minikube and MicroK8s by the labels
 * they put on their Nodes (`minikube.k8s.io/name`, `microk8s.io/cluster`), k3d by its Node names
 * (`k3d-<cluster>-...`) on a k3s kubelet, k3s by a `+k3s` kubelet or server version.
 */
export async function detectPlatform(client: KubeClient): Promise<{ platform: string; evidence: string } | undefined> {
  if (await client.resourceFor('config.openshift.io/v1', 'ClusterVersion')) return { platform: 'openshift', evidence: 'the server serves config.openshift.io' };
  let k3sNode: { name: string; version: string } | undefined;
  for await (const node of client.list('v1', 'Node')) {
    const labels = node.metadata.labels ?? {};
    const name = node.metadata.name;
    if (labels['minikube.k8s.io/name'] !== undefined) return { platform: 'minikube', evidence: `Node ${name} is labelled minikube.k8s.io/name` };
    if (labels['microk8s.io/cluster'] !== undefined) return { platform: 'microk8s', evidence: `Node ${name} is labelled microk8s.io/cluster` };
    const version = String((node.status as { nodeInfo?: { kubeletVersion?: unknown } } | undefined)?.nodeInfo?.kubeletVersion ?? '');
    if (version.includes('+k3s')) {
      if (name.startsWith('k3d-')) return { platform: 'k3d', evidence: `Node ${name} runs k3s ${version} under k3d` };
      k3sNode ??= { name, version };
    }
  }
  if (k3sNode) return { platform: 'k3s', evidence: `Node ${k3sNode.name} runs kubelet ${k3sNode.version}` };
  const server = await client.serverVersion();
  if (server.gitVersion.includes('+k3s')) return { platform: 'k3s', evidence: `the server is ${server.gitVersion}` };
  return undefined;
}

/**
 * Returns MSH0105 when the cluster looks like a distribution whose CNI folders the istio-cni
 * chart's platform profiles move (k3d, k3s, MicroK8s, minikube, OpenShift) and the plan does not
 * set that platform: without it the CNI node agent writes its configuration where the cluster's
 * CNI never reads it. A Warning when `plan` runs the CNI node agent, Info otherwise (and without a
 * plan). For OpenShift the message names the openshift profiles, which set the platform.
 */
export async function checkPlatform(client: KubeClient, plan?: InstallPlan): Promise<PrecheckMessage[]> {
  const found = await detectPlatform(client);
  if (!found) return [];
  const rule = PLATFORM_RULES[found.platform]!;
  if (plan?.platform === rule.platform) return [];
  const type = plan?.cni ? PRECHECK_MESSAGES.PlatformSettings : PRECHECK_MESSAGES.PlatformSettingsInfo;
  const how = rule.platform === 'openshift'
    ? 'install with --set profile=openshift (sidecars) or --set profile=openshift-ambient (ambient), which set values.global.platform=openshift'
    : `install with --set values.global.platform=${rule.platform}`;
  const who = plan?.cni ? `profile "${plan.profile}" runs the CNI node agent, which needs` : 'the CNI node agent (ambient mode, or components.cni) needs';
  return [message(type, 'Cluster', `The cluster looks like ${rule.platform} (${found.evidence}); ${who} that platform's settings (${rule.settings}): ${how}`)];
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
