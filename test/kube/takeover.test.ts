// Taking over istioctl's installation: which objects istioctl applied, and the default revision's
// injector kept deactivated while a default tag injects (the cluster run is test/e2e/takeover.test.ts).
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/manifest/objects.js';
import { KubeError } from '../../src/kube/errors.js';
import {
  findIstioctlLeftovers, findIstioctlObjects, hasDefaultTag, isDefaultRevisionInjector, releaseIstioctlFields,
} from '../../src/kube/takeover.js';
import type { ApplyOptions, KubeClient, ListOptions } from '../../src/kube/types.js';

function entry(manager: string, operation = 'Apply', subresource?: string): Record<string, unknown> {
  return { manager, operation, apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {}, ...(subresource ? { subresource } : {}) };
}

function cm(name: string, managedFields: Record<string, unknown>[], labels: Record<string, string> = { 'operator.istio.io/component': 'Pilot' }): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'istio-system', labels, managedFields } } as K8sObject;
}

/** A client that serves lists from `objects` (by kind, namespace and an exists-or-equals label selector) and records the calls. */
function listingClient(objects: K8sObject[], missingKinds: string[] = []): { client: KubeClient; calls: string[] } {
  const calls: string[] = [];
  const client = {
    async resourceFor(_apiVersion: string, kind: string) {
      return missingKinds.includes(kind) ? undefined : { kind };
    },
    async* list(apiVersion: string, kind: string, opts: ListOptions = {}) {
      calls.push(`${kind}|${opts.namespace ?? ''}|${opts.labelSelector ?? ''}`);
      if (missingKinds.includes(kind)) throw new KubeError(404, 'NotFound', `the server could not find the requested resource (${kind})`);
      for (const o of objects) {
        if (o.kind !== kind || (opts.namespace && o.metadata.namespace !== opts.namespace)) continue;
        const labels = o.metadata.labels ?? {};
        const ok = (opts.labelSelector ?? '').split(',').filter(Boolean).every((term) => {
          const [k, v] = term.split('=');
          return v === undefined ? k! in labels : labels[k!] === v;
        });
        if (ok) yield o;
      }
    },
  } as unknown as KubeClient;
  return { client, calls };
}

describe('findIstioctlObjects', () => {
  it('finds the objects istio-operator applied and still owns fields of, in the order asked, with one list per kind and namespace', async () => {
    const live = [
      cm('istioctl-only', [entry('istio-operator'), entry('pilot-discovery', 'Update')]),
      cm('both', [entry('istio-operator'), entry('meshctl')]),
      cm('update-only', [entry('istio-operator', 'Update')]),
      cm('meshctl-only', [entry('meshctl')]),
      cm('unlabelled', [entry('istio-operator')], {}),
      cm('not-asked', [entry('istio-operator')]),
      cm('also-istioctl', [entry('istio-operator')]),
    ];
    const { client, calls } = listingClient(live);
    const asked = ['also-istioctl', 'istioctl-only', 'both', 'update-only', 'meshctl-only', 'unlabelled', 'absent'].map((n) => cm(n, []));
    const found = await findIstioctlObjects(client, asked);
    // `both`: meshctl applied it, but istioctl still owns fields (an interrupted takeover, or istioctl applied again since).
    expect(found.map((r) => r.name)).toEqual(['also-istioctl', 'istioctl-only', 'both']);
    expect(found[0]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'also-istioctl' });
    expect(calls).toEqual(['ConfigMap|istio-system|operator.istio.io/component']);
  });

  it('counts a kind the server does not serve as none', async () => {
    const { client } = listingClient([], ['ConfigMap']);
    expect(await findIstioctlObjects(client, [cm('x', [])])).toEqual([]);
  });

  it('passes on other errors', async () => {
    const client = { async* list() { throw new KubeError(403, 'Forbidden', 'configmaps is forbidden'); } } as unknown as KubeClient;
    await expect(findIstioctlObjects(client, [cm('x', [])])).rejects.toThrow('forbidden');
  });
});

function mwc(name: string, labels: Record<string, string>): K8sObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name, labels },
    webhooks: [
      { name: 'rev.namespace.sidecar-injector.istio.io', namespaceSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['default'] }] }, objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] }, clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } } },
      { name: 'namespace.sidecar-injector.istio.io', namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } }, clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } } },
    ],
  } as K8sObject;
}

