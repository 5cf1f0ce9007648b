/** The Base component: the Istio CRDs, the reader service account and the default-revision validator (per Istio 1.30.3 base chart). */
import type { JsonObject, K8sObject } from '../../manifest/objects.js';
import { renderCrds } from '../crds.js';
import { chartLabels, val, valStr, type RenderContext } from '../context.js';

/**
 * Returns the CRDs (less those named in `base.excludedCRDs`), `istio-reader-service-account` in
 * `global.istioNamespace` (unless `global.enableReaderRBAC` is false), and, when `defaultRevision` names a
 * revision, the `istiod-default-validator` webhook configuration that validates for it.
 */
export function renderBase(ctx: RenderContext): K8sObject[] {
  const excluded = val(ctx, 'base.excludedCRDs');
  const skip = new Set(Array.isArray(excluded) ? excluded.map(String) : []);
  const out = renderCrds(ctx.assets.crds, chartLabels('base')).filter((crd) => !skip.has(crd.metadata.name));
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
  return out;
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

