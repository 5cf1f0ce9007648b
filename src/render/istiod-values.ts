/**
 * The values the istiod chart renders with, built the way istioctl 1.30.3 and the chart build them. They are
 * recorded in the `values` ConfigMap (`original-values`: what istioctl hands the chart; `merged-values`: what
 * the chart's templates see) and part of them in the injector ConfigMap's `values`.
 *
 * The mechanism is the one every chart shares (chart-values.ts). Two steps, each a merge in which maps merge
 * key by key and anything else (lists, scalars, null) replaces:
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
import { isObject, type JsonObject } from '../manifest/objects.js';
import { chartValues, type ChartData, type ChartValues, type ChartValuesInput } from './chart-values.js';

/** The inputs of `istiodChartValues`: the selected profile, the user's spec and the fully merged spec. */
export type IstiodValuesInput = ChartValuesInput;

/** The two values trees of the `values` ConfigMap: what istioctl hands the chart, and what its templates see. */
export type IstiodValues = ChartValues;

/**
 * Returns the values istioctl hands the istiod chart and the values the chart renders with, for a resolved
 * configuration (see the module comment for the order). Throws UsageError for a profile, compatibility version
 * or platform the chart has no overlay for, as the chart fails on them.
 */
export function istiodChartValues(data: ChartData, input: IstiodValuesInput): IstiodValues {
  return chartValues(data, 'istio-discovery', input);
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
    gateways: pick(isObject(merged.gateways) ? merged.gateways : {}, ['securityContext', 'seccompProfile']),
  };
}
