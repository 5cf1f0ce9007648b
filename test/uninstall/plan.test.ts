import { describe, expect, it } from 'vitest';
import { orderForDeletion, sidecarRevision, type UninstallItem } from '../../src/kube/uninstall.js';
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
      'Pilot:ValidatingWebhookConfiguration/istio-validator-istio-system',
      'Pilot:MutatingWebhookConfiguration/istio-sidecar-injector',
      'Pilot:Service/istiod',
      'Pilot:Deployment/istiod',
      'Pilot:ClusterRole/istiod-clusterrole-istio-system',
      'Base:ServiceAccount/istio-reader-service-account',
      'Base:CustomResourceDefinition/gateways.networking.istio.io',
    ]);
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
  });
});
