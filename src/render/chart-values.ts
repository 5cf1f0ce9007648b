/**
 * The values each upstream chart renders with, built the way istioctl 1.30.3 and the charts build them. Every
 * component renders from one chart; this module gives each the two trees the chart sees:
 *
 * 1. `original`, what istioctl hands the chart (operator/pkg/render/manifest.go `MergeInputs` and
 *    `applyComponentValuesToHelmValues`): istioctl's default profile's values < the selected profile's values
 *    < the values detected for the cluster (GKE) < the user's values; the top-level IstioOperator fields copied
 *    in (`hub`, `tag`, `revision`, `meshConfig`, `compatibilityVersion`); `pilot.enabled` and `pilot.cni.enabled`
 *    following the pilot and cni components;
 *    the user's values merged once more so that they win over those copies. Then, per component, its own
 *    `hub`/`tag` land under the component's values root (`pilot`, `cni`, `ztunnel`, `global` for base), and a
 *    chart that takes its values unprefixed (ztunnel) gets `global`, the top-level scalars and its own subtree
 *    as the whole tree.
 * 2. `merged`, what the chart's templates see (each chart's templates/zzz_profile.yaml, then zzy_descope_legacy.yaml
 *    where the chart has one): the chart's defaults < the overlays of `profile` (or `global.profile`), then
 *    `compatibilityVersion`, then `platform` (or `global.platform`); a chart that flattens globals (ztunnel)
 *    also takes the overlay's and the handed `global` onto its top level; then `original` over all of it; and
 *    last, a chart with a legacy scope (istio-discovery: `pilot`, istio-cni: `cni`) merges that subtree onto
 *    its top level.
 *
 * Each merge: maps merge key by key; anything else (lists, scalars, null) replaces.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import { ConfigValueError } from '../errors.js';
import { mergeOverlay } from './tree.js';
import { truthy } from './context.js';
import type { MeshConfiguration } from './config.js';

/** Upstream chart directories istioctl renders (operator/pkg/component/component.go `HelmSubdir`, last segment). */
export type ChartId = 'base' | 'istio-discovery' | 'istio-cni' | 'ztunnel' | 'istio-ingress' | 'istio-egress';

/** Shape of `manifests/charts.yaml`. */
export interface ChartData {
  /** Profile name -> `spec.values` of istioctl's profile of that name; `default` is the base of the others. */
  istioctlProfileValues: Record<string, JsonObject>;
  /** Chart -> the chart's built-in values (its values.yaml `_internal_defaults_do_not_set`), in the chart's shape. */
  chartDefaults: Partial<Record<ChartId, JsonObject>>;
  /** `profile` name -> the overlay every chart applies for it (files/profile-<name>.yaml). */
  chartProfiles: Record<string, JsonObject>;
  /** `compatibilityVersion` (`1.28`) -> the overlay restoring that release's behaviour. */
  chartCompatibilityVersions: Record<string, JsonObject>;
  /** `platform` name -> the overlay for that platform (files/profile-platform-<name>.yaml). */
  chartPlatforms: Record<string, JsonObject>;
}

/** How istioctl and a chart treat the chart's values. */
export interface ChartShape {
  /** Key under `spec.components`. */
  specKey: string;
  /** Where the component's values live in istioctl's values (`ToHelmValuesTreeRoot`); a component's hub/tag go there. */
  root: string;
  /** istioctl hands the chart only `global`, the top-level scalars and the root's subtree, unprefixed (`FlattenValues`). */
  flattenValues: boolean;
  /** The chart's zzz_profile.yaml merges the overlay's and the handed `global` onto its top level. */
  flattenGlobals: boolean;
  /** The chart's zzy_descope_legacy.yaml merges this subtree onto the top level, after everything else. */
  descope?: string;
}

/** The charts, as istioctl 1.30.3's component table and the charts' templates treat them. */
export const CHART_SHAPES: Record<ChartId, ChartShape> = {
  base: { specKey: 'base', root: 'global', flattenValues: false, flattenGlobals: false },
  'istio-discovery': { specKey: 'pilot', root: 'pilot', flattenValues: false, flattenGlobals: false, descope: 'pilot' },
  'istio-cni': { specKey: 'cni', root: 'cni', flattenValues: false, flattenGlobals: false, descope: 'cni' },
  ztunnel: { specKey: 'ztunnel', root: 'ztunnel', flattenValues: true, flattenGlobals: true },
  'istio-ingress': { specKey: 'ingressGateways', root: 'gateways.istio-ingressgateway', flattenValues: false, flattenGlobals: false },
  'istio-egress': { specKey: 'egressGateways', root: 'gateways.istio-egressgateway', flattenValues: false, flattenGlobals: false },
};

