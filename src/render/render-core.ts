/**
 * Rendering: a resolved configuration -> the ordered Kubernetes objects of an installation.
 * Components are a data table; each enabled one renders its objects, its `k8s` settings are
 * applied, and the whole set is sorted into install order. The YAML reader for text in `k8s.overlays`
 * patch values is passed in (render.ts passes the yaml package's), so that rendering without overlays
 * (`manifest generate --set profile=demo`) does not load the reader.
 */
import { ConfigValueError } from '../errors.js';
import { apiGroup, isObject, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { configErrorAt, type MeshConfiguration, type RenderAssets } from './resolve.js';
import { makeContext, type RenderContext } from './context.js';
import { renderBase } from './components/base.js';
import { isRemote, renderPilot, withChartValues } from './components/pilot.js';
import { enabledGateways, renderGateway } from './components/gateways.js';
import { renderZtunnel, ZTUNNEL_DAEMONSET, ztunnelK8sWarning } from './components/ztunnel.js';
import { CNI_CONTAINER, CNI_DAEMONSET, renderCni } from './components/cni.js';
import { applyK8sSettings, type YamlReader } from './k8s-settings.js';

/** The components meshctl renders, with istioctl's names (operator/pkg/component/component.go). */
export type ComponentName = 'Base' | 'Pilot' | 'IngressGateways' | 'EgressGateways' | 'Ztunnel' | 'Cni';

/** One rendered object and the component it belongs to. */
export interface RenderedObject {
  component: ComponentName;
  object: K8sObject;
}

/** The result of rendering: objects in install order. */
export interface Rendering {
  objects: RenderedObject[];
  warnings: string[];
}

interface ComponentDef {
  name: ComponentName;
  /** Key under spec.components. */
  specKey: string;
  render: (ctx: RenderContext) => { objects: K8sObject[]; workload: string; container: string; path: string; specPath: (string | number)[]; k8s: JsonObject }[];
}

function componentSpec(ctx: RenderContext, key: string): JsonObject {
  const comps = ctx.config.spec.components;
  const c = isObject(comps) ? comps[key] : undefined;
  return isObject(c) ? c : {};
}

/**
 * Whether istioctl renders a single component: its `spec.components` entry is there and does not say
 * `enabled: false` (operator/pkg/component/component.go, `Enabled.GetValueOrTrue()`), so an entry that only sets
 * `namespace` or `k8s` turns the component on; base and pilot also when absent (their `Default`).
 */
function enabled(ctx: RenderContext, key: string): boolean {
  const comps = ctx.config.spec.components;
  const c = isObject(comps) ? comps[key] : undefined;
  if (c === undefined) return key === 'base' || key === 'pilot';
  return isObject(c) && c.enabled !== false;
}

/**
 * Returns the context a single component renders in: its own `namespace` when the component sets one (as
 * istioctl renders that component's chart into it), else the install namespace.
 */
function inComponentNamespace(ctx: RenderContext, key: string): RenderContext {
  const ns = componentSpec(ctx, key).namespace;
  return typeof ns === 'string' && ns !== '' ? { ...ctx, ns } : ctx;
}

function overlaysOnly(spec: JsonObject): JsonObject {
  const overlays = k8sOf(spec).overlays;
  return overlays === undefined ? {} : { overlays };
}

function k8sOf(spec: JsonObject): JsonObject {
  return isObject(spec.k8s) ? spec.k8s : {};
}

function gatewayComponent(kind: 'ingress' | 'egress'): ComponentDef['render'] {
  const key = kind === 'ingress' ? 'ingressGateways' : 'egressGateways';
  return (ctx) => enabledGateways(ctx, kind).map((gw) => ({
    objects: renderGateway(ctx, gw), workload: gw.name, container: 'istio-proxy', path: `components.${key}[name:${gw.name}]`, specPath: ['components', key, gw.index], k8s: gw.k8s,
  }));
}

/** The component table, in dependency order (Base before Pilot before gateways). */
const COMPONENTS: ComponentDef[] = [
  {
    name: 'Base', specKey: 'base',
    // Of its k8s settings istioctl applies only the overlays to Base: its resource has no name to patch. Without
    // overlays, which may patch a CRD's schema, the CRDs share their schemas with the assets (no copying).
    render: (ctx) => {
      if (!enabled(ctx, 'base')) return [];
      const k8s = overlaysOnly(componentSpec(ctx, 'base'));
      const objects = renderBase(inComponentNamespace(ctx, 'base'), k8s.overlays === undefined ? 'share' : 'copy');
      return [{ objects, workload: '', container: '', path: 'components.base', specPath: ['components', 'base'], k8s }];
    },
  },
  {
    name: 'Pilot', specKey: 'pilot',
    render: (ctx) => enabled(ctx, 'pilot')
      ? [{ objects: renderPilot(withChartValues(inComponentNamespace(ctx, 'pilot'))), workload: `istiod${ctx.suffix}`, container: 'discovery', path: 'components.pilot', specPath: ['components', 'pilot'], k8s: k8sOf(componentSpec(ctx, 'pilot')) }]
      : [],
  },
  {
    name: 'Cni', specKey: 'cni',
    render: (ctx) => enabled(ctx, 'cni')
      ? [{ objects: renderCni(inComponentNamespace(ctx, 'cni')), workload: CNI_DAEMONSET, container: CNI_CONTAINER, path: 'components.cni', specPath: ['components', 'cni'], k8s: k8sOf(componentSpec(ctx, 'cni')) }]
      : [],
  },
  {
    // istioctl patches the DaemonSet named after the component (`ztunnel`), whatever values.ztunnel.resourceName says.
    name: 'Ztunnel', specKey: 'ztunnel',
    render: (ctx) => enabled(ctx, 'ztunnel')
      ? [{ objects: renderZtunnel(inComponentNamespace(ctx, 'ztunnel')), workload: ZTUNNEL_DAEMONSET, container: 'istio-proxy', path: 'components.ztunnel', specPath: ['components', 'ztunnel'], k8s: k8sOf(componentSpec(ctx, 'ztunnel')) }]
      : [],
  },
  { name: 'IngressGateways', specKey: 'ingressGateways', render: gatewayComponent('ingress') },
  { name: 'EgressGateways', specKey: 'egressGateways', render: gatewayComponent('egress') },
];

/** What renderManifests knows about the cluster it renders for. */
export interface RenderOptions {
  /**
   * The cluster's Kubernetes git version (`v1.35.0-gke.100`), when rendering for a cluster; without it meshctl
   * renders as istioctl does without one. The istio-cni chart reads it for its bin dir when `cniBinDir` is empty.
   */
  kubernetesGitVersion?: string;
}

/**
 * Returns the objects of the configuration in install order, reading YAML text in `k8s.overlays` patch values
 * with `readYaml`. Throws, for a `k8s.overlays` entry that is malformed or matches nothing, or two gateway entries
 * that are one gateway: a DataError at the value's `file:line:column` when an `-f` file set it, a UsageError naming
 * the `--set` flag when a flag did, else a UsageError (see configErrorAt); without `readYaml`, a NeedsYamlReader
 * error when a patch value is text to read as YAML (render again with a reader).
 */
export function renderManifestsWith(config: MeshConfiguration, assets: RenderAssets, options: RenderOptions, readYaml: YamlReader | undefined): Rendering {
  try {
    return renderObjects(config, assets, options, readYaml);
  } catch (err) {
    throw err instanceof ConfigValueError ? configErrorAt(config.origins, err.path, err.message) : err;
  }
}

function renderObjects(config: MeshConfiguration, assets: RenderAssets, options: RenderOptions, readYaml: YamlReader | undefined): Rendering {
  const ctx = makeContext(config, assets, options);
  const objects: RenderedObject[] = [];
  for (const def of COMPONENTS) {
    for (const part of def.render(ctx)) {
      applyK8sSettings({ ...part, readYaml });
      for (const object of part.objects) objects.push({ component: def.name, object });
    }
  }
  const warnings = [...config.warnings];
  if (isRemote(ctx) && enabled(ctx, 'pilot')) warnings.push('remote profile: no istiod is rendered; the injection webhook points at the external control plane');
  const ztunnelWarning = ztunnelK8sWarning(k8sOf(componentSpec(ctx, 'ztunnel')), objects.filter((o) => o.component === 'Ztunnel').map((o) => o.object));
  if (ztunnelWarning) warnings.push(ztunnelWarning);
  return { objects: sortForInstall(objects), warnings };
}

/**
 * Rank of a kind in istioctl's output order (operator/cmd/mesh/manifest-generate.go, `objectKindOrdering`, Istio
 * 1.30.3), keyed by `group/kind`: CRDs first (they take a while to be served and instances follow), then
 * ServiceAccounts and ClusterRoles, ClusterRoleBindings, the validating webhook (a fail-open copy replaces a
 * fail-closed leftover before anything else is applied), ConfigMaps, Deployments and every kind not listed,
 * autoscalers, and Services last. Role, RoleBinding, MutatingWebhookConfiguration, Secret and
 * PodDisruptionBudget are not listed upstream, so they sit with the Deployments.
 */
const KIND_ORDER: Record<string, number> = {
  'apiextensions.k8s.io/CustomResourceDefinition': -1000,
  '/ServiceAccount': 1, 'rbac.authorization.k8s.io/ClusterRole': 1,
  'rbac.authorization.k8s.io/ClusterRoleBinding': 2,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': 3,
  '/ConfigMap': 100,
  'autoscaling/HorizontalPodAutoscaler': 1001,
  '/Service': 10000,
};

/**
 * Returns the objects in istioctl's order (DESIGN.md rule 10): by kind rank (`KIND_ORDER`), then API group,
 * kind and name, as istioctl's stable sort compares them; objects equal in all four (one name in two
 * namespaces) keep their rendering order.
 */
export function sortForInstall<T extends { object: K8sObject }>(items: readonly T[]): T[] {
  const rank = (o: K8sObject) => KIND_ORDER[`${apiGroup(o.apiVersion)}/${o.kind}`] ?? 1000;
  return [...items].sort((a, b) => {
    const x = a.object, y = b.object;
    return rank(x) - rank(y)
      || cmp(apiGroup(x.apiVersion), apiGroup(y.apiVersion))
      || cmp(x.kind, y.kind)
      || cmp(x.metadata.name, y.metadata.name);
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
