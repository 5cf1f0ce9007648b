/**
 * The test API server through @kubernetes/client-node, TLS verification on (the generated
 * kubeconfig carries the CA): discovery, CRUD and its errors, selectors and paging, server-side
 * apply and managed fields, patches, dry runs, CRDs, delete propagation, watch, auth and faults.
 */
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import {
  ApiException, ApisApi, AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, PolicyV1Api, VersionApi, Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type KObject, type TestCluster } from './server.js';

let cluster: TestCluster;
let kc: KubeConfig;
let objects: KubernetesObjectApi;
let core: CoreV1Api;

beforeAll(async () => {
  cluster = await startTestCluster({ deny: ['create apiextensions.k8s.io/customresourcedefinitions'] });
  kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  objects = KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await cluster?.close();
});

/** Runs `fn` and returns the ApiException it throws (fails when it does not throw one). */
async function apiError(fn: () => Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body };
    throw err;
  }
  throw new Error('expected an ApiException');
}

/** A typed object literal client-node accepts (apiVersion, kind and name present). */
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

function configMap(name: string, namespace: string, labels: Record<string, string> = {}, data: Record<string, string> = { k: 'v' }): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

function deployment(name: string, namespace: string, replicas = 1, extraLabels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, ...extraLabels } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'example/app:1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

/** Server-side apply through client-node, returning the stored object. */
function apply(obj: KubernetesObject, manager: string, force = false, dryRun?: string): Promise<any> {
  return objects.patch(obj, undefined, dryRun, manager, force, PatchStrategy.ServerSideApply);
}

describe('discovery', () => {
  it('reports the configured version', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v).toMatchObject({ major: '1', minor: '33', gitVersion: 'v1.33.2' });
  });

  it('lists the built-in groups and their resources with short names and status subresources', async () => {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['apps', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io', 'admissionregistration.k8s.io',
      'policy', 'autoscaling', 'batch', 'authorization.k8s.io']));
    expect(groups.groups.find((g) => g.name === 'autoscaling')?.preferredVersion?.groupVersion).toBe('autoscaling/v2');

    const coreResources = await core.getAPIResources();
    const cm = coreResources.resources.find((r) => r.name === 'configmaps');
    expect(cm).toMatchObject({ kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] });
    expect(cm?.verbs).toEqual(expect.arrayContaining(['create', 'get', 'list', 'patch', 'update', 'delete', 'watch']));
    expect(coreResources.resources.find((r) => r.name === 'namespaces')).toMatchObject({ namespaced: false, shortNames: ['ns'] });

    const apps = await kc.makeApiClient(AppsV1Api).getAPIResources();
    expect(apps.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['deployments', 'deployments/status', 'daemonsets', 'replicasets', 'statefulsets']));
    expect(apps.resources.find((r) => r.name === 'deployments')?.shortNames).toEqual(['deploy']);
  });

  it('answers 404 with a Status for unknown groups and resources', async () => {
    const missing = await apiError(() => objects.list('example.com/v1', 'Widget'));
    expect(missing.code).toBe(404);
    const raw = await rawGet('/apis/apps/v1/namespaces/default/widgets', cluster.token);
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });
});

