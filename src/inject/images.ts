/** Image references of the injected proxy and the gateway data planes, as istiod 1.30.3 builds them. */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** Image types istiod strips from a tag before adding the one asked for (pkg/kube/inject: ProxyImage). */
const KNOWN_IMAGE_TYPES = ['distroless', 'debug'];

const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

/**
 * Returns `hub/name:tag[-type]` as istiod 1.30.3's ProxyImage and AgentgatewayImage build it: the
 * image type is `values.global.variant`, replaced by the ProxyConfig's `image.imageType` when that is
 * set, and by `typeOverride` (a pod's `sidecar.istio.io/proxyImageType` annotation) when given; a
 * known type already on the tag is replaced, and `default` means none.
 */
export function imageReference(values: JsonObject, name: string, proxyConfig: JsonObject, typeOverride: string | undefined): string {
  const global = isObject(values.global) ? values.global : {};
  const tag = global.tag === undefined || global.tag === null ? '' : String(global.tag);
  let imageType = str(global.variant);
  if (isObject(proxyConfig.image)) imageType = str(proxyConfig.image.imageType);
  if (typeOverride !== undefined) imageType = typeOverride;
  let t = tag;
  if (imageType !== '') {
    const known = KNOWN_IMAGE_TYPES.find((k) => t.endsWith(`-${k}`));
    if (known) t = t.slice(0, -(known.length + 1));
    if (imageType !== 'default') t = `${t}-${imageType}`;
  }
  return `${str(global.hub)}/${name}:${t}`;
}

/** Returns the proxy image's name: `values.global.proxy.image`, `proxyv2` when unset or empty. */
export function proxyImageName(values: JsonObject): string {
  const global = isObject(values.global) ? values.global : {};
  const proxy = isObject(global.proxy) ? global.proxy : {};
  return str(proxy.image) || 'proxyv2';
}
