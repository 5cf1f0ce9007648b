/**
 * annotations.K8sAnalyzer: Istio annotations on Namespaces, Services, Pods and Deployments that
 * Istio does not define (IST0108), sit on a kind they do not apply to (IST0107), carry a value
 * the injector would refuse (IST0125) or are deprecated (IST0135). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/annotations/annotations.go: only keys in an Istio domain are
 * looked at; the injector's own annotations are ignored; a deprecated annotation is reported
 * even when also misplaced, but the deprecated `sidecar.istio.io/inject` annotation is let be
 * when the pod also has the label of that name; values are checked only where the annotation is
 * correctly placed, with the injector's validation (inject.AnnotationValidation, here
 * src/inject/annotations.ts). A Deployment's own metadata is checked as a Deployment; in file
 * mode every workload's pod template is also checked as a Pod, since its pods will carry those
 * annotations.
 */
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asMap, field, getAt, stringMap, type ObjectPath, type Resource } from '../resource.js';
import {
  ALWAYS_IGNORED_ANNOTATIONS, DEPRECATION_NOTES, isIstioAnnotation, lookupAnnotation, type AnnotationTarget,
} from '../util/annotations.js';
import { annotationValueProblem } from '../../inject/annotations.js';
import { applyProxyConfigAnnotation, defaultMeshConfig } from '../../inject/mesh.js';
import { SIDECAR_INJECT } from './injection-in-mesh.js';

/** The annotation whose value is a ProxyConfig, checked by applying it as kube-inject does. */
const PROXY_CONFIG = 'proxy.istio.io/config';

/**
 * Returns why the injector would refuse `value` for annotation `name`, or undefined when it
 * accepts it (or does not check that annotation). The reason is the injector's text without its
 * `invalid value '…' for annotation '…': ` lead, as IST0125 names the annotation itself. For
 * `proxy.istio.io/config` only the shape (a YAML/JSON map) is checked, not each ProxyConfig field.
 */
export function annotationValueError(name: string, value: string): string | undefined {
  if (name === PROXY_CONFIG) {
    try {
      applyProxyConfigAnnotation(defaultMeshConfig(), value);
      return undefined;
    } catch (e) {
      const text = (e as Error).message.replace(/^invalid value for annotation '[^']*': /, '');
      return `failed to convert to apply proxy config: ${text}`;
    }
  }
  return annotationValueProblem(name, value);
}

export const annotationsK8sAnalyzer: Analyzer = {
  name: 'annotations.K8sAnalyzer',
  description: 'Flags Istio annotations that are unknown, deprecated, on the wrong kind of object, or have a bad value',
  inputs: [K.Namespace, K.Service, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.UnknownAnnotation, MESSAGES.MisplacedAnnotation, MESSAGES.InvalidAnnotation, MESSAGES.DeprecatedAnnotation],
  analyze(ctx) {
    /** Checks the annotations of the metadata at `meta` (a path into `r`) as found on a `kind`. */
    const check = (r: Resource, meta: ObjectPath, kind: string): void => {
      const metadata = getAt(r.object, meta);
      const annotations = asMap(field(metadata, 'annotations'));
      let labels: Record<string, string> | undefined;
      for (const [key, raw] of Object.entries(annotations)) {
        if (!isIstioAnnotation(key) || ALWAYS_IGNORED_ANNOTATIONS.has(key)) continue;
        const at = { resource: r, path: [...meta, 'annotations', key], key: true };
        const def = lookupAnnotation(key);
        if (!def) {
          ctx.report(MESSAGES.UnknownAnnotation, at, key);
          continue;
        }
        if (def.deprecated) {
          labels ??= stringMap(field(metadata, 'labels'));
          // Keeping the old annotation beside its replacement label is deliberate compatibility.
          if (!(key === SIDECAR_INJECT && Object.hasOwn(labels, SIDECAR_INJECT))) {
            ctx.report(MESSAGES.DeprecatedAnnotation, at, key, DEPRECATION_NOTES[key] ?? '');
          }
        }
        if (def.targets.includes('Any')) continue;
        if (!def.targets.includes(kind as AnnotationTarget)) {
          ctx.report(MESSAGES.MisplacedAnnotation, at, key, def.targets.join(', '));
          continue;
        }
        const err = annotationValueError(key, typeof raw === 'string' ? raw : raw == null ? '' : String(raw));
        if (err) ctx.report(MESSAGES.InvalidAnnotation, { resource: r, path: [...meta, 'annotations', key] }, key, err);
      }
    };
    for (const ns of ctx.list(K.Namespace)) check(ns, ['metadata'], 'Namespace');
    for (const svc of ctx.list(K.Service)) check(svc, ['metadata'], 'Service');
    for (const deployment of ctx.list(K.Deployment)) check(deployment, ['metadata'], 'Deployment');
    // Pods, and in file mode the pod templates standing in for them.
    for (const w of ctx.workloads()) check(w.resource, [...w.templatePath, 'metadata'], 'Pod');
  },
};
