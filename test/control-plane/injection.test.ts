// The stand-in's injection decisions without a cluster: the JSONPatch it answers with, and which
// revision's ConfigMaps a dialed Service leads to (a revision's istiod Service, a revision tag's
// Service, the default revision's `istiod`), read through a fake REST client holding a rendering.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run } from '../helpers.js';
import { jsonPatch, podInjection, webhookSkipReason, type PatchOperation } from './injection.js';
import type { Rest, RestAnswer } from './rest.js';
import type { KObject } from './types.js';

/** Applies RFC 6902 add/remove/replace to a copy of `doc` (what the API server does with the answer). */
function applyPatch(doc: unknown, ops: PatchOperation[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let cur = out as Record<string, unknown>;
    for (const p of parts) cur = cur[p] as Record<string, unknown>;
    if (op.op === 'remove') {
      expect(last in cur, op.path).toBe(true);
      delete cur[last];
    } else {
      if (op.op === 'replace') expect(last in cur, op.path).toBe(true);
      cur[last] = op.value;
    }
  }
  return out;
}

describe('jsonPatch', () => {
  it('adds, removes and replaces by key, replaces lists whole, and escapes ~ and / in keys', () => {
    const before = { metadata: { labels: { app: 'web' }, annotations: { 'a/b': '1', gone: 'x' } }, spec: { containers: [{ name: 'web' }] } };
    const after = { metadata: { labels: { app: 'web', 'x~y': 'z' }, annotations: { 'a/b': '2' } }, spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }], volumes: [] } };
    const ops = jsonPatch(before, after);
    expect(ops).toEqual([
      { op: 'add', path: '/metadata/labels/x~0y', value: 'z' },
      { op: 'remove', path: '/metadata/annotations/gone' },
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '2' },
      { op: 'replace', path: '/spec/containers', value: [{ name: 'web' }, { name: 'istio-proxy' }] },
      { op: 'add', path: '/spec/volumes', value: [] },
    ]);
    expect(applyPatch(before, ops)).toEqual(after);
    expect(jsonPatch(after, after)).toEqual([]);
  });
});

describe('webhookSkipReason (istiod\'s injectRequired beyond the engine\'s rules)', () => {
  const meta = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({ labels, annotations });
  const DISABLED = 'the injector\'s policy is "disabled" and the Pod does not ask for injection (sidecar.istio.io/inject: "true")';
  const NEVER = 'the Pod\'s labels match the injector\'s neverInjectSelector';

  it('follows the policy when the Pod says neither "true" nor "false" (other values are ignored, the label wins)', () => {
    expect(webhookSkipReason('policy: enabled\n', meta())).toBeUndefined();
    expect(webhookSkipReason('policy: disabled\n', meta())).toBe(DISABLED);
    expect(webhookSkipReason('policy: disabled\n', meta({}, { 'sidecar.istio.io/inject': 'yes' }))).toBe(DISABLED);
    expect(webhookSkipReason('policy: disabled\n', meta({}, { 'sidecar.istio.io/inject': 'true' }))).toBeUndefined();
    expect(webhookSkipReason('policy: disabled\n', meta({ 'sidecar.istio.io/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' }))).toBeUndefined();
    // "false" is the engine's to skip, with its own reason.
    expect(webhookSkipReason('policy: enabled\n', meta({ 'sidecar.istio.io/inject': 'false' }))).toBeUndefined();
    // No policy at all: istiod's InjectionPolicyOff.
    expect(webhookSkipReason('templates: {}\n', meta())).toBe('the injector\'s policy is "" and the Pod does not ask for injection (sidecar.istio.io/inject: "true")');
  });

  it('applies neverInjectSelector before alwaysInjectSelector, both before the policy; an empty selector selects nothing', () => {
    const config = [
      'policy: disabled',
      'neverInjectSelector:',
      '- matchLabels: {batch: "true"}',
      '- matchExpressions: [{key: tier, operator: In, values: [infra, ops]}]',
      '- {}',
      'alwaysInjectSelector:',
      '- matchExpressions: [{key: mesh, operator: Exists}, {key: legacy, operator: DoesNotExist}, {key: tier, operator: NotIn, values: [infra]}]',
    ].join('\n');
    expect(webhookSkipReason(config, meta({ batch: 'true', mesh: 'yes' }))).toBe(NEVER);
    expect(webhookSkipReason(config, meta({ tier: 'ops' }))).toBe(NEVER);
    expect(webhookSkipReason(config, meta({ mesh: 'yes' }))).toBeUndefined();
    expect(webhookSkipReason(config, meta({ mesh: 'yes', tier: 'web' }))).toBeUndefined();
    expect(webhookSkipReason(config, meta({ mesh: 'yes', legacy: '1' }))).toBe(DISABLED);
    expect(webhookSkipReason(config, meta({ batch: 'false' }))).toBe(DISABLED);
    // The Pod's own "true" wins over the selectors.
    expect(webhookSkipReason(config, meta({ batch: 'true', 'sidecar.istio.io/inject': 'true' }))).toBeUndefined();
  });
});

