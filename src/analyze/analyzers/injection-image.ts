/**
 * injection.ImageAnalyzer: pods in injection-enabled namespaces whose sidecar image is not the one
 * the injector of their revision would inject now (IST0158, one finding per namespace naming its
 * pods). Facts per Istio 1.30.3 pkg/config/analysis/analyzers/injection/injection-image.go and
 * analyzers/util (proxyconfig.go, config.go, constants.go):
 * - the expected image comes from the `values` JSON of every ConfigMap whose name starts with
 *   `istio-sidecar-injector` (keyed by name, any namespace): `global.proxy.image` when it holds a
 *   `/`, else `<global.hub>/<global.proxy.image>:<global.tag>`; unreadable values expect `""`;
 * - namespaces count when labelled `istio-injection=enabled` (revision `default`) or carrying an
 *   `istio.io/rev` label (its value picks `istio-sidecar-injector-<rev>`; empty or `default` pick
 *   `istio-sidecar-injector`); pods of other namespaces, and pods whose revision has no injector
 *   ConfigMap, are skipped;
 * - pods annotated `sidecar.istio.io/proxyImage` chose their own image and are skipped;
 * - every `istio-proxy` container (and native sidecar init container) must use the expected image
 *   or the image with `-<variant>` appended, the variant being the effective image type: mesh
 *   config `defaultConfig.image.imageType`, overridden by a ProxyConfig in the root namespace, then
 *   one without selector in the pod's namespace, then one whose selector matches the pod, then the
 *   pod's `proxy.istio.io/config` annotation; `default` means no variant.
 * Only Pod objects are checked (a workload template is not a running proxy). Where several
 * selector ProxyConfigs match a pod, the last one in input order wins (upstream's pick depends on
 * Go map order) and only ProxyConfigs of the pod's own namespace are considered (upstream compares
 * by namespace-name prefix).
 */
import { parseYamlText } from '../../manifest/yaml-docs.js';
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { annotationsOf, asList, asMap, field, getAt, labelsOf, stringMap, type Resource } from '../resource.js';
import { matchesLabels } from '../util/labels.js';
import { ISTIO_PROXY, INJECTION_LABEL, REVISION_LABEL } from './injection-in-mesh.js';

/** Name prefix of the injector ConfigMaps (one per revision). */
export const INJECTOR_CONFIGMAP = 'istio-sidecar-injector';
/** A pod annotation naming its own sidecar image, which injection always honours. */
const PROXY_IMAGE_ANNOTATION = 'sidecar.istio.io/proxyImage';
/** A pod annotation holding proxy config overrides (YAML). */
const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/** Returns the injector ConfigMap name of a revision: the bare name for `''` and `default`. */
export function injectorConfigMapName(revision: string): string {
  return revision === '' || revision === 'default' ? INJECTOR_CONFIGMAP : `${INJECTOR_CONFIGMAP}-${revision}`;
}

/**
 * Returns the sidecar image an injector ConfigMap's `values` JSON configures: `global.proxy.image`
 * when it contains a `/` (a full reference), else `hub/image:tag`. Returns `''` when `values` is
 * missing, not JSON, or has a non-string where a string belongs (Go's json.Unmarshal fails then).
 */
export function injectorProxyImage(configMap: Resource): string {
  const text = field(configMap.object.data, 'values');
  if (typeof text !== 'string') return '';
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    return '';
  }
  const str = (v: unknown): string | undefined => (v === undefined || v === null ? '' : typeof v === 'string' ? v : undefined);
  const objectOrNull = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v));
  if (!objectOrNull(values)) return '';
  const global = field(values, 'global');
  if (!objectOrNull(global)) return '';
  const proxy = field(global, 'proxy');
  if (!objectOrNull(proxy)) return '';
  const hub = str(field(global, 'hub'));
  const tag = str(field(global, 'tag'));
  const image = str(field(proxy, 'image'));
  if (hub === undefined || tag === undefined || image === undefined) return '';
  return image.includes('/') ? image : `${hub}/${image}:${tag}`;
}

/** Returns `image.imageType` of a proxy config map (mesh config `defaultConfig`, ProxyConfig spec), or `''`. */
function imageTypeOf(proxyConfig: unknown): string {
  const t = getAt(proxyConfig, ['image', 'imageType']);
  return typeof t === 'string' ? t : '';
}

/**
 * The image type (variant: `distroless`, `debug`, ...) each pod's proxy runs with, per the levels
 * of configuration Istio's effective proxy config resolver walks.
 */
