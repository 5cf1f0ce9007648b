/**
 * The resource API of the test server: routing of `/api` and `/apis` paths to discovery and to
 * the verbs (get, list, watch, create, update, patch, apply, delete, deletecollection) and the
 * `/status` subresource, with the real server's status codes and messages. HTTP concerns (auth,
 * faults, TLS, the request log) stay in server.ts.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { serverSideApply, recordUpdate } from './apply.js';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { openApiV2, openApiV3GroupVersion, openApiV3Root } from './openapi.js';
import { jsonPatch, mergePatch, stripStrategicDirectives } from './patch.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import { groupOf, groupVersion, Registry, type ResourceType } from './resources.js';
import { fieldSelector, labelSelector } from './selectors.js';
import { toTable, wantsTable } from './tables.js';
import {
  alreadyExists, ApiError, badRequest, invalid, methodNotAllowed, notFound, staleConflict, successStatus, unknownResource,
} from './status.js';
import { compareObjects, MemoryStore, SERVER_METADATA, timestamp, type PropagationPolicy } from './store.js';
import type { KObject, StoreEvent, StoreRef } from './types.js';

/** One request as the API layer sees it. */
export interface ApiRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: Record<string, string>;
  contentType: string;
  /** The Accept header ('' when absent): kubectl asks for Tables through it. */
  accept: string;
  userAgent: string;
  body: Buffer;
  /** host:port the client connected to (for `/api`'s serverAddressByClientCIDRs). */
  host: string;
}

/** A complete answer: JSON `body` unless `raw` is given. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  raw?: Buffer | string;
  contentType?: string;
}

/** A watch: the server streams events to `write` until `close` or the client leaves. */
export interface WatchStream {
  watch: {
    /** Starts the watch; returns a function that stops it. `end` ends the response (timeoutSeconds). */
    start(write: (event: StoreEvent) => void, end: () => void): () => void;
  };
}

/** Settings of the API layer. */
export interface ApiOptions {
  version: { major: string; minor: string; gitVersion: string };
  /** `verb group/resource` strings SelfSubjectAccessReview denies. */
  deny: string[];
}

/** Kinds whose DELETE answers with the deleted object rather than a Success Status, as on a real server. */
const DELETE_RETURNS_OBJECT = new Set(['/Pod', '/Service', '/Namespace', 'apiextensions.k8s.io/CustomResourceDefinition']);

/** Recent events kept for watches that start at an older resourceVersion. */
const HISTORY_LIMIT = 1000;

/** Returns true for a plain JSON object. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The alphabet the API server uses for generateName suffixes (no vowels, no confusable digits). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  const bytes = randomBytes(5);
  return [...bytes].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('');
}

/** A resource path, parsed. */
interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

/** The API layer over one store. */
export class Api {
  readonly registry: Registry;
  private readonly history: Array<StoreEvent & { rv: number }> = [];
  private allocations = 0;
  /** Numbers Service address allocations of this server. */
  private readonly allocate = (): number => ++this.allocations;

  constructor(readonly store: MemoryStore, private readonly opts: ApiOptions) {
    this.registry = new Registry(store);
    // History and watches only read (and serialize) the objects, so they take the stored ones.
    store.subscribeShared((event) => {
      this.history.push({ ...event, rv: Number(event.object.metadata.resourceVersion) });
      if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    });
  }

