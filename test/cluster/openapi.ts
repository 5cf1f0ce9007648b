/**
 * Just enough OpenAPI for kubectl's default validation (`--validate=strict`) to work without
 * `--validate=false`:
 *
 * - `/openapi/v3` lists every served group version, and each group version's document declares,
 *   per kind, a PATCH operation tagged with `x-kubernetes-group-version-kind` that accepts the
 *   `fieldValidation` query parameter. kubectl 1.2x reads that as "the server validates fields"
 *   and sends `fieldValidation=Strict` instead of validating on the client. The test server
 *   accepts the parameter but has no schemas, so it does not reject unknown fields.
 * - `/openapi/v2` answers an empty protobuf `Document` (zero bytes is a valid empty message).
 *   Older kubectl (1.20 validates on the client with the v2 schema) then finds no schema for
 *   any kind and skips validation, which is what it does for kinds it does not know.
 */
import { createHash } from 'node:crypto';
import type { Registry, ResourceType } from './resources.js';

/** Content type of the protobuf OpenAPI v2 document clients ask for. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** `api/v1` or `apis/<group>/<version>`: the keys of the v3 root's `paths`. */
function gvKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Returns the OpenAPI v3 document of one group version, or undefined when it is not served. */
export function openApiV3GroupVersion(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const fieldValidation = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  for (const t of types) {
    if (!t.verbs.includes('patch')) continue;
    paths[itemPath(t)] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        parameters: [fieldValidation],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'test-cluster' }, paths, components: { schemas: {} } };
}

function itemPath(t: ResourceType): string {
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}` : `${prefix}/${t.plural}/{name}`;
}

/**
 * Returns the `/openapi/v3` root: `paths` maps each served group version to the URL of its
 * document, with a content hash as the real server adds (clients cache by it).
 */
export function openApiV3Root(registry: Registry): object {
  const seen = new Set<string>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const t of registry.all()) {
    const key = gvKey(t.group, t.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const doc = JSON.stringify(openApiV3GroupVersion(registry, t.group, t.version));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 32).toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
