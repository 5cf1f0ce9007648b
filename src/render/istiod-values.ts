/**
 * The values the istiod chart renders with, built the way istioctl 1.30.3 and the chart build them. They are
 * recorded in the `values` ConfigMap (`original-values`: what istioctl hands the chart; `merged-values`: what
 * the chart's templates see) and part of them in the injector ConfigMap's `values`.
 *
 * Two steps, each a merge in which maps merge key by key and anything else (lists, scalars, null) replaces:
 * 1. istioctl (operator/pkg/render/manifest.go): its default profile's values < the selected profile's values
 *    < the user's values; then the top-level IstioOperator fields are copied in (`hub`, `tag`, `revision`,
 *    `meshConfig`, `compatibilityVersion`), `pilot.enabled` and `pilot.cni.enabled` follow the pilot and cni
 *    components, and the user's values are merged once more so that they win over those copies; the pilot
 *    component's own `hub` and `tag` then become `pilot.hub` and `pilot.tag`.
 * 2. the chart (istio-discovery templates zzz_profile.yaml and zzy_descope_legacy.yaml): its defaults < the
 *    overlays of `profile` (or `global.profile`), then `compatibilityVersion`, then `platform` (or
 *    `global.platform`) < what istioctl handed over; then everything under `pilot` is also merged onto the top
 *    level, where the chart's templates read it.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import { UsageError } from '../errors.js';
import { mergeOverlay } from './tree.js';
import { truthy } from './context.js';

/** Shape of `manifests/istiod-chart.yaml`. */
export interface IstiodChartData {
  /** Profile name -> `spec.values` of istioctl's profile of that name; `default` is the base of the others. */
  istioctlProfileValues: Record<string, JsonObject>;
  /** The istiod chart's built-in values. */
  chartDefaults: JsonObject;
  /** `values.profile` name -> the chart's overlay for it. */
  chartProfiles: Record<string, JsonObject>;
  /** `compatibilityVersion` (`1.28`) -> the chart's overlay restoring that release's behaviour. */
  chartCompatibilityVersions: Record<string, JsonObject>;
  /** `global.platform` name -> the chart's overlay for that platform. */
  chartPlatforms: Record<string, JsonObject>;
}

/** The inputs of `istiodChartValues`: the selected profile, the user's spec and the fully merged spec. */
export interface IstiodValuesInput {
  profile: string;
  /** The user's own IstioOperator spec (files then flags), without the profile. */
  userSpec: JsonObject;
  /** The merged IstioOperator spec (profile, files, flags): hub, tag and component enablement are read from it. */
  spec: JsonObject;
  /** The revision the rendering uses (`""` for the default one; meshctl reads `default` as `""`). */
  revision: string;
}

/** The two values trees of the `values` ConfigMap. */
export interface IstiodValues {
  /** What istioctl hands the istiod chart. */
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
 * Returns the values istioctl hands the istiod chart and the values the chart renders with, for a resolved
 * configuration (see the module comment for the order). Throws UsageError for a profile, compatibility version
 * or platform the chart has no overlay for, as the chart fails on them.
 */
export function istiodChartValues(data: IstiodChartData, input: IstiodValuesInput): IstiodValues {
  const user = input.userSpec;
  const userValues = map(user.values);
  let original = structuredClone(map(data.istioctlProfileValues.default));
  if (input.profile !== 'default') original = merge(original, data.istioctlProfileValues[input.profile]);
  original = merge(original, userValues);

  const global = map((original.global = map(original.global)));
  if (typeof input.spec.hub === 'string') global.hub = input.spec.hub;
  if (input.spec.tag !== undefined && input.spec.tag !== null) global.tag = String(input.spec.tag);
  if (user.revision !== undefined && user.revision !== null) original.revision = input.revision;
  if (isObject(user.meshConfig)) original.meshConfig = merge(map(original.meshConfig), user.meshConfig);
  if (user.compatibilityVersion !== undefined && user.compatibilityVersion !== null) original.compatibilityVersion = String(user.compatibilityVersion);
  const pilot = (original.pilot = map(original.pilot));
  pilot.enabled = enabled(input.spec, 'pilot');
  pilot.cni = { ...map(pilot.cni), enabled: enabled(input.spec, 'cni') };
  original = merge(original, userValues);
  // The pilot component's own hub and tag, set last (istioctl's applyComponentValuesToHelmValues).
  const component = map(map(input.spec.components).pilot);
  if (typeof component.hub === 'string' && component.hub !== '') original.pilot = { ...map(original.pilot), hub: component.hub };
  if (component.tag !== undefined && component.tag !== null && component.tag !== '') original.pilot = { ...map(original.pilot), tag: String(component.tag) };

  let overlay: JsonObject = {};
  const pick = (table: Record<string, JsonObject>, name: Json | undefined, what: string, flag: string) => {
    if (!truthy(name)) return;
    const found = table[String(name)];
    if (!found) throw new UsageError(`unknown ${what} "${String(name)}" in ${flag} (known: ${Object.keys(table).sort().join(', ')})`);
    overlay = merge(overlay, found);
  };
  const either = (key: string) => (truthy(original[key]) ? original[key] : map(original.global)[key]);
  pick(data.chartProfiles, either('profile'), 'chart profile', 'values.profile');
  pick(data.chartCompatibilityVersions, original.compatibilityVersion, 'compatibility version', 'compatibilityVersion');
  pick(data.chartPlatforms, either('platform'), 'platform', 'values.global.platform');
  let merged = merge(structuredClone(data.chartDefaults), overlay);
  merged = merge(merged, original);
  merged = merge(merged, map(merged.pilot));
  return { original, merged };
}

/**
 * Returns the part of the chart's values the injector ConfigMap carries (per Istio 1.30.3
 * istiod-injector-configmap.yaml): `global`, `sidecarInjectorWebhook` and `revision`, `pilot` holding the
 * top-level `cni` and `env`, and `gateways` holding `securityContext` and `seccompProfile`; keys the values
 * lack are left out.
 */
export function injectorValues(merged: JsonObject): JsonObject {
  const pick = (from: JsonObject, keys: string[]): JsonObject => {
    const out: JsonObject = {};
    for (const k of keys) if (k in from) out[k] = from[k]!;
    return out;
  };
  return {
    ...pick(merged, ['global', 'sidecarInjectorWebhook', 'revision']),
    pilot: pick(merged, ['cni', 'env']),
    gateways: pick(map(merged.gateways), ['securityContext', 'seccompProfile']),
  };
}