class ImageTypeResolver {
  private readonly meshDefault: string;
  private root = '';
  private readonly namespaceWide = new Map<string, string>();
  private readonly bySelector = new Map<string, { selector: Record<string, string>; imageType: string }[]>();

  constructor(ctx: AnalysisContext) {
    this.meshDefault = imageTypeOf(ctx.meshConfig.defaultConfig);
    const rootNamespace = typeof ctx.meshConfig.rootNamespace === 'string' && ctx.meshConfig.rootNamespace !== ''
      ? ctx.meshConfig.rootNamespace : ctx.istioNamespace;
    for (const pc of ctx.list(K.ProxyConfig)) {
      const spec = asMap(pc.object.spec);
      const imageType = imageTypeOf(spec);
      if (pc.namespace === rootNamespace) {
        this.root = imageType;
      } else if (spec.selector === undefined || spec.selector === null) {
        this.namespaceWide.set(pc.namespace, imageType);
      } else {
        const list = this.bySelector.get(pc.namespace) ?? [];
        list.push({ selector: stringMap(field(spec.selector, 'matchLabels')), imageType });
        this.bySelector.set(pc.namespace, list);
      }
    }
  }

  /** Returns the variant of a pod's proxy image, `''` for the plain image. */
  variant(pod: Resource): string {
    let variant = this.meshDefault;
    if (this.root) variant = this.root;
    const ns = this.namespaceWide.get(pod.namespace);
    if (ns) variant = ns;
    const labels = labelsOf(pod);
    for (const w of this.bySelector.get(pod.namespace) ?? []) {
      if (w.imageType && matchesLabels(w.selector, labels)) variant = w.imageType;
    }
    const annotation = annotationsOf(pod)[PROXY_CONFIG_ANNOTATION];
    if (annotation !== undefined) {
      try {
        const t = imageTypeOf(parseYamlText(annotation));
        if (t) variant = t;
      } catch {
        // An unreadable annotation changes nothing, as upstream ignores it.
      }
    }
    return variant === 'default' ? '' : variant;
  }
}

export const injectionImageAnalyzer: Analyzer = {
  name: 'injection.ImageAnalyzer',
  description: 'Flags pods whose sidecar image differs from the image their injector now injects',
  inputs: [K.Namespace, K.Pod, K.ConfigMap, K.ProxyConfig],
  messages: [MESSAGES.PodsIstioProxyImageMismatchInNamespace],
  analyze(ctx) {
    const expected = new Map<string, string>();
    for (const cm of ctx.list(K.ConfigMap)) {
      if (cm.name.startsWith(INJECTOR_CONFIGMAP)) expected.set(cm.name, injectorProxyImage(cm));
    }
    if (expected.size === 0) return;

    const revisionOf = new Map<string, { ns: Resource; revision: string }>();
    for (const ns of ctx.list(K.Namespace)) {
      const labels = labelsOf(ns);
      if (Object.hasOwn(labels, REVISION_LABEL)) revisionOf.set(ns.name, { ns, revision: labels[REVISION_LABEL]! });
      else if (labels[INJECTION_LABEL] === 'enabled') revisionOf.set(ns.name, { ns, revision: 'default' });
    }
    if (revisionOf.size === 0) return;

    const resolver = new ImageTypeResolver(ctx);
    const mismatched = new Map<string, string[]>();
    for (const pod of ctx.list(K.Pod)) {
      const injected = revisionOf.get(pod.namespace);
      if (!injected) continue;
      if (annotationsOf(pod)[PROXY_IMAGE_ANNOTATION]) continue;
      const image = expected.get(injectorConfigMapName(injected.revision));
      if (image === undefined) continue;
      const spec = asMap(pod.object.spec);
      let variant: string | undefined;
      for (const raw of [...asList(spec.containers), ...asList(spec.initContainers)]) {
        const c = asMap(raw);
        if (c.name !== ISTIO_PROXY) continue;
        variant ??= resolver.variant(pod);
        if (c.image !== image && c.image !== `${image}-${variant}`) {
          const list = mismatched.get(pod.namespace) ?? [];
          list.push(pod.name);
          mismatched.set(pod.namespace, list);
        }
      }
    }
    for (const [ns, pods] of mismatched) {
      ctx.report(MESSAGES.PodsIstioProxyImageMismatchInNamespace, { resource: revisionOf.get(ns)!.ns, path: ['metadata', 'name'] }, [...pods].sort());
    }
  },
};