/** The inputs of the values: the selected profile, the user's spec and the fully merged spec. */
export interface ChartValuesInput {
  profile: string;
  /** The user's own IstioOperator spec (files then flags), without the profile. */
  userSpec: JsonObject;
  /** The merged IstioOperator spec (profile, files, flags): hub, tag and component enablement are read from it. */
  spec: JsonObject;
  /** The revision the rendering uses (`""` for the default one; meshctl reads `default` as `""`). */
  revision: string;
  /** IstioOperator spec settings detected for the cluster, between the profile and the user's (MeshConfiguration.clusterSettings). */
  clusterSettings?: JsonObject;
}

/** Returns the inputs of the chart values for a resolved configuration. */
export function chartInput(config: MeshConfiguration): ChartValuesInput {
  return {
    profile: config.profile, userSpec: config.userSpec, spec: config.spec, revision: config.revision,
    ...(config.clusterSettings ? { clusterSettings: config.clusterSettings } : {}),
  };
}

/** The two values trees of a chart. */
export interface ChartValues {
  /** What istioctl hands the chart. */
  original: JsonObject;
  /** What the chart's templates see. */
  merged: JsonObject;
}

function map(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

function merge(base: JsonObject, overlay: Json | undefined): JsonObject {
  return mergeOverlay(base, overlay) as JsonObject;
}

function enabled(spec: JsonObject, component: string): boolean {
  return map(map(spec.components)[component]).enabled === true;
}

/**
 * Returns the values istioctl hands every chart before per-component changes (`spec.values` after istioctl's
 * MergeInputs; see the module comment). meshctl's built-in values are not part of it: a chart's own defaults
 * sit under the profile overlays, so they must not come in through here.
 */
export function istioctlValues(data: ChartData, input: ChartValuesInput): JsonObject {
  const user = input.userSpec;
  const userValues = map(user.values);
  let values = structuredClone(map(data.istioctlProfileValues.default));
  if (input.profile !== 'default') values = merge(values, data.istioctlProfileValues[input.profile]);
  values = merge(values, map(input.clusterSettings).values);
  values = merge(values, userValues);

  const global = map((values.global = map(values.global)));
  if (typeof input.spec.hub === 'string') global.hub = input.spec.hub;
  if (input.spec.tag !== undefined && input.spec.tag !== null) global.tag = String(input.spec.tag);
  if (user.revision !== undefined && user.revision !== null) values.revision = input.revision;
  if (isObject(user.meshConfig)) values.meshConfig = merge(map(values.meshConfig), user.meshConfig);
  if (user.compatibilityVersion !== undefined && user.compatibilityVersion !== null) values.compatibilityVersion = String(user.compatibilityVersion);
  const pilot = (values.pilot = map(values.pilot));
  pilot.enabled = enabled(input.spec, 'pilot');
  pilot.cni = { ...map(pilot.cni), enabled: enabled(input.spec, 'cni') };
  return merge(values, userValues);
}

/**
 * Returns `values` as istioctl hands them to one component's chart (istioctl's applyComponentValuesToHelmValues,
 * gateways aside): the component's own `hub` and `tag` (from `componentSpec`, its `spec.components` entry) set
 * under the chart's values root, then, for a chart that takes its values unprefixed, `global`, the top-level
 * values that are not maps and the root's subtree as the whole tree. `values` is not changed.
 */
export function componentValues(chart: ChartId, values: JsonObject, componentSpec: JsonObject): JsonObject {
  const shape = CHART_SHAPES[chart];
  let out = structuredClone(values);
  const rootPath = shape.root.split('.');
  const setUnderRoot = (key: string, value: Json) => {
    let node = out;
    for (const step of rootPath) node = (node[step] = map(node[step]));
    node[key] = value;
  };
  if (typeof componentSpec.hub === 'string' && componentSpec.hub !== '') setUnderRoot('hub', componentSpec.hub);
  if (componentSpec.tag !== undefined && componentSpec.tag !== null && componentSpec.tag !== '') setUnderRoot('tag', String(componentSpec.tag));
  if (shape.flattenValues && isObject(out[shape.root])) {
    const flat: JsonObject = { global: out.global ?? null };
    for (const [k, v] of Object.entries(out)) if (!isObject(v)) flat[k] = v;
    out = { ...flat, ...map(out[shape.root]) };
  }
  return out;
}

/**
 * Returns the overlay a chart applies for the values it is handed: the profile's (`profile`, else
 * `global.profile`), then the compatibility version's, then the platform's (`platform`, else `global.platform`),
 * merged in that order (per Istio 1.30.3 zzz_profile.yaml). Throws ConfigValueError (a UsageError carrying the
 * IstioOperator path of the value, so that renderManifests can point at the flag or file that set it) for a
 * profile, compatibility version or platform the charts have no overlay for, as the chart fails on them.
 */
export function chartOverlay(data: ChartData, values: JsonObject): JsonObject {
  let overlay: JsonObject = {};
  const pick = (table: Record<string, JsonObject>, key: string, global: boolean, what: string) => {
    const own = values[key];
    const name = truthy(own) || !global ? own : map(values.global)[key];
    if (!truthy(name)) return;
    const found = table[String(name)];
    // istioctl copies spec.compatibilityVersion into the values: the IstioOperator field is where users set it.
    const path = !global ? [key] : truthy(own) ? ['values', key] : ['values', 'global', key];
    if (!found) throw new ConfigValueError(`unknown ${what} "${String(name)}" in ${path.join('.')} (known: ${Object.keys(table).sort().join(', ')})`, path);
    overlay = merge(overlay, found);
  };
  pick(data.chartProfiles, 'profile', true, 'chart profile');
  pick(data.chartCompatibilityVersions, 'compatibilityVersion', false, 'compatibility version');
  pick(data.chartPlatforms, 'platform', true, 'platform');
  return overlay;
}

/**
 * Returns what a chart's templates see for the values istioctl hands it (`original`) over the chart's
 * `defaults` (see the module comment, step 2). Throws ConfigValueError as chartOverlay does.
 */
export function chartMergedValues(data: ChartData, chart: ChartId, defaults: JsonObject, original: JsonObject): JsonObject {
  const shape = CHART_SHAPES[chart];
  const overlay = chartOverlay(data, original);
  let merged = merge(structuredClone(defaults), overlay);
  if (shape.flattenGlobals) merged = merge(merge(merged, overlay.global), original.global);
  merged = merge(merged, original);
  if (shape.descope) merged = merge(merged, map(merged[shape.descope]));
  return merged;
}

/**
 * Returns the values istioctl hands `chart` and the values the chart renders with, for a resolved configuration
 * (`input`); the chart's defaults come from `data.chartDefaults[chart]` unless `defaults` is given. The
 * component's own hub and tag are read from `input.spec.components.<specKey>` (for a gateway, pass the list
 * entry's values yourself: istioctl's gateway handling is in components/gateways.ts). Throws ConfigValueError
 * (a UsageError) for a profile, compatibility version or platform the charts have no overlay for.
 */
export function chartValues(data: ChartData, chart: ChartId, input: ChartValuesInput, defaults?: JsonObject): ChartValues {
  const shape = CHART_SHAPES[chart];
  const componentSpec = map(map(input.spec.components)[shape.specKey]);
  const original = componentValues(chart, istioctlValues(data, input), componentSpec);
  const merged = chartMergedValues(data, chart, defaults ?? map(data.chartDefaults[chart]), original);
  return { original, merged };
}

/**
 * Returns `values` (a tree in which a chart's defaults sit under the profile's and the user's values, as meshctl's
 * built-in values do) with `overlay` slipped in between: every overlay value lands unless istioctl's values
 * (`original`, the profile's and the user's) set that path themselves. For components that render from meshctl's
 * values tree rather than from chartMergedValues (the gateways).
 */
export function overlayUnder(values: JsonObject, overlay: JsonObject, original: JsonObject): JsonObject {
  const out = structuredClone(values);
  for (const [key, value] of Object.entries(overlay)) {
    if (!(key in original)) out[key] = mergeOverlay(out[key], value) as Json;
    else if (isObject(value) && isObject(original[key])) out[key] = overlayUnder(map(out[key]), value, original[key]);
  }
  return out;
}

/**
 * Returns meshctl's values tree of a resolved configuration with the charts' overlay for it (profile,
 * compatibility version, platform) placed under the profile's and the user's values (see overlayUnder).
 * Throws ConfigValueError as chartOverlay does.
 */
export function valuesWithChartOverlay(data: ChartData, values: JsonObject, input: ChartValuesInput): JsonObject {
  const original = istioctlValues(data, input);
  const overlay = chartOverlay(data, original);
  return Object.keys(overlay).length === 0 ? values : overlayUnder(values, overlay, original);
}
