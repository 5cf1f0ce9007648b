/**
 * Resources assumed to exist when analyzing files without a cluster: the profile's ingress
 * gateway (its Deployment and Service), so a Gateway selecting `istio: ingressgateway` finds its
 * workload and ports, as istioctl assumes a default ingress gateway in file mode.
 */
import type { K8sObject } from '../manifest/objects.js';
import { asMap, field, groupOf, kindKey, type Resource } from './resource.js';

/**
 * Returns synthetic resources for the Deployments and Services among `objects` (the rendered
 * ingress gateway component), skipping any whose kind, namespace and name `existing` already
 * holds (the user's files win).
 */
export function syntheticResources(objects: readonly K8sObject[], existing: readonly Resource[]): Resource[] {
  const taken = new Set(existing.map((r) => `${r.key}\u0000${r.namespace}\u0000${r.name}`));
  const out: Resource[] = [];
  for (const object of objects) {
    const apiVersion = String(object.apiVersion ?? '');
    const kind = String(object.kind ?? '');
    if (kind !== 'Deployment' && kind !== 'Service') continue;
    const key = kindKey(apiVersion, kind);
    const namespace = String(field(object.metadata, 'namespace') ?? '');
    const name = String(field(object.metadata, 'name') ?? '');
    if (taken.has(`${key}\u0000${namespace}\u0000${name}`)) continue;
    const slash = apiVersion.indexOf('/');
    out.push({
      key, group: groupOf(apiVersion), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind,
      namespace, name, object: asMap(object), synthetic: true,
    });
  }
  return out;
}
