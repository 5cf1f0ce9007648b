/** The Base component: the Istio CRDs and the reader service account (per Istio 1.30.3 base chart). */
import type { K8sObject } from '../../manifest/objects.js';
import { renderCrds } from '../crds.js';
import { chartLabels, type RenderContext } from '../context.js';

/** Returns the CRDs and `istio-reader-service-account`. */
export function renderBase(ctx: RenderContext): K8sObject[] {
  const out = renderCrds(ctx.assets.crds, chartLabels('base'));
  out.push({
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: {
      name: 'istio-reader-service-account', namespace: ctx.ns,
      labels: { app: 'istio-reader', release: 'istio', 'app.kubernetes.io/name': 'istio-reader', ...chartLabels('base') },
    },
  });
  return out;
}
