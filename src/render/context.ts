/** What every component renderer reads: the resolved configuration and naming helpers. */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import type { MeshConfiguration, RenderAssets } from './config.js';
import { getPath, parsePath } from './tree.js';
import { ISTIO_VERSION } from '../istio-version.js';

/** The Istio release whose resources meshctl renders (src/istio-version.ts). */
export { ISTIO_VERSION };

/** Names of upstream's charts, used in the `helm.sh/chart` label as istioctl renders it. */
export type ChartName = 'base' | 'istiod' | 'istio-ingress' | 'istio-egress' | 'ztunnel' | 'cni';

export interface RenderContext {
  config: MeshConfiguration;
  assets: RenderAssets;
  /** Install namespace. */
  ns: string;
  /** Revision, `""` for the default one. */
  rev: string;
  /** Value of the `istio.io/rev` label: the revision or `default`. */
  revLabel: string;
  /** Name suffix for revisioned objects: `-<rev>` or `""`. */
  suffix: string;
  /** The target cluster's Kubernetes git version, when rendering for a known cluster (charts read it from .Capabilities). */
  kubernetesGitVersion?: string;
}

/** Builds the render context for a resolved configuration (and, when known, the target cluster's Kubernetes git version). */
export function makeContext(config: MeshConfiguration, assets: RenderAssets, cluster: { kubernetesGitVersion?: string } = {}): RenderContext {
  const rev = config.revision;
  return {
    config, assets, ns: config.namespace, rev, revLabel: rev || 'default', suffix: rev ? `-${rev}` : '',
    ...(cluster.kubernetesGitVersion !== undefined ? { kubernetesGitVersion: cluster.kubernetesGitVersion } : {}),
  };
}

/** Returns the value at a dotted path of the values tree (`pilot.autoscaleEnabled`), or undefined. */
export function val(ctx: RenderContext, path: string): Json | undefined {
  return getPath(ctx.config.values, parsePath(path));
}

/** Returns a values map at `path` (an empty map when unset or not a map). */
export function valMap(ctx: RenderContext, path: string): JsonObject {
  const v = val(ctx, path);
  return isObject(v) ? v : {};
}

/** Returns a values string at `path`, `fallback` when unset or empty. */
export function valStr(ctx: RenderContext, path: string, fallback = ''): string {
  const v = val(ctx, path);
  return v === undefined || v === null || v === '' ? fallback : String(v);
}

/** Returns true when the value at `path` is truthy as a Helm template would judge it. */
export function valTrue(ctx: RenderContext, path: string): boolean {
  return truthy(val(ctx, path));
}

/** Go-template truthiness: false, 0, "", null, empty list and empty map are false. */
export function truthy(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** The five `app.kubernetes.io`/`helm.sh` labels every rendered object carries (per Istio 1.30.3 `istio.labels`). */
export function chartLabels(chart: ChartName): Record<string, string> {
  return {
    'app.kubernetes.io/instance': 'istio',
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/part-of': 'istio',
    'app.kubernetes.io/version': ISTIO_VERSION,
    'helm.sh/chart': `${chart}-${ISTIO_VERSION}`,
  };
}

/** Labels of installed (owned) objects: revision, owner and component (per Istio 1.30.3 charts). */
export function ownedLabels(ctx: RenderContext, component: string): Record<string, string> {
  return {
    'istio.io/rev': ctx.revLabel,
    'install.operator.istio.io/owning-resource': 'unknown',
    'operator.istio.io/component': component,
  };
}

/** Returns `image` as `<hub>/<name>:<tag>[-<variant>]`, or `name` verbatim when it already holds a `/`. */
export function imageRef(hub: string, name: string, tag: string, variant: string): string {
  if (name.includes('/')) return name;
  return `${hub}/${name}:${tag}${variant ? `-${variant}` : ''}`;
}

/** Returns a copy of a string map with every value as a string (Kubernetes labels and annotations). */
export function stringMap(m: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}
