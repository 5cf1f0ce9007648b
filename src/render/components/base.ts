/** The Base component: the Istio CRDs, the reader service account and the default-revision validator (per Istio 1.30.3 base chart). */
import { isObject, type JsonObject, type K8sObject } from '../../manifest/objects.js';
import { chartInput, chartValues } from '../chart-values.js';
import { defaultRevisionStablePolicy } from './stable-policy.js';
import { renderCrds } from '../crds.js';
import { chartLabels, truthy, val, valStr, type RenderContext } from '../context.js';

/**
 * Returns the CRDs (less those named in `base.excludedCRDs`; their schemas copied or shared with the assets as
 * `schemas` says, see renderCrds), `istio-reader-service-account` in
 * `global.istioNamespace` (unless `global.enableReaderRBAC` is false), and, when `defaultRevision` names a
 * revision, the `istiod-default-validator` webhook configuration that validates for it, and the stable channel's
 * default-revision policy when the values ask for it.
 */
export function renderBase(ctx: RenderContext, schemas: 'copy' | 'share' = 'copy'): K8sObject[] {
  const excluded = val(ctx, 'base.excludedCRDs');
  const skip = new Set(Array.isArray(excluded) ? excluded.map(String) : []);
  const out = renderCrds(ctx.assets.crds, chartLabels('base'), schemas).filter((crd) => !skip.has(crd.metadata.name));
  const istioNamespace = valStr(ctx, 'global.istioNamespace', ctx.ns);
  if (val(ctx, 'global.enableReaderRBAC') !== false) {
    const pullSecrets = val(ctx, 'global.imagePullSecrets');
    out.push({
      apiVersion: 'v1', kind: 'ServiceAccount',
      ...(Array.isArray(pullSecrets) && pullSecrets.length ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
      metadata: {
        name: 'istio-reader-service-account', namespace: istioNamespace,
        labels: { app: 'istio-reader', release: 'istio', 'app.kubernetes.io/name': 'istio-reader', ...chartLabels('base') },
      },
    });
  }
  const defaultRevision = valStr(ctx, 'defaultRevision');
  if (defaultRevision) out.push(defaultRevisionValidator(ctx, defaultRevision, istioNamespace));
  out.push(...stablePolicy(ctx));
  return out;
}

/**
 * Returns the stable channel's policy for the default revision when the base chart's values ask for it (the
 * `stable` profile's overlay, `experimental.stableValidationPolicy`, and a `defaultRevision`; `global.resourceScope`
 * all or cluster), else nothing. Read from the base chart's own values (chart-values.ts), where the profile
 * overlay lands.
 */
function stablePolicy(ctx: RenderContext): K8sObject[] {
  const { merged } = chartValues(ctx.assets.charts, 'base', chartInput(ctx.config));
  const experimental = isObject(merged.experimental) ? merged.experimental : {};
  const scope = isObject(merged.global) ? merged.global.resourceScope : undefined;
  const defaultRevision = typeof merged.defaultRevision === 'string' ? merged.defaultRevision : '';
  if (!truthy(experimental.stableValidationPolicy) || defaultRevision === '' || !['all', 'cluster'].includes(String(scope))) return [];
  return defaultRevisionStablePolicy(defaultRevision);
}

/** The cluster-wide validator for the default revision (per Istio 1.30.3 defaultrevision-validatingwebhookconfiguration.yaml). */
function defaultRevisionValidator(ctx: RenderContext, revision: string, istioNamespace: string): K8sObject {
  const caBundle = valStr(ctx, 'base.validationCABundle');
  const url = valStr(ctx, 'base.validationURL');
  const service = { name: revision === 'default' ? 'istiod' : `istiod-${revision}`, namespace: istioNamespace, path: '/validate' };
  const webhook: JsonObject = {
    name: 'validation.istio.io',
    clientConfig: { ...(url ? { url } : { service }), ...(caBundle ? { caBundle } : {}) },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], apiVersions: ['*'], resources: ['*'] }],
    failurePolicy: caBundle ? 'Fail' : valStr(ctx, 'base.validationFailurePolicy') || 'Ignore',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: 'istiod-default-validator',
      labels: { app: 'istiod', release: 'istio', istio: 'istiod', 'istio.io/rev': revision, 'app.kubernetes.io/name': 'istiod', ...chartLabels('base') },
    },
    webhooks: [webhook],
  };
}

