/**
 * injection.ImageAutoAnalyzer: `image: auto` on an `istio-proxy` container is a placeholder the
 * injection webhook fills in; where no webhook will see the object it stays invalid. Facts per
 * Istio 1.30.3 pkg/config/analysis/analyzers/injection/image-auto.go:
 * - a Pod with such a container is an error (IST0147) whatever the webhooks select: a Pod that
 *   exists was admitted without the image being replaced;
 * - a Deployment whose pod template has one gets a warning (IST0146) unless some webhook of a
 *   MutatingWebhookConfiguration, named with the suffix `istio.io`, selects it: its
 *   `namespaceSelector` matches the labels of the Deployment's Namespace (no labels when the
 *   Namespace is not among the resources) and its `objectSelector` the template's labels, an
 *   unset selector matching everything;
 * - only `containers` are looked at, not init containers.
 * Findings point at the placeholder image.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt, labelsOf, stringMap, type JsonMap, type ObjectPath } from '../resource.js';
import { labelSelectorMatches } from '../util/labels.js';
import { ISTIO_PROXY } from './injection-in-mesh.js';

/** The image value that asks the injector for its own proxy image. */
const AUTO_IMAGE = 'auto';

/** Returns the path of the first `istio-proxy` container's `image: auto` under `specPath`, or undefined. */
function autoImagePath(object: JsonMap, specPath: ObjectPath): ObjectPath | undefined {
  const containers = asList(field(getAt(object, specPath), 'containers'));
  const i = containers.findIndex((raw) => {
    const c = asMap(raw);
    return c.name === ISTIO_PROXY && c.image === AUTO_IMAGE;
  });
  return i < 0 ? undefined : [...specPath, 'containers', i, 'image'];
}

export const injectionImageAutoAnalyzer: Analyzer = {
  name: 'injection.ImageAutoAnalyzer',
  description: 'Flags Pods and Deployments with `image: auto` that no Istio injection webhook will rewrite',
  inputs: [K.Namespace, K.Pod, K.Deployment, K.MutatingWebhookConfiguration],
  messages: [MESSAGES.ImageAutoWithoutInjectionWarning, MESSAGES.ImageAutoWithoutInjectionError],
  analyze(ctx) {
    const webhooks: JsonMap[] = [];
    for (const mwc of ctx.list(K.MutatingWebhookConfiguration)) {
      for (const raw of asList(mwc.object.webhooks)) {
        const hook = asMap(raw);
        if (typeof hook.name === 'string' && hook.name.endsWith('istio.io')) webhooks.push(hook);
      }
    }

    for (const pod of ctx.list(K.Pod)) {
      const path = autoImagePath(pod.object, ['spec']);
      if (path) ctx.report(MESSAGES.ImageAutoWithoutInjectionError, { resource: pod, path }, 'Pod', pod.name);
    }

    for (const deployment of ctx.list(K.Deployment)) {
      const path = autoImagePath(deployment.object, ['spec', 'template', 'spec']);
      if (!path) continue;
      const ns = ctx.get(K.Namespace, '', deployment.namespace);
      const nsLabels = ns ? labelsOf(ns) : {};
      const podLabels = stringMap(getAt(deployment.object, ['spec', 'template', 'metadata', 'labels']));
      const selected = webhooks.some((w) => labelSelectorMatches(w.namespaceSelector, nsLabels) && labelSelectorMatches(w.objectSelector, podLabels));
      if (!selected) ctx.report(MESSAGES.ImageAutoWithoutInjectionWarning, { resource: deployment, path }, 'Deployment', deployment.name);
    }
  },
};