describe('authentication', () => {
  it('answers 401 Unauthorized without the token and with a wrong one', async () => {
    for (const token of [undefined, 'wrong']) {
      const res = await rawGet('/api/v1/namespaces', token);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    expect(cluster.requests.some((r) => r.path === '/api/v1/namespaces' && r.status === 401)).toBe(true);
  });
});

describe('what kubectl needs besides the API', () => {
  it('serves Tables to clients that ask for them', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const res = await rawGet('/api/v1/namespaces', cluster.token, { Accept: accept });
    const table = JSON.parse(res.body);
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Status', 'Age']);
    expect(table.rows.find((r: any) => r.cells[0] === 'default')).toMatchObject({
      cells: ['default', 'Active', expect.stringMatching(/^\d+s$/)],
      object: { kind: 'PartialObjectMetadata', metadata: { name: 'default' } },
    });
  });

  it('declares server-side field validation in OpenAPI v3', async () => {
    const root = JSON.parse((await rawGet('/openapi/v3', cluster.token)).body);
    const appsUrl: string = root.paths['apis/apps/v1'].serverRelativeURL;
    expect(appsUrl).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const apps = JSON.parse((await rawGet(appsUrl, cluster.token)).body);
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
  });

  it('answers OpenAPI v2 as JSON or protobuf, as the Accept header asks', async () => {
    const deployPath = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}';
    for (const accept of [undefined, 'application/json', '*/*']) {
      const res = await rawGet('/openapi/v2', cluster.token, accept ? { Accept: accept } : {});
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const doc = JSON.parse(res.body);
      expect(doc).toMatchObject({ swagger: '2.0', info: { version: 'v1.33.2' }, definitions: {} });
      expect(doc.paths[deployPath].patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
      expect(doc.paths[deployPath].patch.parameters.map((p: any) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    }
    // kubectl 1.20 asks with '@'; the answer always has the dotted form, which Go's mime parser accepts.
    for (const accept of ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json']) {
      const res = await rawGetBytes('/openapi/v2', cluster.token, { Accept: accept });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      // Field 1 (swagger) first: tag 0x0a, length 3, "2.0"; the paths follow as protobuf strings.
      expect([...res.body.subarray(0, 5)]).toEqual([0x0a, 3, ...Buffer.from('2.0')]);
      expect(res.body.includes(Buffer.from(deployPath))).toBe(true);
      expect(res.body.includes(Buffer.from('group: "apps"\nkind: Deployment\nversion: v1\n'))).toBe(true);
    }
    const refused = await rawGet('/openapi/v2', cluster.token, { Accept: 'text/html' });
    expect(refused.status).toBe(406);
  });
});

/** GET over HTTPS with the cluster's CA (verification on) and an optional bearer token; the body as bytes. */
function rawGetBytes(path: string, token: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${cluster.url}${path}`, { ca: cluster.caPem, headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** As rawGetBytes, with the body as UTF-8 text. */
async function rawGet(path: string, token: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const res = await rawGetBytes(path, token, headers);
  return { ...res, body: res.body.toString('utf8') };
}

describe('CRUD', () => {
  it('creates, reads, updates and deletes with server-owned metadata', async () => {
    const created = await objects.create(configMap('crud', 'default', { a: '1' })) as any;
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata.generation).toBeUndefined();
    expect(created.metadata.managedFields?.[0]).toMatchObject({ operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' });

    const read = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud', namespace: 'default' } }) as any;
    expect(read.data).toEqual({ k: 'v' });

    read.data = { k: 'changed' };
    const updated = await objects.replace(read) as any;
    expect(updated.data).toEqual({ k: 'changed' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(read.metadata.resourceVersion));
    expect(updated.metadata.uid).toBe(created.metadata.uid);

    await objects.delete(updated);
    const gone = await apiError(() => objects.read(updated));
    expect(gone.code).toBe(404);
    expect(gone.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'configmaps "crud" not found', details: { name: 'crud', kind: 'configmaps' } });
  });

  it('answers 409 AlreadyExists for a second create and Conflict for a stale update', async () => {
    await objects.create(configMap('twice', 'default'));
    const again = await apiError(() => objects.create(configMap('twice', 'default')));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "twice" already exists' });

    const current = await objects.read(configMap('twice', 'default')) as any;
    await objects.replace({ ...current, data: { k: 'first' } });
    const stale = await apiError(() => objects.replace({ ...current, data: { k: 'second' } }));
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toContain('Operation cannot be fulfilled on configmaps "twice": the object has been modified');
  });

  it('qualifies resources of named groups in messages', async () => {
    const missing = await apiError(() => objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nope', namespace: 'default' } }));
    expect(missing.body).toMatchObject({ message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } });
  });

  it('refuses namespaced writes into a namespace that does not exist', async () => {
    const res = await apiError(() => objects.create(configMap('x', 'no-such-namespace')));
    expect(res.code).toBe(404);
    expect(res.body).toMatchObject({ reason: 'NotFound', message: 'namespaces "no-such-namespace" not found' });
    const applied = await apiError(() => apply(configMap('x', 'no-such-namespace'), 'test'));
    expect(applied.code).toBe(404);
  });

  it('generates names from generateName', async () => {
    const created = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-', namespace: 'default' } }) as any;
    expect(created.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const none = await apiError(() => objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' } as any }));
    expect(none.code).toBe(422);
  });

  it('sets and bumps generation only when the spec changes', async () => {
    await createNamespace('gen');
    const created = await objects.create(deployment('web', 'gen')) as any;
    expect(created.metadata.generation).toBe(1);
    const labelled = await objects.patch({ ...deployment('web', 'gen'), metadata: { name: 'web', namespace: 'gen', labels: { extra: 'yes' } } } as any,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch) as any;
    expect(labelled.metadata.generation).toBe(1);
    const scaled = await objects.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'gen' }, spec: { replicas: 3 } } as any,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch) as any;
    expect(scaled.metadata.generation).toBe(2);
    expect(scaled.spec.replicas).toBe(3);
  });
});

describe('list', () => {
  beforeAll(async () => {
    await createNamespace('sel');
    await createNamespace('sel2');
    const rows: Array<[string, Record<string, string>]> = [
      ['a', { tier: 'front', env: 'prod' }],
      ['b', { tier: 'back', env: 'prod' }],
      ['c', { tier: 'back', env: 'dev', skip: 'true' }],
      ['d', { tier: 'db' }],
      ['e', {}],
    ];
    for (const [name, labels] of rows) await objects.create(configMap(name, 'sel', labels));
    await objects.create(configMap('other', 'sel2', { tier: 'front' }));
  });

  async function names(params: { labelSelector?: string; fieldSelector?: string }): Promise<string[]> {
    const list = await core.listNamespacedConfigMap({ namespace: 'sel', ...params });
    return list.items.map((i) => i.metadata!.name!);
  }

  it('filters by label selectors', async () => {
    expect(await names({ labelSelector: 'tier=back' })).toEqual(['b', 'c']);
    expect(await names({ labelSelector: 'tier==front' })).toEqual(['a']);
    expect(await names({ labelSelector: 'tier!=back' })).toEqual(['a', 'd', 'e']);
    expect(await names({ labelSelector: 'tier in (front, db)' })).toEqual(['a', 'd']);
    expect(await names({ labelSelector: 'tier notin (front,db)' })).toEqual(['b', 'c', 'e']);
    expect(await names({ labelSelector: 'env' })).toEqual(['a', 'b', 'c']);
    expect(await names({ labelSelector: '!env' })).toEqual(['d', 'e']);
    expect(await names({ labelSelector: 'tier=back,!skip' })).toEqual(['b']);
  });

  it('filters by field selectors and rejects unsupported fields', async () => {
    expect(await names({ fieldSelector: 'metadata.name=c' })).toEqual(['c']);
    expect(await names({ fieldSelector: 'metadata.name!=c,metadata.namespace=sel' })).toEqual(['a', 'b', 'd', 'e']);
    const bad = await apiError(() => names({ fieldSelector: 'spec.nodeName=x' }));
    expect(bad.code).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.nodeName');
  });

  it('pages with limit and continue', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'sel', limit: 2 });
    expect(first.items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    expect(first.metadata?._continue).toBeTruthy();
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await core.listNamespacedConfigMap({ namespace: 'sel', limit: 2, _continue: first.metadata!._continue });
    expect(second.items.map((i) => i.metadata!.name)).toEqual(['c', 'd']);
    const third = await core.listNamespacedConfigMap({ namespace: 'sel', limit: 2, _continue: second.metadata!._continue });
    expect(third.items.map((i) => i.metadata!.name)).toEqual(['e']);
    expect(third.metadata?._continue).toBeFalsy();
  });

  it('lists across namespaces with a List kind and resourceVersion', async () => {
    const res = await rawGet('/api/v1/configmaps?labelSelector=tier%3Dfront', cluster.token);
    const list = JSON.parse(res.body);
    expect(list.kind).toBe('ConfigMapList');
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(list.items.map((i: KObject) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['sel/a', 'sel2/other']);
  });
});

describe('server-side apply', () => {
  beforeAll(async () => {
    await createNamespace('ssa');
  });

  it('creates, then re-applying the same configuration changes nothing', async () => {
    const first = await apply(deployment('app', 'ssa'), 'mgr-a');
    expect(first.metadata.generation).toBe(1);
    const entry = first.metadata.managedFields.find((m: any) => m.manager === 'mgr-a');
    expect(entry).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(entry.fieldsV1['f:spec']['f:replicas']).toEqual({});
    const container = entry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"main"}'];
    expect(container['.']).toEqual({});
    expect(container['f:ports']['k:{"containerPort":8080,"protocol":"TCP"}']).toMatchObject({ '.': {}, 'f:containerPort': {} });

    // The simulated controllers write the Deployment's status; wait until they are done.
    let settled: any;
    await until(async () => {
      settled = await objects.read(deployment('app', 'ssa'));
      return settled.status?.readyReplicas === 1;
    });
    const second = await apply(deployment('app', 'ssa'), 'mgr-a');
    expect(second.metadata.resourceVersion).toBe(settled.metadata.resourceVersion);
    expect(second.metadata.generation).toBe(1);
    expect(second.metadata.managedFields).toEqual(settled.metadata.managedFields);

    // Nothing writes ConfigMaps behind the test's back: the resourceVersion of the first apply stays.
    const cm = await apply(configMap('same', 'ssa', { a: '1' }), 'mgr-a');
    expect((await apply(configMap('same', 'ssa', { a: '1' }), 'mgr-a')).metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
  });

  it('reports conflicts with other managers and moves ownership with force', async () => {
    await apply(deployment('shared', 'ssa', 1), 'mgr-a');
    const conflict = await apiError(() => apply(deployment('shared', 'ssa', 2), 'mgr-b'));
    expect(conflict.code).toBe(409);
    expect(conflict.body.reason).toBe('Conflict');
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "mgr-a": .spec.replicas');
    expect(conflict.body.details.causes).toEqual([{ type: 'FieldManagerConflict', message: 'conflict with "mgr-a"', field: '.spec.replicas' }]);

    // Same values are shared, not conflicting.
    const sameValues = await apply(deployment('shared', 'ssa', 1), 'mgr-b');
    expect(sameValues.spec.replicas).toBe(1);

    const forced = await apply(deployment('shared', 'ssa', 2), 'mgr-b', true);
    expect(forced.spec.replicas).toBe(2);
    const a = forced.metadata.managedFields.find((m: any) => m.manager === 'mgr-a');
    const b = forced.metadata.managedFields.find((m: any) => m.manager === 'mgr-b');
    expect(a.fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    expect(b.fieldsV1['f:spec']['f:replicas']).toEqual({});
    expect(forced.metadata.generation).toBe(2);
  });

  it('names Update managers with their apiVersion in conflicts', async () => {
    await objects.create(deployment('updated', 'ssa', 1), undefined, undefined, 'creator');
    const conflict = await apiError(() => apply(deployment('updated', 'ssa', 5), 'mgr-a'));
    expect(conflict.body.message).toMatch(/^Apply failed with 1 conflict: conflict with "creator" using apps\/v1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: \.spec\.replicas$/);
  });

  it('lists several conflicts per manager', async () => {
    await apply({ ...configMap('multi', 'ssa', { x: '1' }, { a: '1', b: '1' }) }, 'owner');
    const conflict = await apiError(() => apply(configMap('multi', 'ssa', { x: '2' }, { a: '2', b: '1' }), 'other'));
    expect(conflict.body.message).toBe('Apply failed with 2 conflicts: conflicts with "owner":\n- .data.a\n- .metadata.labels.x');
  });

  it('removes fields a manager stops applying unless another manager owns them', async () => {
    await apply(configMap('prune', 'ssa', { keep: 'yes', drop: 'yes', both: 'yes' }, { a: '1', b: '2' }), 'mgr-a');
    await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune', namespace: 'ssa', labels: { both: 'yes' } } }, 'mgr-b');
    const after = await apply(configMap('prune', 'ssa', { keep: 'yes' }, { a: '1' }), 'mgr-a');
    expect(after.metadata.labels).toEqual({ keep: 'yes', both: 'yes' });
    expect(after.data).toEqual({ a: '1' });
    const removedAll = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune', namespace: 'ssa' } }, 'mgr-a');
    expect(removedAll.metadata.labels).toEqual({ both: 'yes' });
    expect(removedAll.data).toBeUndefined();
  });

  it('removes list items by key when they are no longer applied', async () => {
    const two = deployment('lists', 'ssa');
    two.spec.template.spec.containers.push({ name: 'sidecar', image: 'example/sidecar:1' });
    await apply(two, 'mgr-a');
    const one = await apply(deployment('lists', 'ssa'), 'mgr-a');
    expect(one.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['main']);
  });

  it('requires a field manager', async () => {
    const res = await apiError(() => objects.patch(configMap('nomgr', 'ssa'), undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply));
    expect(res.code).toBe(400);
    expect(res.body.message).toContain('fieldManager: Required value');
  });

  it('accepts YAML bodies', async () => {
    const res = await fetchApply('/api/v1/namespaces/ssa/configmaps/yaml?fieldManager=yaml-test',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml\n  namespace: ssa\ndata:\n  x: "1"\n');
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).data).toEqual({ x: '1' });
  });
});

/** PATCH with an apply-patch+yaml body over HTTPS. */
function fetchApply(path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${cluster.url}${path}`, {
      method: 'PATCH', ca: cluster.caPem,
      headers: { Authorization: `Bearer ${cluster.token}`, 'Content-Type': 'application/apply-patch+yaml' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('patches', () => {
  it('applies JSON merge patches (null deletes) and records an Update manager', async () => {
    await objects.create(configMap('merge', 'default', { a: '1', b: '2' }));
    const patched = await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merge', namespace: 'default', labels: { a: null, c: '3' } as any } },
      undefined, undefined, 'merger', undefined, PatchStrategy.MergePatch) as any;
    expect(patched.metadata.labels).toEqual({ b: '2', c: '3' });
    expect(patched.metadata.managedFields.find((m: any) => m.manager === 'merger')).toMatchObject({ operation: 'Update' });
  });

  it('applies strategic merge patches to built-in kinds as merge patches', async () => {
    const patched = await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merge', namespace: 'default', labels: { d: '4' } } },
      undefined, undefined, 'smp') as any;
    expect(patched.metadata.labels).toMatchObject({ d: '4' });
  });

  it('applies JSON patches', async () => {
    const patched = await core.patchNamespacedConfigMap({ name: 'merge', namespace: 'default', body: [{ op: 'replace', path: '/data/k', value: 'json' }] });
    expect(patched.data).toEqual({ k: 'json' });
  });

  it('answers 404 when patching a missing object', async () => {
    const res = await apiError(() => objects.patch(configMap('missing-merge', 'default'), undefined, undefined, 'm', undefined, PatchStrategy.MergePatch));
    expect(res.code).toBe(404);
  });
});

describe('dryRun=All', () => {
  it('answers as if done but stores nothing', async () => {
    const before = await rawGet('/api/v1/namespaces/default/configmaps', cluster.token).then((r) => JSON.parse(r.body));
    const created = await objects.create(configMap('dry', 'default'), undefined, 'All') as any;
    expect(created.metadata.name).toBe('dry');
    expect(created.metadata.uid).toBeTruthy();
    expect((await apiError(() => objects.read(configMap('dry', 'default')))).code).toBe(404);

    await apply(configMap('dry', 'default'), 'dry', false, 'All');
    expect((await apiError(() => objects.read(configMap('dry', 'default')))).code).toBe(404);

    await objects.create(configMap('dry-existing', 'default', { a: '1' }));
    const live = await objects.read(configMap('dry-existing', 'default')) as any;
    const changed = await apply(configMap('dry-existing', 'default', { a: '2' }), 'dry', true, 'All');
    expect(changed.metadata.labels).toEqual({ a: '2' });
    await objects.delete(live, undefined, 'All');
    const still = await objects.read(configMap('dry-existing', 'default')) as any;
    expect(still.metadata.labels).toEqual({ a: '1' });
    expect(still.metadata.resourceVersion).toBe(live.metadata.resourceVersion);

    const after = await rawGet('/api/v1/namespaces/default/configmaps', cluster.token).then((r) => JSON.parse(r.body));
    expect(after.items.length).toBe(before.items.length + 1);
  });
});

describe('status subresource', () => {
  // A PodDisruptionBudget has a status subresource and no simulated controller writing it.
  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb', namespace: 'default' }, spec: { minAvailable: 1 }, status: { currentHealthy: 5 } };

  it('writes only status through /status and ignores status on the main resource', async () => {
    const created = await objects.create(pdb) as any;
    expect(created.status).toBeUndefined();
    const policy = kc.makeApiClient(PolicyV1Api);
    const live = await policy.readNamespacedPodDisruptionBudget({ name: 'pdb', namespace: 'default' });
    const body = structuredClone(live);
    body.spec!.minAvailable = 7;
    body.status = { currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2, observedGeneration: 1 };
    const updated = await policy.replaceNamespacedPodDisruptionBudgetStatus({ name: 'pdb', namespace: 'default', body });
    expect(updated.status?.currentHealthy).toBe(2);
    expect(updated.spec?.minAvailable).toBe(1);

    const main = structuredClone(updated);
    main.status = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
    main.spec!.minAvailable = 2;
    const replaced = await policy.replaceNamespacedPodDisruptionBudget({ name: 'pdb', namespace: 'default', body: main });
    expect(replaced.status?.currentHealthy).toBe(2);
    expect(replaced.spec?.minAvailable).toBe(2);
    expect(replaced.metadata?.generation).toBe(2);
  });
});

describe('CustomResourceDefinitions', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        { name: 'v1alpha1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  };
  const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { size: 3 } };

  it('serves custom resources only once the CRD is Established, and removes them with it', async () => {
    // Long enough that the two 'not yet' checks below finish first even on a loaded machine.
    const other = await startTestCluster({ crdEstablishDelayMs: 1000, tls: false });
    try {
      const okc = new KubeConfig();
      okc.loadFromFile(other.kubeconfigPath);
      const api = KubernetesObjectApi.makeApiClient(okc);
      const created = await api.create(crd) as any;
      expect(created.status?.conditions ?? []).toEqual([]);
      // Not yet Established: neither discovery nor the resource path knows the kind.
      const early = await fetchJson(other, '/apis/example.com/v1/namespaces/default/widgets');
      expect(early.status).toBe(404);
      expect((await fetchJson(other, '/apis')).body.groups.map((g: any) => g.name)).not.toContain('example.com');

      await until(async () => {
        const c = await api.read(crd) as any;
        return (c.status?.conditions ?? []).some((x: any) => x.type === 'Established' && x.status === 'True');
      });
      const groups = (await fetchJson(other, '/apis')).body.groups;
      expect(groups.find((g: any) => g.name === 'example.com')).toMatchObject({ preferredVersion: { groupVersion: 'example.com/v1', version: 'v1' } });
      const resources = (await fetchJson(other, '/apis/example.com/v1')).body.resources;
      expect(resources).toEqual([expect.objectContaining({ name: 'widgets', singularName: 'widget', kind: 'Widget', namespaced: true, shortNames: ['wd'] })]);

      const cr = await api.create(widget) as any;
      expect(cr.metadata.generation).toBe(1);
      expect((await api.read({ ...widget, apiVersion: 'example.com/v1alpha1' }) as any).apiVersion).toBe('example.com/v1alpha1');
      const list = await api.list('example.com/v1', 'Widget', 'default');
      expect(list.items.map((i) => i.metadata?.name)).toEqual(['w1']);

      await api.delete(crd);
      expect(other.store.list('example.com', 'Widget')).toEqual([]);
      expect((await fetchJson(other, '/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

/** GET over plain HTTP against a cluster started with `tls: false`. */
async function fetchJson(c: TestCluster, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${c.url}${path}`, { headers: { Authorization: `Bearer ${c.token}` } });
  return { status: res.status, body: await res.json() };
}

/** Polls `check` every 10 ms until it holds (the test's own timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

describe('delete propagation', () => {
  async function family(ns: string): Promise<{ owner: any; kids: string[] }> {
    const owner = await objects.create(configMap('owner', ns)) as any;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid, controller: true };
    await objects.create({ ...configMap('kid', ns), metadata: { name: 'kid', namespace: ns, ownerReferences: [ref] } } as any);
    await objects.create({ ...configMap('grandkid', ns), metadata: { name: 'grandkid', namespace: ns, ownerReferences: [{ ...ref, name: 'kid', uid: (await objects.read(configMap('kid', ns)) as any).metadata.uid }] } } as any);
    return { owner, kids: ['kid', 'grandkid'] };
  }

  async function remaining(ns: string): Promise<string[]> {
    return (await core.listNamespacedConfigMap({ namespace: ns })).items.map((i) => i.metadata!.name!);
  }

  it('deletes dependents in the background and in the foreground', async () => {
    for (const policy of ['Background', 'Foreground']) {
      const ns = `prop-${policy.toLowerCase()}`;
      await createNamespace(ns);
      const { owner } = await family(ns);
      const status = await objects.delete(owner, undefined, undefined, undefined, undefined, policy) as any;
      expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'owner', kind: 'configmaps' } });
      expect(await remaining(ns)).toEqual([]);
    }
  });

  it('orphans dependents and removes their owner references', async () => {
    await createNamespace('prop-orphan');
    const { owner } = await family('prop-orphan');
    await objects.delete(owner, undefined, undefined, undefined, undefined, 'Orphan');
    expect(await remaining('prop-orphan')).toEqual(['grandkid', 'kid']);
    const kid = await objects.read(configMap('kid', 'prop-orphan')) as any;
    expect(kid.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes everything in a deleted namespace and answers with the namespace', async () => {
    await createNamespace('doomed');
    await objects.create(configMap('inside', 'doomed'));
    const res = await core.deleteNamespace({ name: 'doomed' }) as any;
    expect(res.kind).toBe('Namespace');
    expect(cluster.store.list('', 'ConfigMap', 'doomed')).toEqual([]);
    expect((await apiError(() => core.readNamespace({ name: 'doomed' }))).code).toBe(404);
  });
});

describe('SelfSubjectAccessReview', () => {
  it('allows everything except what the deny option lists', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const review = (group: string, resource: string) => authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'create', group, resource } } },
    });
    expect((await review('apps', 'deployments')).status?.allowed).toBe(true);
    const denied = await review('apiextensions.k8s.io', 'customresourcedefinitions');
    expect(denied.status?.allowed).toBe(false);
    expect(denied.status?.reason).toBeTruthy();
  });
});

describe('watch', () => {
  it('streams changes as JSON lines of {type, object}', async () => {
    await createNamespace('watched');
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/watched/configmaps', {}, (type, obj) => {
        events.push(`${type} ${obj.metadata.name}`);
        if (type === 'DELETED') resolve();
      }, () => resolve());
    });
    await until(async () => cluster.requests.some((r) => r.path === '/api/v1/namespaces/watched/configmaps' && r.query.watch === 'true'));
    await objects.create(configMap('w', 'watched'));
    await objects.patch(configMap('w', 'watched', { x: 'y' }), undefined, undefined, 'w', undefined, PatchStrategy.MergePatch);
    await objects.delete(configMap('w', 'watched'));
    await done;
    expect(events).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });
});

describe('faults and the request log', () => {
  it('answers 429 with Retry-After, 500 and 503 with Status bodies, and records the fault', async () => {
    const actions = [{ status: 429 as const, retryAfterSeconds: 2 }, { status: 500 as const }, { status: 503 as const }];
    let n = 0;
    cluster.setFaults({ decide: () => actions[n++] ?? {} });
    cluster.resetRequests();
    try {
      const tooMany = await rawGet('/api/v1/namespaces', cluster.token);
      expect(tooMany.status).toBe(429);
      expect(tooMany.headers['retry-after']).toBe('2');
      expect(JSON.parse(tooMany.body)).toMatchObject({ reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 2 } });
      expect(JSON.parse((await rawGet('/api/v1/namespaces', cluster.token)).body)).toMatchObject({ reason: 'InternalError', code: 500 });
      expect(JSON.parse((await rawGet('/api/v1/namespaces', cluster.token)).body)).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
      expect((await rawGet('/api/v1/namespaces', cluster.token)).status).toBe(200);
      expect(cluster.requests.map((r) => [r.status, r.fault?.status])).toEqual([[429, 429], [500, 500], [503, 503], [200, undefined]]);
    } finally {
      cluster.setFaults(undefined);
    }
  });

  it('drops connections and sends slow bodies intact', async () => {
    let n = 0;
    cluster.setFaults({ decide: () => (n++ === 0 ? { drop: true } : n === 2 ? { slowBodyMs: 30, latencyMs: 5 } : {}) });
    try {
      await expect(rawGet('/api/v1/namespaces', cluster.token)).rejects.toThrow();
      const slow = await rawGet('/api/v1/namespaces', cluster.token);
      expect(slow.status).toBe(200);
      expect(JSON.parse(slow.body).kind).toBe('NamespaceList');
    } finally {
      cluster.setFaults(undefined);
    }
  });

  it('logs method, path, query, status and user agent', async () => {
    cluster.resetRequests();
    await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'a=b' });
    expect(cluster.requests).toEqual([expect.objectContaining({
      method: 'GET', path: '/api/v1/namespaces/default/configmaps', query: { labelSelector: 'a=b' }, status: 200,
    })]);
  });
});

describe('close', () => {
  it('ends open watches, refuses new connections and removes its directory', async () => {
    const other = await startTestCluster({ tls: false });
    expect(existsSync(other.kubeconfigPath)).toBe(true);
    const okc = new KubeConfig();
    okc.loadFromFile(other.kubeconfigPath);
    let ended = false;
    await new Watch(okc).watch('/api/v1/namespaces', {}, () => undefined, () => { ended = true; });
    await until(async () => other.requests.some((r) => r.query.watch === 'true'));
    await other.close();
    await until(async () => ended);
    await expect(fetch(`${other.url}/version`)).rejects.toThrow();
    expect(existsSync(other.kubeconfigPath)).toBe(false);
  });
});

describe('the store', () => {
  it('notifies subscribers of writes made through HTTP', async () => {
    const seen: string[] = [];
    const stop = cluster.store.subscribe((e) => seen.push(`${e.type} ${e.object.kind}/${e.object.metadata.name}`));
    try {
      await objects.create(configMap('notified', 'default'));
      await objects.delete(configMap('notified', 'default'));
    } finally {
      stop();
    }
    expect(seen).toEqual(['ADDED ConfigMap/notified', 'DELETED ConfigMap/notified']);
  });

  it('serves objects written directly to the store', async () => {
    const put = cluster.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'direct', namespace: 'default' }, data: { a: 'b' } });
    expect(put.metadata.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: 'direct', namespace: 'default' });
    expect(read.data).toEqual({ a: 'b' });
    expect(read.metadata?.resourceVersion).toBe(put.metadata.resourceVersion);
    // Putting the same content again is not a change.
    expect(cluster.store.put(put).metadata.resourceVersion).toBe(put.metadata.resourceVersion);
  });
});
