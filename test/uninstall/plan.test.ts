import { describe, expect, it } from 'vitest';
import { terminationReason } from '../../src/kube/terminating.js';
import type { KubeClient, ObjectRef } from '../../src/kube/types.js';
import { orderForDeletion, sidecarRevision, waitForDeletion, WAYPOINTS_COMPONENT, type UninstallItem } from '../../src/kube/uninstall.js';
import { run } from '../helpers.js';

const item = (component: string, apiVersion: string, kind: string, name: string, namespace?: string): UninstallItem =>
  ({ component, ref: { apiVersion, kind, name, ...(namespace ? { namespace } : {}) } });

describe('orderForDeletion', () => {
  it('deletes gateways, then istiod, then Base; webhooks first within a component; CRDs last', () => {
    const items = [
      item('Base', 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gateways.networking.istio.io'),
      item('Base', 'v1', 'ServiceAccount', 'istio-reader-service-account', 'istio-system'),
      item('Pilot', 'apps/v1', 'Deployment', 'istiod', 'istio-system'),
      item('Pilot', 'v1', 'Service', 'istiod', 'istio-system'),
      item('Pilot', 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'istio-sidecar-injector'),
      item('Pilot', 'rbac.authorization.k8s.io/v1', 'ClusterRole', 'istiod-clusterrole-istio-system'),
      item('Pilot', 'admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'istio-validator-istio-system'),
      item('IngressGateways', 'apps/v1', 'Deployment', 'istio-ingressgateway', 'istio-system'),
      item('EgressGateways', 'v1', 'Service', 'istio-egressgateway', 'istio-system'),
      item('IngressGateways', 'v1', 'Service', 'istio-ingressgateway', 'istio-system'),
    ];
    const order = orderForDeletion(items).map((i) => `${i.component}:${i.ref.kind}/${i.ref.name}`);
    expect(order).toEqual([
      'EgressGateways:Service/istio-egressgateway',
      'IngressGateways:Service/istio-ingressgateway',
      'IngressGateways:Deployment/istio-ingressgateway',
      // istioctl applies the validating webhook early and the mutating one with the workloads, so in reverse the mutating one comes first.
      'Pilot:MutatingWebhookConfiguration/istio-sidecar-injector',
      'Pilot:ValidatingWebhookConfiguration/istio-validator-istio-system',
      'Pilot:Service/istiod',
      'Pilot:Deployment/istiod',
      'Pilot:ClusterRole/istiod-clusterrole-istio-system',
      'Base:ServiceAccount/istio-reader-service-account',
      'Base:CustomResourceDefinition/gateways.networking.istio.io',
    ]);
  });

  it('deletes waypoints first, then gateways, Ztunnel before CNI (Cni -> Ztunnel reversed), then istiod', () => {
    const order = orderForDeletion([
      item('Pilot', 'apps/v1', 'Deployment', 'istiod', 'istio-system'),
      item('Cni', 'apps/v1', 'DaemonSet', 'istio-cni-node', 'istio-system'),
      item('Ztunnel', 'apps/v1', 'DaemonSet', 'ztunnel', 'istio-system'),
      item('IngressGateways', 'apps/v1', 'Deployment', 'istio-ingressgateway', 'istio-system'),
      item(WAYPOINTS_COMPONENT, 'gateway.networking.k8s.io/v1', 'Gateway', 'waypoint', 'bookinfo'),
    ]).map((i) => i.component);
    expect(order).toEqual([WAYPOINTS_COMPONENT, 'IngressGateways', 'Ztunnel', 'Cni', 'Pilot']);
  });

  it('puts components it does not know before istiod', () => {
    const order = orderForDeletion([
      item('Pilot', 'apps/v1', 'Deployment', 'istiod', 'istio-system'),
      item('Cni', 'apps/v1', 'DaemonSet', 'istio-cni-node', 'istio-system'),
      item('Telemetry', 'v1', 'ConfigMap', 'x', 'istio-system'),
    ]).map((i) => i.component);
    expect(order).toEqual(['Cni', 'Telemetry', 'Pilot']);
  });
});

describe('sidecarRevision', () => {
  const pod = (meta: object, containers: string[], init: string[] = []) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...meta },
    spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
  }) as any;

  it('reads the revision from the injection status, then the labels, defaulting to "default"', () => {
    expect(sidecarRevision(pod({ annotations: { 'sidecar.istio.io/status': '{"revision":"canary"}' } }, ['app', 'istio-proxy']))).toBe('canary');
    expect(sidecarRevision(pod({ labels: { 'istio.io/rev': 'blue' } }, ['app', 'istio-proxy']))).toBe('blue');
    expect(sidecarRevision(pod({ annotations: { 'sidecar.istio.io/status': 'not json' } }, ['istio-proxy']))).toBe('default');
    expect(sidecarRevision(pod({}, ['app'], ['istio-init', 'istio-proxy']))).toBe('default');
  });
  it('returns undefined for a pod without a proxy', () => {
    expect(sidecarRevision(pod({ labels: { 'istio.io/rev': 'default' } }, ['app']))).toBeUndefined();
  });
  it('does not count ztunnel, whose own container is istio-proxy (the ztunnel chart opts its pods out of injection), as a sidecar', () => {
    expect(sidecarRevision(pod({ annotations: { 'sidecar.istio.io/inject': 'false' }, labels: { app: 'ztunnel', 'istio.io/dataplane-mode': 'none' } }, ['istio-proxy']))).toBeUndefined();
    expect(sidecarRevision(pod({ labels: { 'sidecar.istio.io/inject': 'false' } }, ['istio-proxy']))).toBeUndefined();
    // Injected all the same (the status says so): still a sidecar.
    expect(sidecarRevision(pod({ labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/status': '{"revision":"canary"}' } }, ['app', 'istio-proxy']))).toBe('canary');
  });
});

describe('terminationReason', () => {
  const deleting = (kind: string, finalizers: string[], status?: object) => ({
    apiVersion: 'v1', kind, metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers }, ...(status ? { status } : {}),
  }) as any;

  it('is undefined for an object that is not being deleted', () => {
    expect(terminationReason({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', finalizers: ['example.com/hold'] } } as any)).toBeUndefined();
  });

  it('names what holds an object: dependents, custom resources, other finalizers', () => {
    expect(terminationReason(deleting('Deployment', ['foregroundDeletion']))).toBe('its dependents (such as a Deployment\'s ReplicaSets and their Pods) are still being deleted');
    expect(terminationReason(deleting('CustomResourceDefinition', ['customresourcecleanup.apiextensions.k8s.io'], {
      conditions: [{ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }],
    }))).toBe('its custom resources are still being deleted (CustomResource deletion is in progress)');
    expect(terminationReason(deleting('ConfigMap', ['example.com/hold', 'example.com/other']))).toBe('held by finalizers example.com/hold, example.com/other, which nothing has removed yet');
    expect(terminationReason(deleting('ConfigMap', []))).toBe('its deletion is in progress');
  });

  it('gives a namespace\'s own account: the conditions that hold it, finalizers first', () => {
    const conditions = [
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', message: 'All resources successfully discovered' },
      { type: 'NamespaceContentRemaining', status: 'True', message: 'Some resources are remaining: configmaps. has 1 resource instances' },
      { type: 'NamespaceFinalizersRemaining', status: 'True', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' },
    ];
    expect(terminationReason(deleting('Namespace', [], { phase: 'Terminating', conditions }))).toBe(
      'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances; Some resources are remaining: configmaps. has 1 resource instances');
    // Before the namespace controller's first pass there are no conditions yet.
    expect(terminationReason(deleting('Namespace', [], { phase: 'Terminating' }))).toBe('its content is still being deleted');
  });
});

describe('waitForDeletion', () => {
  const cm = (name: string): UninstallItem => item('Pilot', 'v1', 'ConfigMap', name, 'istio-system');
  const object = (ref: ObjectRef, metadata: object) => ({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, ...metadata } });
  const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['example.com/hold'] };

  it('waits for objects being deleted, not for one created anew, and names what still holds one at the deadline', async () => {
    let clock = 0;
    const reads: string[] = [];
    // `going` is gone from the second read on; `recreated` exists again without a deletionTimestamp; `held` never goes.
    const client = {
      get: async (ref: ObjectRef) => {
        reads.push(ref.name);
        clock += 400;
        if (ref.name === 'going') return reads.filter((n) => n === 'going').length > 1 ? undefined : object(ref, deleting);
        if (ref.name === 'recreated') return object(ref, {});
        return object(ref, deleting);
      },
    } as unknown as KubeClient;
    const waiting: string[][] = [];
    const left = await waitForDeletion(client, [cm('going'), cm('recreated'), cm('held')], {
      timeoutMs: 2000, pollIntervalMs: 1, now: () => clock, onWaiting: (p) => waiting.push(p.map((i) => i.ref.name)),
    });
    expect(waiting).toEqual([['going', 'held']]);
    expect(left).toEqual([{ item: cm('held'), reason: 'held by finalizer example.com/hold, which nothing has removed yet' }]);
    expect(reads.filter((n) => n === 'recreated')).toHaveLength(1);
  });

  it('returns [] at once when everything is gone', async () => {
    const client = { get: async () => undefined } as unknown as KubeClient;
    const onWaiting = () => { throw new Error('nothing to wait for'); };
    expect(await waitForDeletion(client, [cm('a'), cm('b')], { timeoutMs: 1000, pollIntervalMs: 1, onWaiting })).toEqual([]);
  });
});

describe('uninstall flags', () => {
  it('needs one of --revision, --filename or --purge (exit 64), before any cluster access', async () => {
    const r = await run(['uninstall']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('at least one of the --revision (or --set revision=<revision>), --filename or --purge flags must be set');
  });
  it('rejects an invalid revision and positional arguments', async () => {
    expect((await run(['uninstall', '-r', 'Not_Valid'])).code).toBe(64);
    expect((await run(['uninstall', '--purge', 'extra'])).code).toBe(64);
    const badTimeout = await run(['uninstall', '--purge', '--timeout', 'soon']);
    expect(badTimeout.code).toBe(64);
    expect(badTimeout.stderr).toContain('invalid --timeout "soon"');
  });
});