describe('podInjection', () => {
  /** A fake API server holding the rendering of `-r stable` and the default revision, and the Services named. */
  async function fakeRest(services: KObject[]): Promise<{ rest: Rest; paths: string[] }> {
    const objects: KObject[] = [];
    for (const argv of [['-r', 'stable'], []]) {
      const r = await run(['manifest', 'generate', '--set', 'profile=minimal', ...argv]);
      expect(r.code, r.stderr).toBe(0);
      objects.push(...parseAllDocuments(r.stdout).map((d) => d.toJSON() as KObject).filter((o) => o?.kind === 'ConfigMap'));
    }
    const paths: string[] = [];
    const answer = (path: string): RestAnswer => {
      paths.push(path);
      if (path === '/api/v1/nodes') return { status: 200, body: { items: [{ metadata: { name: 'node-1' }, status: { nodeInfo: { kubeletVersion: 'v1.32.0' } } }] } };
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|services)\/([^/]+)$/.exec(path);
      const found = m && [...objects, ...services].find((o) => o.kind === (m[2] === 'services' ? 'Service' : 'ConfigMap') && o.metadata.namespace === m[1] && o.metadata.name === m[3]);
      return found ? { status: 200, body: { ...found, metadata: { ...found.metadata, resourceVersion: '1' } } } : { status: 404, body: {} };
    };
    return { rest: { request: async (path) => answer(path), watch: () => () => undefined, close: () => undefined }, paths };
  }

  const service = (name: string, rev: string, extra: Record<string, string> = {}): KObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': rev, ...extra } },
    spec: { selector: { app: 'istiod', 'istio.io/rev': rev } },
  });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-5d4f8-', labels: { app: 'web', 'pod-template-hash': '5d4f8' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8', controller: true }] }, spec: { containers: [{ name: 'web', image: 'example.test/web:1' }] } };
  const request = (serverName: string, object: unknown = pod) => ({ path: '/inject/cluster/Kubernetes/net/', serverName, operation: 'CREATE', kind: 'Pod', namespace: 'apps', object });

  it('injects with the ConfigMaps of the revision the dialed Service selects, a tag\'s Service included', async () => {
    const { rest } = await fakeRest([service('istiod-stable', 'stable'), service('istiod-revision-tag-prod', 'stable', { 'istio.io/tag': 'prod' }), service('istiod', 'default')]);
    const inject = podInjection(rest);
    for (const [serverName, revision] of [['istiod-stable.istio-system.svc', 'stable'], ['istiod-revision-tag-prod.istio-system.svc', 'stable'], ['istiod.istio-system.svc', 'default']] as const) {
      const d = await inject(request(serverName));
      expect(d.action, serverName).toBe('injected');
      if (d.action !== 'injected') continue;
      expect(d.revision).toBe(revision);
      const out = applyPatch(pod, d.patch) as { metadata: { namespace?: string; annotations: Record<string, string> }; spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } };
      expect(JSON.parse(out.metadata.annotations['sidecar.istio.io/status']!).revision).toBe(revision);
      expect(out.metadata.annotations['istio.io/rev']).toBe(revision);
      // Kubelet v1.32 is too old for native sidecars: the proxy is a container.
      const proxy = out.spec.containers.find((c) => c.name === 'istio-proxy');
      expect(proxy?.env?.find((e) => e.name === 'ISTIO_META_WORKLOAD_NAME')?.value).toBe('web');
      expect(JSON.stringify(proxy?.env)).toContain(revision === 'default' ? 'istiod.istio-system.svc' : 'istiod-stable.istio-system.svc');
      // The Pod's namespace came from the request; the patch does not write it.
      expect(out.metadata.namespace).toBeUndefined();
    }
  });

  it('admits other requests unchanged and refuses when the revision\'s ConfigMaps or the Service are missing', async () => {
    const { rest, paths } = await fakeRest([service('istiod-canary', 'canary')]);
    const inject = podInjection(rest);
    expect(await inject({ ...request('istiod-canary.istio-system.svc'), path: '/validate' })).toEqual({ action: 'ignored' });
    expect(await inject({ ...request('istiod-canary.istio-system.svc'), operation: 'UPDATE' })).toEqual({ action: 'ignored' });
    expect(paths).toEqual([]);
    expect(await inject(request('istiod-canary.istio-system.svc'))).toEqual({
      action: 'denied', revision: 'canary', message: 'no istiod of revision "canary" in namespace "istio-system" (its ConfigMaps are missing)',
    });
    expect(await inject(request('istiod-gone.istio-system.svc'))).toEqual({ action: 'denied', message: 'service "istio-system/istiod-gone" not found' });
  });

  it('skips what the engine skips and refuses what it cannot inject', async () => {
    const { rest } = await fakeRest([service('istiod-stable', 'stable')]);
    const inject = podInjection(rest);
    const optedOut = { ...pod, metadata: { ...pod.metadata, annotations: { 'sidecar.istio.io/inject': 'false' } } };
    expect(await inject(request('istiod-stable.istio-system.svc', optedOut))).toEqual({
      action: 'skipped', revision: 'stable', reason: 'sidecar injection disabled (annotation sidecar.istio.io/inject: "false")',
    });
    const badAnnotation = { ...pod, metadata: { ...pod.metadata, annotations: { 'sidecar.istio.io/interceptionMode': 'BOUNCE' } } };
    const d = await inject(request('istiod-stable.istio-system.svc', badAnnotation));
    expect(d.action).toBe('denied');
    expect(d.action === 'denied' && d.message).toBe('sidecar injection by revision "stable": invalid value \'BOUNCE\' for annotation \'sidecar.istio.io/interceptionMode\': interceptionMode invalid, use REDIRECT,TPROXY,NONE: BOUNCE');
  });

  it('skips what only the webhook skips: the policy "disabled" of a rendering with autoInject disabled', async () => {
    const r = await run(['manifest', 'generate', '--set', 'profile=minimal', '-r', 'stable', '--set', 'values.global.proxy.autoInject=disabled']);
    expect(r.code, r.stderr).toBe(0);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJSON() as KObject).filter((o) => o?.kind === 'ConfigMap');
    const svc = service('istiod-stable', 'stable');
    const rest: Rest = {
      request: async (path) => {
        const name = path.split('/').pop();
        const found = path.includes('/services/') ? (name === 'istiod-stable' ? svc : undefined) : objects.find((o) => o.metadata.name === name);
        return found ? { status: 200, body: { ...found, metadata: { ...found.metadata, resourceVersion: '1' } } } : { status: 404, body: {} };
      },
      watch: () => () => undefined,
      close: () => undefined,
    };
    const inject = podInjection(rest);
    expect(await inject(request('istiod-stable.istio-system.svc'))).toEqual({
      action: 'skipped', revision: 'stable', reason: 'the injector\'s policy is "disabled" and the Pod does not ask for injection (sidecar.istio.io/inject: "true")',
    });
    const asking = { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'sidecar.istio.io/inject': 'true' } } };
    expect((await inject(request('istiod-stable.istio-system.svc', asking))).action).toBe('injected');
  });

  it('injects a Pod injected before again, with the new revision replacing the old (istiod does not skip it)', async () => {
    const { rest } = await fakeRest([service('istiod-stable', 'stable'), service('istiod', 'default')]);
    const inject = podInjection(rest);
    const first = await inject(request('istiod.istio-system.svc'));
    expect(first.action).toBe('injected');
    const injected = applyPatch(pod, first.action === 'injected' ? first.patch : []);
    const again = await inject(request('istiod.istio-system.svc', injected));
    expect(again.action === 'injected' && again.patch).toEqual([]);
    const moved = await inject(request('istiod-stable.istio-system.svc', injected));
    expect(moved.action).toBe('injected');
    const out = applyPatch(injected, moved.action === 'injected' ? moved.patch : []) as { metadata: { annotations: Record<string, string> }; spec: { containers: { name: string }[] } };
    expect(JSON.parse(out.metadata.annotations['sidecar.istio.io/status']!).revision).toBe('stable');
    expect(out.spec.containers.map((c) => c.name)).toEqual(['web', 'istio-proxy']);
  });
});
