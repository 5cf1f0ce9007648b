/**
 * Object access for tests, straight to kube-apiserver with the admin token: get, list, create,
 * delete and watch by API group and kind, resolving resources through the server's discovery (so
 * custom resources work once their CRD is Established). Not meshctl's client: tests check
 * meshctl's effects through a second, independent path.
 */
import type { Rest } from './rest.js';
import type { KObject } from './types.js';

/** Identifies an object by API group ('' for core), kind, namespace and name. */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** A watch event. */
export interface ObjectEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
}

interface Resource {
  /** `/api/v1` or `/apis/group/version`. */
  base: string;
  plural: string;
  namespaced: boolean;
  apiVersion: string;
}

/** Reads and writes objects of one control plane. */
export interface ObjectStore {
  /** Returns the object, or undefined when it (or its kind) does not exist. */
  get(ref: ObjectRef): Promise<KObject | undefined>;
  /** Returns the objects of a kind, in one namespace or all, sorted by namespace and name; [] for an unknown kind. */
  list(group: string, kind: string, namespace?: string): Promise<KObject[]>;
  /** Creates the object; throws with the server's message when it is refused. */
  create(obj: KObject): Promise<KObject>;
  /** Server-side applies the object as `manager` (default `test`), forcing conflicts. */
  apply(obj: KObject, manager?: string): Promise<KObject>;
  /** Deletes the object (background propagation); false when it did not exist. */
  remove(ref: ObjectRef): Promise<boolean>;
  /** Watches a kind everywhere; returns the stop function. */
  watch(group: string, kind: string, onEvent: (e: ObjectEvent) => void): Promise<() => void>;
}

function groupOfApiVersion(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** Returns an object store over `rest`. */
export function objectStore(rest: Rest): ObjectStore {
  const cache = new Map<string, Resource>();

  const discover = async (): Promise<void> => {
    const core = await rest.request('/api/v1');
    const groups = await rest.request('/apis');
    const lists: { base: string; apiVersion: string; body: unknown }[] = [{ base: '/api/v1', apiVersion: 'v1', body: core.body }];
    const gl = groups.body as { groups?: { name: string; preferredVersion?: { groupVersion: string } }[] };
    await Promise.all((gl.groups ?? []).map(async (g) => {
      const gv = g.preferredVersion?.groupVersion;
      if (!gv) return;
      const a = await rest.request(`/apis/${gv}`);
      if (a.status === 200) lists.push({ base: `/apis/${gv}`, apiVersion: gv, body: a.body });
    }));
    for (const l of lists) {
      const rl = l.body as { resources?: { name: string; kind: string; namespaced: boolean }[] };
      for (const r of rl.resources ?? []) {
        if (r.name.includes('/')) continue;
        cache.set(`${groupOfApiVersion(l.apiVersion)}/${r.kind}`, { base: l.base, plural: r.name, namespaced: r.namespaced, apiVersion: l.apiVersion });
      }
    }
  };

  const resource = async (group: string, kind: string): Promise<Resource | undefined> => {
    const key = `${group}/${kind}`;
    if (!cache.has(key)) await discover();
    return cache.get(key);
  };

  const path = (r: Resource, namespace: string | undefined, name?: string): string => {
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${r.base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  };

  const fail = (what: string, a: { status: number; body: unknown }): never => {
    const msg = (a.body as { message?: string } | undefined)?.message ?? JSON.stringify(a.body);
    throw new Error(`${what}: ${a.status} ${msg}`);
  };

  const forObject = async (obj: KObject): Promise<Resource> => {
    const r = await resource(groupOfApiVersion(obj.apiVersion), obj.kind);
    if (!r) throw new Error(`${obj.apiVersion} ${obj.kind}: not served`);
    return r;
  };

  return {
    async get(ref) {
      const r = await resource(ref.group, ref.kind);
      if (!r) return undefined;
      const a = await rest.request(path(r, ref.namespace, ref.name));
      if (a.status === 404) return undefined;
      if (a.status !== 200) fail(`get ${ref.kind} ${ref.name}`, a);
      return a.body as KObject;
    },
    async list(group, kind, namespace) {
      const r = await resource(group, kind);
      if (!r) return [];
      const a = await rest.request(path(r, namespace));
      if (a.status === 404) return [];
      if (a.status !== 200) fail(`list ${kind}`, a);
      const items = ((a.body as { items?: KObject[] }).items ?? []).map((o) => ({ ...o, apiVersion: r.apiVersion, kind }));
      return items.sort((x, y) => `${x.metadata.namespace ?? ''}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace ?? ''}/${y.metadata.name}`));
    },
    async create(obj) {
      const r = await forObject(obj);
      const a = await rest.request(path(r, obj.metadata.namespace), { method: 'POST', body: obj });
      if (a.status !== 201 && a.status !== 200) fail(`create ${obj.kind} ${obj.metadata.name}`, a);
      return a.body as KObject;
    },
    async apply(obj, manager = 'test') {
      const r = await forObject(obj);
      const a = await rest.request(`${path(r, obj.metadata.namespace, obj.metadata.name)}?fieldManager=${encodeURIComponent(manager)}&force=true`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: obj });
      if (a.status !== 201 && a.status !== 200) fail(`apply ${obj.kind} ${obj.metadata.name}`, a);
      return a.body as KObject;
    },
    async remove(ref) {
      const r = await resource(ref.group, ref.kind);
      if (!r) return false;
      const a = await rest.request(path(r, ref.namespace, ref.name), { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
      if (a.status === 404) return false;
      if (a.status !== 200 && a.status !== 202) fail(`delete ${ref.kind} ${ref.name}`, a);
      return true;
    },
    async watch(group, kind, onEvent) {
      const r = await resource(group, kind);
      if (!r) throw new Error(`${group}/${kind}: not served`);
      return rest.watch(path(r, undefined), (e) => onEvent(e as unknown as ObjectEvent));
    },
  };
}
