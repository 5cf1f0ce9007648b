/**
 * Just enough OpenAPI for kubectl's client-side checks to pass without extra flags. The test
 * server has no schemas; what it does publish is, per served kind, the PATCH operation of the
 * item path, tagged with `x-kubernetes-group-version-kind` and declaring the query parameters
 * `dryRun`, `fieldManager`, `fieldValidation` and `force`. That is what kubectl looks for:
 *
 * - kubectl 1.27 and later read `/openapi/v3`, find `fieldValidation` and send
 *   `fieldValidation=Strict`, leaving validation to the server (1.24 to 1.26 look for it in
 *   `/openapi/v2`). The test server accepts the parameter but does not reject unknown fields.
 * - kubectl 1.20 reads `/openapi/v2` (protobuf). It validates on the client against the
 *   document's `definitions`, finds none and skips validation, as it does for kinds it does not
 *   know. Before a server-side dry run (`kubectl diff`, `apply --dry-run=server`) it checks that
 *   the kind's PATCH operation declares `dryRun` (k8s.io/kubectl pkg/cmd/util DryRunVerifier),
 *   so the operations must be there.
 *
 * Field numbers of the v2 protobuf are those of gnostic's openapiv2/OpenAPIv2.proto.
 */
import { createHash } from 'node:crypto';
import type { Registry, ResourceType } from './resources.js';

/**
 * Content type of the protobuf OpenAPI v2 answer. Clients ask for it as
 * `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (kubectl up to 1.2x) or with a dot
 * instead of the `@`; the real server (kube-openapi's handler) accepts both and always answers
 * with the dotted form. The `@` form must not be sent back: `@` may not appear in a media type
 * token, and Go's mime.ParseMediaType (which client-go runs on every response's Content-Type)
 * rejects it with "mime: unexpected content after media subtype".
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The media types of `/openapi/v2` in the order the real server tries them (JSON first). */
const OPENAPI_V2_TYPES: ReadonlyArray<{ subtype: string; protobuf: boolean }> = [
  { subtype: 'json', protobuf: false },
  { subtype: 'com.github.proto-openapi.spec.v2@v1.0+protobuf', protobuf: true },
  { subtype: 'com.github.proto-openapi.spec.v2.v1.0+protobuf', protobuf: true },
];

/** Query parameters of every PATCH operation, as the real server declares them (all strings). */
const PATCH_QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'] as const;

/** One published PATCH operation. */
interface PatchOperation {
  /** Item path template, e.g. `/apis/apps/v1/namespaces/{namespace}/deployments/{name}`. */
  path: string;
  operationId: string;
  gvk: { group: string; version: string; kind: string };
}

/** The PATCH operations of the served types of one group version (all group versions without arguments). */
function patchOperations(registry: Registry, gv?: { group: string; version: string }): PatchOperation[] {
  return registry.all()
    .filter((t) => t.verbs.includes('patch') && (!gv || (t.group === gv.group && t.version === gv.version)))
    .map((t) => ({ path: itemPath(t), operationId: `patch${t.kind}`, gvk: { group: t.group, version: t.version, kind: t.kind } }));
}