  /**
   * Handles one authenticated request. Returns the answer, or a WatchStream for `?watch=true`.
   * Throws ApiError for every API failure (the caller turns it into a Status body).
   */
  handle(req: ApiRequest): ApiResponse | WatchStream {
    const segments = req.path.split('/').filter((s) => s !== '');
    const [root, ...rest] = segments;
    if (req.method === 'GET' && segments.length === 1 && root === 'version') {
      return ok({ ...this.opts.version, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.24.4', compiler: 'gc', platform: 'linux/amd64' });
    }
    if (req.method === 'GET' && segments.length === 1 && ['healthz', 'livez', 'readyz'].includes(root!)) {
      return { status: 200, raw: 'ok', contentType: 'text/plain; charset=utf-8' };
    }
    if (root === 'openapi') return this.openApi(req, rest);
    if (root === 'api') {
      if (rest.length === 0) return getOnly(req, () => apiVersions(req.host));
      if (rest[0] !== 'v1') throw unknownResource();
      return this.resourceRequest(req, '', 'v1', rest.slice(1));
    }
    if (root === 'apis') {
      if (rest.length === 0) return getOnly(req, () => apiGroupList(this.registry));
      if (rest.length === 1) {
        const doc = apiGroupDocument(this.registry, rest[0]!);
        if (!doc) throw unknownResource();
        return getOnly(req, () => doc);
      }
      return this.resourceRequest(req, rest[0]!, rest[1]!, rest.slice(2));
    }
    throw unknownResource();
  }

  private openApi(req: ApiRequest, rest: string[]): ApiResponse {
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    if (rest.length === 1 && rest[0] === 'v2') {
      const v2 = openApiV2(this.registry, req.accept, this.opts.version.gitVersion);
      // kube-openapi answers an Accept it cannot satisfy with a bare 406 and no body.
      if (!v2) return { status: 406, raw: '', contentType: 'text/plain; charset=utf-8' };
      return { status: 200, raw: v2.body, contentType: v2.contentType };
    }
    if (rest[0] !== 'v3') throw unknownResource();
    if (rest.length === 1) return ok(openApiV3Root(this.registry));
    const [prefix, ...gv] = rest.slice(1);
    const doc = prefix === 'api' && gv.length === 1 ? openApiV3GroupVersion(this.registry, '', gv[0]!)
      : prefix === 'apis' && gv.length === 2 ? openApiV3GroupVersion(this.registry, gv[0]!, gv[1]!) : undefined;
    if (!doc) throw unknownResource();
    return ok(doc);
  }

  private resourceRequest(req: ApiRequest, group: string, version: string, rest: string[]): ApiResponse | WatchStream {
    if (rest.length === 0) {
      const list = apiResourceList(this.registry, group, version);
      if (!list) throw unknownResource();
      return getOnly(req, () => list);
    }
    const target = this.parseTarget(group, version, rest);
    const t = target.type;
    const verb = verbOf(req, target);
    if (!t.verbs.includes(verb)) throw methodNotAllowed(req.method);
    if (t.group === 'authorization.k8s.io' && t.kind === 'SelfSubjectAccessReview') return this.accessReview(req);
    switch (verb) {
      case 'get': {
        const obj = this.versioned(this.mustPeek(target), t);
        return ok(wantsTable(req.accept) ? this.table(t, [obj], { resourceVersion: obj.metadata.resourceVersion }) : obj);
      }
      case 'list': {
        const list = this.list(req, target);
        return ok(wantsTable(req.accept) ? this.table(t, list.items, list.metadata) : list);
      }
      case 'watch': return this.watch(req, target);
      case 'create': return this.create(req, target);
      case 'update': return this.update(req, target);
      case 'patch': return this.patch(req, target);
      case 'delete': return this.delete(req, target);
      case 'deletecollection': return this.deleteCollection(req, target);
      default: throw methodNotAllowed(req.method);
    }
  }

  /** Parses `[namespaces/<ns>/]<plural>[/<name>[/status]]` (also `namespaces/<name>/status`). */
  private parseTarget(group: string, version: string, rest: string[]): Target {
    let namespace: string | undefined;
    let parts = rest;
    const namespaceSubresource = group === '' && rest.length === 3 && rest[0] === 'namespaces' && (rest[2] === 'status' || rest[2] === 'finalize');
    if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    if (parts.length > 3) throw unknownResource();
    const [plural, name, sub] = parts;
    const type = this.registry.byPath(group, version, plural!);
    if (!type) throw unknownResource();
    if (namespace !== undefined && !type.namespaced) throw unknownResource();
    if (sub !== undefined && (sub !== 'status' || !type.hasStatus)) throw unknownResource();
    return { type, namespace, name, subresource: sub as 'status' | undefined };
  }

  private refOf(target: Target, name: string): StoreRef {
    return { group: target.type.group, kind: target.type.kind, namespace: target.type.namespaced ? target.namespace : undefined, name };
  }

  private mustGet(target: Target): KObject {
    const obj = this.store.get(this.refOf(target, target.name!));
    if (!obj) throw notFound(target.type.group, target.type.plural, target.name!);
    return obj;
  }

  /** mustGet without the copy: the stored object, which must only be read. */
  private mustPeek(target: Target): KObject {
    const obj = this.store.peek(this.refOf(target, target.name!));
    if (!obj) throw notFound(target.type.group, target.type.plural, target.name!);
    return obj;
  }

  /** Returns the object as the requested version shows it (conversion strategy None: only apiVersion changes). */
  private versioned(obj: KObject, t: ResourceType): KObject {
    return { ...obj, apiVersion: groupVersion(t.group, t.version) };
  }

  private matcher(req: ApiRequest, t: ResourceType): (o: KObject) => boolean {
    const labels = labelSelector(req.query.labelSelector);
    const fields = fieldSelector(req.query.fieldSelector, t.kind);
    return (o) => labels(o) && fields(o);
  }

  /** The Table kubectl prints, for custom resources with the CRD's printer columns. */
  private table(t: ResourceType, items: KObject[], listMeta: Record<string, unknown>): object {
    const crd = t.custom ? this.store.peek({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name: `${t.plural}.${t.group}` }) : undefined;
    return toTable(t, items, this.store.now(), crd, listMeta);
  }

  private list(req: ApiRequest, target: Target): { apiVersion: string; kind: string; metadata: Record<string, unknown>; items: KObject[] } {
    const t = target.type;
    const match = this.matcher(req, t);
    let items = this.store.list(t.group, t.kind, t.namespaced ? target.namespace : undefined).filter(match).sort(compareObjects);
    const listRv = this.store.resourceVersion();
    if (req.query.continue) {
      const after = decodeContinue(req.query.continue);
      items = items.filter((o) => compareObjects(o, { apiVersion: '', kind: '', metadata: after }) > 0);
    }
    const metadata: Record<string, unknown> = { resourceVersion: listRv };
    const limit = req.query.limit ? Number(req.query.limit) : 0;
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1]!;
      metadata.continue = encodeContinue({ name: last.metadata.name, namespace: last.metadata.namespace });
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    return { apiVersion: groupVersion(t.group, t.version), kind: `${t.kind}List`, metadata, items: items.map((o) => this.versioned(o, t)) };
  }

  private watch(req: ApiRequest, target: Target): WatchStream {
    const t = target.type;
    const match = this.matcher(req, t);
    const namespace = t.namespaced ? target.namespace : undefined;
    const relevant = (o: KObject): boolean =>
      o.kind === t.kind && groupOf(o.apiVersion) === t.group && (namespace === undefined || o.metadata.namespace === namespace)
      && (target.name === undefined || o.metadata.name === target.name) && match(o);
    const since = req.query.resourceVersion;
    const timeoutMs = req.query.timeoutSeconds ? Number(req.query.timeoutSeconds) * 1000 : 0;
    return {
      watch: {
        start: (write, end) => {
          const table = wantsTable(req.accept);
          const send = (e: StoreEvent): void => {
            if (!relevant(e.object)) return;
            const object = this.versioned(e.object, t);
            // `kubectl get -w` asks for Tables: each event then carries a one-row Table.
            write({ type: e.type, object: table ? this.table(t, [object], { resourceVersion: object.metadata.resourceVersion }) as KObject : object });
          };
          if (!since || since === '0') {
            // No resourceVersion: the current state first, as synthetic ADDED events.
            for (const o of this.store.list(t.group, t.kind, namespace)) send({ type: 'ADDED', object: o });
          } else {
            for (const e of this.history) if (e.rv > Number(since)) send(e);
          }
          const unsubscribe = this.store.subscribeShared(send);
          const timer = timeoutMs > 0 ? setTimeout(end, timeoutMs) : undefined;
          return () => {
            unsubscribe();
            if (timer) clearTimeout(timer);
          };
        },
      },
    };
  }

  /** Parses a request body (JSON, or YAML for apply patches) into an object. Throws 400 otherwise. */
  private parseBody(req: ApiRequest, yaml = false): unknown {
    if (req.contentType.startsWith(PROTOBUF)) return decodeProtobuf(req.body);
    const text = req.body.toString('utf8');
    if (text.trim() === '') throw badRequest('the request body is empty');
    try {
      return yaml || req.contentType.includes('yaml') ? parseYamlBody(text) : JSON.parse(text);
    } catch (err) {
      throw badRequest(`error decoding the request body: ${(err as Error).message}`);
    }
  }

  /** Checks a body is an object of the target's kind and returns it with server metadata removed. */
  private parseObject(req: ApiRequest, target: Target, yaml = false): KObject {
    const body = this.parseBody(req, yaml);
    const t = target.type;
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const obj = body as KObject;
    if (obj.kind !== undefined && obj.kind !== t.kind) {
      throw badRequest(`the body of the request was in an unknown format - kind ${obj.kind} does not match ${t.kind}`);
    }
    if (obj.apiVersion !== undefined && groupOf(obj.apiVersion) !== t.group) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${groupVersion(t.group, t.version)})`);
    }
    obj.kind = t.kind;
    obj.apiVersion = groupVersion(t.group, t.version);
    if (!isObject(obj.metadata)) obj.metadata = { name: '' };
    if (t.namespaced) {
      if (obj.metadata.namespace && target.namespace && obj.metadata.namespace !== target.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (target.namespace) obj.metadata.namespace = target.namespace;
      if (!obj.metadata.namespace) throw badRequest('the namespace of the object is required');
    } else {
      delete obj.metadata.namespace;
    }
    if (target.name !== undefined && obj.metadata.name && obj.metadata.name !== target.name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${target.name})`);
    }
    if (target.name !== undefined && !obj.metadata.name) obj.metadata.name = target.name;
    return obj;
  }

  private requireNamespace(t: ResourceType, namespace: string | undefined): void {
    if (!t.namespaced || namespace === undefined) return;
    if (!this.store.get({ group: '', kind: 'Namespace', name: namespace })) throw notFound('', 'namespaces', namespace);
  }

  private dryRun(req: ApiRequest): boolean {
    const value = req.query.dryRun;
    if (value === undefined || value === '') return false;
    if (value !== 'All') throw badRequest(`Invalid dryRun value "${value}": the only supported value is "All"`);
    return true;
  }

  /** The field manager of a non-apply write: the query parameter, else the user agent's product name. */
  private updateManager(req: ApiRequest): string {
    if (req.query.fieldManager) return req.query.fieldManager;
    // As the real server: the user agent up to the first '/' (e.g. `kubectl`, `node-fetch`).
    return req.userAgent.split('/')[0]?.trim() || 'unknown';
  }

  private now(): string {
    return timestamp(this.store.now());
  }

  /**
   * Stores (or, in a dry run, only prepares) an object; returns what the client sees. The store
   * takes `obj` (every caller built it for this write) and the answer shares the stored object,
   * so it must only be serialized.
   */
  private write(obj: KObject, dryRun: boolean, t: ResourceType): KObject {
    return this.versioned(this.store.save(obj, dryRun), t);
  }

  private create(req: ApiRequest, target: Target): ApiResponse {
    const t = target.type;
    const dryRun = this.dryRun(req);
    const obj = this.parseObject(req, { ...target, name: undefined });
    stripServerMetadata(obj);
    if (!obj.metadata.name) {
      const generateName = obj.metadata.generateName;
      if (typeof generateName !== 'string' || generateName === '') {
        throw invalid(t.kind, t.group, '', 'metadata.name', 'Required value: name or generateName is required');
      }
      obj.metadata.name = `${generateName}${randomSuffix()}`;
    }
    this.requireNamespace(t, obj.metadata.namespace);
    if (this.store.get(this.refOf({ ...target, namespace: obj.metadata.namespace }, obj.metadata.name))) {
      throw alreadyExists(t.group, t.plural, obj.metadata.name);
    }
    prepareCreate(obj, t, this.allocate);
    const managed = recordUpdate({ live: undefined, next: obj, manager: this.updateManager(req), apiVersion: obj.apiVersion, now: this.now() });
    return { status: 201, body: this.write(managed, dryRun, t) };
  }

  private update(req: ApiRequest, target: Target): ApiResponse {
    const t = target.type;
    const dryRun = this.dryRun(req);
    const body = this.parseObject(req, target);
    // Only read: the next object is built from the body, and recordUpdate copies it.
    const live = this.mustPeek(target);
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== live.metadata.resourceVersion) throw staleConflict(t.group, t.plural, target.name!);
    let next: KObject;
    if (target.subresource === 'status') {
      next = { ...live, apiVersion: body.apiVersion, status: body.status };
    } else {
      stripServerMetadata(body);
      next = body;
      keepServerOwned(next, live, t);
    }
    const managed = recordUpdate({ live, next, manager: this.updateManager(req), apiVersion: body.apiVersion, now: this.now(), subresource: target.subresource });
    return ok(this.write(managed, dryRun, t));
  }

  private patch(req: ApiRequest, target: Target): ApiResponse {
    const type = req.contentType.split(';')[0]!.trim();
    if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') return this.apply(req, target);
    const t = target.type;
    const dryRun = this.dryRun(req);
    const live = this.mustGet(target);
    const patch = this.parseBody(req);
    let patched: unknown;
    if (type === 'application/merge-patch+json') patched = mergePatch(live, patch);
    else if (type === 'application/strategic-merge-patch+json') {
      if (t.custom) {
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
      }
      patched = mergePatch(live, stripStrategicDirectives(patch));
    } else if (type === 'application/json-patch+json') patched = jsonPatch(live, patch);
    else {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }
    if (!isObject(patched) || !isObject(patched.metadata)) throw badRequest('the patch removed the object\'s metadata');
    const result = patched as KObject;
    const rv = result.metadata.resourceVersion;
    if (rv !== undefined && rv !== live.metadata.resourceVersion) throw staleConflict(t.group, t.plural, target.name!);
    if (result.metadata.name !== live.metadata.name || (result.metadata.namespace ?? '') !== (live.metadata.namespace ?? '')) {
      throw badRequest('the patch must not change the object\'s name or namespace');
    }
    let next: KObject;
    if (target.subresource === 'status') {
      next = { ...live, status: result.status };
    } else {
      next = { ...result, apiVersion: groupVersion(t.group, t.version), kind: t.kind };
      stripServerMetadata(next);
      keepServerOwned(next, live, t);
    }
    const managed = recordUpdate({ live, next, manager: this.updateManager(req), apiVersion: groupVersion(t.group, t.version), now: this.now(), subresource: target.subresource });
    return ok(this.write(managed, dryRun, t));
  }

  private apply(req: ApiRequest, target: Target): ApiResponse {
    const t = target.type;
    const manager = req.query.fieldManager;
    if (!manager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const dryRun = this.dryRun(req);
    const force = req.query.force === 'true';
    const config = this.parseObject(req, target, true);
    if (!config.metadata.name) config.metadata.name = target.name!;
    this.requireNamespace(t, config.metadata.namespace);
    const ref = this.refOf(target, target.name!);
    // Only read: serverSideApply merges into its own copy.
    const live = this.store.peek(ref);
    if (!live && target.subresource === 'status') throw notFound(t.group, t.plural, target.name!);
    const rv = config.metadata.resourceVersion;
    if (live && typeof rv === 'string' && rv !== '' && rv !== live.metadata.resourceVersion) throw staleConflict(t.group, t.plural, target.name!);
    const merged = serverSideApply({
      live, config, manager, force, apiVersion: groupVersion(t.group, t.version), now: this.now(),
      subresource: target.subresource, ignoreStatus: t.hasStatus,
    });
    if (!live) prepareCreate(merged, t, this.allocate);
    return { status: live ? 200 : 201, body: this.write(merged, dryRun, t) };
  }

  private deleteOptions(req: ApiRequest): { policy: PropagationPolicy; dryRun: boolean; preconditions?: { uid?: string; resourceVersion?: string } } {
    let body: Record<string, unknown> = {};
    if (req.body.length > 0 && req.body.toString('utf8').trim() !== '') {
      const parsed = this.parseBody(req);
      if (isObject(parsed)) body = parsed;
    }
    const policy = (req.query.propagationPolicy ?? body.propagationPolicy ?? (body.orphanDependents === true ? 'Orphan' : 'Background')) as string;
    if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const dryRunBody = Array.isArray(body.dryRun) && body.dryRun.includes('All');
    return { policy: policy as PropagationPolicy, dryRun: this.dryRun(req) || dryRunBody, preconditions: body.preconditions as { uid?: string } | undefined };
  }

  private delete(req: ApiRequest, target: Target): ApiResponse {
    const t = target.type;
    const { policy, dryRun, preconditions } = this.deleteOptions(req);
    const live = this.mustGet(target);
    if (preconditions?.uid && preconditions.uid !== live.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${String(live.metadata.uid)}`,
        { name: target.name, group: t.group || undefined, kind: t.plural });
    }
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== live.metadata.resourceVersion) throw staleConflict(t.group, t.plural, target.name!);
    const deleted = dryRun ? live : this.store.delete(this.refOf(target, target.name!), policy) ?? live;
    if (t.custom || DELETE_RETURNS_OBJECT.has(`${t.group}/${t.kind}`)) {
      const shown = this.versioned(deleted, t);
      if (t.kind === 'Namespace' && t.group === '') shown.status = { phase: 'Terminating' };
      return ok(shown);
    }
    return ok(successStatus({ name: target.name, group: t.group || undefined, kind: t.plural, uid: deleted.metadata.uid as string }));
  }

  private deleteCollection(req: ApiRequest, target: Target): ApiResponse {
    const t = target.type;
    const { policy, dryRun } = this.deleteOptions(req);
    const match = this.matcher(req, t);
    const victims = this.store.list(t.group, t.kind, t.namespaced ? target.namespace : undefined).filter(match);
    if (!dryRun) for (const v of victims) this.store.delete(this.refOf({ ...target, namespace: v.metadata.namespace }, v.metadata.name), policy);
    return ok({ apiVersion: groupVersion(t.group, t.version), kind: `${t.kind}List`, metadata: { resourceVersion: this.store.resourceVersion() }, items: victims.map((o) => this.versioned(o, t)) });
  }

  /** SelfSubjectAccessReview: allowed unless the `deny` option lists `verb group/resource`. */
  private accessReview(req: ApiRequest): ApiResponse {
    const body = this.parseBody(req);
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const spec = (isObject(body.spec) ? body.spec : {}) as { resourceAttributes?: Record<string, string> };
    const attrs = spec.resourceAttributes;
    let denied = false;
    if (attrs) {
      const verb = attrs.verb ?? '';
      const resource = attrs.subresource ? `${attrs.resource ?? ''}/${attrs.subresource}` : attrs.resource ?? '';
      const group = attrs.group ?? '';
      const candidates = [`${verb} ${group}/${resource}`, ...(group === '' ? [`${verb} ${resource}`] : [])];
      denied = this.opts.deny.some((d) => candidates.includes(d.trim()));
    }
    const status = denied
      ? { allowed: false, reason: 'denied by the test cluster\'s deny list' }
      : { allowed: true, reason: 'allowed by the test cluster' };
    return { status: 201, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status } };
  }
}

/**
 * Parses a YAML body. Clients send apply patches as JSON even though the type says YAML
 * (kubectl and client-node both do), and a JSON document means the same in YAML; JSON.parse
 * reads one in a fraction of the time the YAML parser needs (a CRD can be 100 KB). Anything
 * JSON.parse rejects (YAML proper, several documents) goes to the YAML parser, whose errors
 * the client sees. Throws that parser's error.
 */
function parseYamlBody(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON after all: YAML decides.
    }
  }
  return parseYaml(text);
}

function ok(body: unknown): ApiResponse {
  return { status: 200, body };
}

function getOnly(req: ApiRequest, body: () => unknown): ApiResponse {
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  return ok(body());
}

/** Maps an HTTP method on a target to the Kubernetes verb. */
function verbOf(req: ApiRequest, target: Target): string {
  const watch = req.query.watch === 'true' || req.query.watch === '1';
  switch (req.method) {
    case 'GET': return target.name === undefined || watch ? (watch ? 'watch' : 'list') : 'get';
    case 'POST': if (target.name !== undefined) throw methodNotAllowed(req.method); return 'create';
    case 'PUT': if (target.name === undefined) throw methodNotAllowed(req.method); return 'update';
    case 'PATCH': if (target.name === undefined) throw methodNotAllowed(req.method); return 'patch';
    case 'DELETE': return target.name === undefined ? 'deletecollection' : 'delete';
    default: throw methodNotAllowed(req.method);
  }
}

/** Removes the metadata a client cannot set (the server fills it in). */
function stripServerMetadata(obj: KObject): void {
  for (const f of SERVER_METADATA) delete (obj.metadata as Record<string, unknown>)[f];
}

/** On a main-resource write of a kind with a status subresource, the status stays as stored. */
function keepServerOwned(next: KObject, live: KObject, t: ResourceType): void {
  next.metadata.managedFields = live.metadata.managedFields;
  if (t.hasStatus) {
    if (live.status === undefined) delete next.status;
    else next.status = live.status;
  }
}

/**
 * What a create sets that the client does not: initial status of namespaces, no client status
 * elsewhere, Secret type and Service addresses. `next` numbers allocations (cluster IPs, node ports).
 */
function prepareCreate(obj: KObject, t: ResourceType, next: () => number): void {
  if (t.group === '' && t.kind === 'Namespace') {
    obj.spec = { finalizers: ['kubernetes'], ...(isObject(obj.spec) ? obj.spec : {}) };
    obj.status = { phase: 'Active' };
    if (obj.metadata.labels?.['kubernetes.io/metadata.name'] === undefined) {
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
    }
    return;
  }
  if (t.hasStatus) delete obj.status;
  if (t.group === '' && t.kind === 'Secret') obj.type ??= 'Opaque';
  if (t.group === '' && t.kind === 'Service') allocateServiceAddresses(obj, next);
}

/**
 * Fills in what the real server allocates for a Service: a cluster IP from 10.96.0.0/12
 * (unless headless) and node ports for NodePort and LoadBalancer Services.
 */
function allocateServiceAddresses(svc: KObject, next: () => number): void {
  const spec = (isObject(svc.spec) ? svc.spec : (svc.spec = {})) as Record<string, unknown>;
  spec.type ??= 'ClusterIP';
  if (spec.type === 'ExternalName') return;
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    const n = next();
    spec.clusterIP = `10.96.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
  }
  if (spec.clusterIP !== 'None') {
    spec.clusterIPs ??= [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const ports = (Array.isArray(spec.ports) ? spec.ports : []) as Array<Record<string, unknown>>;
    for (const port of ports) port.nodePort ??= 30000 + ((next() * 7919) % 2768);
  }
}

function encodeContinue(after: { name: string; namespace?: string }): string {
  return Buffer.from(JSON.stringify(after)).toString('base64url');
}

function decodeContinue(token: string): { name: string; namespace?: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObject(parsed) && typeof parsed.name === 'string') return { name: parsed.name, namespace: typeof parsed.namespace === 'string' ? parsed.namespace : undefined };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}