describe('the default revision injector and the default tag', () => {
  it.each([
    ['the default revision\'s injector', mwc('istio-sidecar-injector', { 'istio.io/rev': 'default' }), true],
    ['a revision\'s injector', mwc('istio-sidecar-injector-canary', { 'istio.io/rev': 'canary' }), false],
    ['the default tag\'s webhook', mwc('istio-revision-tag-default', { 'istio.io/rev': 'default', 'istio.io/tag': 'default' }), false],
    ['a ConfigMap labelled like it', cm('istio-sidecar-injector', [], { 'istio.io/rev': 'default' }), false],
  ])('%s', (_what, obj, want) => {
    expect(isDefaultRevisionInjector(obj)).toBe(want);
  });

  it('finds a default tag by its webhook, whatever revision it points at', async () => {
    const injector = mwc('istio-sidecar-injector', { 'istio.io/rev': 'default' });
    expect(await hasDefaultTag(listingClient([injector]).client, 'istio-system')).toBe(false);
    expect(await hasDefaultTag(listingClient([injector, mwc('istio-revision-tag-prod', { 'istio.io/rev': 'default', 'istio.io/tag': 'prod' })]).client, 'istio-system')).toBe(false);
    expect(await hasDefaultTag(listingClient([injector, mwc('istio-revision-tag-default', { 'istio.io/rev': 'canary', 'istio.io/tag': 'default' })]).client, 'istio-system')).toBe(true);
  });
});

describe('releasing istioctl\'s fields', () => {
  it('applies the bare identity as istio-operator, forced, and returns the stored object', async () => {
    const calls: [K8sObject, ApplyOptions | undefined][] = [];
    const stored = cm('istio', [entry('meshctl')]);
    const client = { async apply(obj: K8sObject, opts?: ApplyOptions) { calls.push([obj, opts]); return stored; } } as unknown as KubeClient;
    const full = { ...cm('istio', []), data: { mesh: 'x' } } as K8sObject;
    expect(await releaseIstioctlFields(client, full)).toBe(stored);
    expect(calls).toEqual([[{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' } }, { fieldManager: 'istio-operator', force: true }]]);
  });
});

describe('findIstioctlLeftovers', () => {
  const labels = (component: string, extra: Record<string, string> = {}) => ({
    'operator.istio.io/component': component, 'istio.io/rev': 'default', 'install.operator.istio.io/owning-resource-namespace': 'istio-system', ...extra,
  });
  it('finds what istioctl installed for the revision that the rendering lacks, as istioctl\'s prune would', async () => {
    const live = [
      cm('kept', [entry('istio-operator')], labels('Pilot')),
      cm('egress-b', [entry('istio-operator')], labels('EgressGateways')),
      cm('egress-a', [entry('istio-operator')], labels('EgressGateways')),
      cm('tag', [entry('istio-operator')], labels('Pilot', { 'install.operator.istio.io/owning-resource-not-pruned': 'true' })),
      cm('meshctl-made', [entry('meshctl')], labels('Pilot')),
      cm('cni', [entry('istio-operator')], labels('Cni')),
      cm('canary', [entry('istio-operator')], labels('Pilot', { 'istio.io/rev': 'canary' })),
      cm('elsewhere', [entry('istio-operator')], labels('Pilot', { 'install.operator.istio.io/owning-resource-namespace': 'other' })),
    ];
    const { client, calls } = listingClient(live, ['EnvoyFilter']);
    const found = await findIstioctlLeftovers(client, '', 'istio-system', new Set(['ConfigMap/istio-system/kept']), new Set(['Base', 'Pilot', 'IngressGateways', 'EgressGateways']));
    expect(found).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'egress-a' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'egress-b' },
    ]);
    expect(calls).toContain('ConfigMap||istio.io/rev=default,operator.istio.io/component,install.operator.istio.io/owning-resource-namespace=istio-system');
    expect(calls.some((c) => c.startsWith('Pod|') || c.startsWith('CustomResourceDefinition|') || c.startsWith('EnvoyFilter|'))).toBe(false);
  });
});