/** `api/v1` or `apis/<group>/<version>`: the keys of the v3 root's `paths`. */
function gvKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function itemPath(t: ResourceType): string {
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}` : `${prefix}/${t.plural}/{name}`;
}

/** Returns the OpenAPI v3 document of one group version, or undefined when it is not served. */
export function openApiV3GroupVersion(registry: Registry, group: string, version: string): object | undefined {
  if (!registry.all().some((t) => t.group === group && t.version === version)) return undefined;
  const paths: Record<string, object> = {};
  const parameters = PATCH_QUERY_PARAMETERS.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));
  for (const op of patchOperations(registry, { group, version })) {
    paths[op.path] = {
      patch: {
        operationId: op.operationId,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': op.gvk,
        parameters,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'test-cluster' }, paths, components: { schemas: {} } };
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

/** Returns the Swagger 2.0 document as JSON: the PATCH operations, no definitions. */
function openApiV2Json(ops: PatchOperation[], gitVersion: string): object {
  const parameters = PATCH_QUERY_PARAMETERS.map((name) => ({ uniqueItems: true, type: 'string', name, in: 'query' }));
  const paths: Record<string, object> = {};
  for (const op of ops) {
    paths[op.path] = {
      patch: {
        operationId: op.operationId,
        parameters,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': op.gvk,
      },
    };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: gitVersion }, paths, definitions: {} };
}

// Protobuf wire format: only length-delimited fields (wire type 2) and booleans (varint) are needed.
function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A length-delimited field: a string, or an embedded message given as its encoded parts. */
function field(no: number, value: string | Buffer[]): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.concat(value);
  return Buffer.concat([varint(no * 8 + 2), varint(bytes.length), bytes]);
}

/** A `true` bool field (false is the default and is not written). */
function trueField(no: number): Buffer {
  return Buffer.concat([varint(no * 8), varint(1)]);
}

/** gnostic NamedAny: name 1, value 2 = Any { yaml 2 }. */
function namedAny(name: string, yaml: string): Buffer {
  return Buffer.concat([field(1, name), field(2, [field(2, yaml)])]);
}

/**
 * Encodes the Swagger 2.0 document as gnostic's openapi_v2.Document: swagger 1, info 2 (title 1,
 * version 2), paths 8 (path 2: NamedPathItem name 1, value 2 = PathItem with patch 8). An
 * Operation has operation_id 5, parameters 8 (ParametersItem.parameter 1 -> Parameter.non_body 2
 * -> NonBodyParameter.query 3 -> QueryParameterSubSchema in 2, name 4, type 6, unique_items 20),
 * responses 9 (response_code 1: name 1, value 2 -> ResponseValue.response 1 -> description 1)
 * and vendor_extension 13, whose values are YAML text as the real server's converter writes it.
 */
function openApiV2Protobuf(ops: PatchOperation[], gitVersion: string): Buffer {
  const parameters = PATCH_QUERY_PARAMETERS.map((name) =>
    field(8, [field(1, [field(2, [field(3, [field(2, 'query'), field(4, name), field(6, 'string'), trueField(20)])])])]));
  const responses = field(9, [field(1, [field(1, '200'), field(2, [field(1, [field(1, 'OK')])])])]);
  const paths = ops.map((op) => {
    const gvk = `group: ${JSON.stringify(op.gvk.group)}\nkind: ${op.gvk.kind}\nversion: ${op.gvk.version}\n`;
    const operation = [
      field(5, op.operationId), ...parameters, responses,
      field(13, [namedAny('x-kubernetes-action', 'patch\n')]), field(13, [namedAny('x-kubernetes-group-version-kind', gvk)]),
    ];
    return field(2, [field(1, op.path), field(2, [field(8, operation)])]);
  });
  return Buffer.concat([field(1, '2.0'), field(2, [field(1, 'Kubernetes'), field(2, gitVersion)]), field(8, paths)]);
}

/**
 * Returns the `/openapi/v2` answer for an Accept header: `{ contentType, body }` with the
 * document as protobuf or JSON, or undefined when the header accepts neither (the real server
 * answers 406 Not Acceptable then). As kube-openapi's handler, the first Accept clause (by
 * q-value, then order) that matches one of the served types wins; no Accept means any type,
 * which is JSON.
 */
export function openApiV2(registry: Registry, accept: string, gitVersion: string): { contentType: string; body: Buffer } | undefined {
  const clauses = (accept.trim() === '' ? '*/*' : accept).split(',').map((part, index) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    const [type = '', subtype = ''] = range.toLowerCase().split('/');
    return { type, subtype, q: q ? Number(q.slice(2)) : 1, index };
  }).filter((c) => c.type !== '' && c.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
  for (const clause of clauses) {
    if (clause.type !== 'application' && clause.type !== '*') continue;
    const served = OPENAPI_V2_TYPES.find((t) => clause.subtype === '*' || clause.subtype === t.subtype);
    if (!served) continue;
    const ops = patchOperations(registry);
    return served.protobuf
      ? { contentType: OPENAPI_V2_PROTOBUF, body: openApiV2Protobuf(ops, gitVersion) }
      : { contentType: 'application/json', body: Buffer.from(JSON.stringify(openApiV2Json(ops, gitVersion))) };
  }
  return undefined;
}
