import { describe, expect, it } from 'vitest';
import { describeProblem, diffRendered } from '../../src/kube/verify.js';

const deployment = (spec: object, metadata: object = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod', namespace: 'istio-system', ...metadata }, spec,
}) as any;

describe('diffRendered', () => {
  it('ignores fields only the live object has, server metadata and status', () => {
    const want = deployment({ template: { spec: { containers: [{ name: 'discovery', image: 'pilot:1.30.3' }] } } }, { labels: { app: 'istiod' } });
    const live = deployment(
      { replicas: 1, template: { spec: { containers: [{ name: 'discovery', image: 'pilot:1.30.3', imagePullPolicy: 'IfNotPresent' }], dnsPolicy: 'ClusterFirst' } } },
      { labels: { app: 'istiod', extra: 'x' }, resourceVersion: '7', uid: 'u', managedFields: [] },
    );
    live.status = { readyReplicas: 1 };
    expect(diffRendered(want, live)).toEqual([]);
  });

  it('reports a changed value with its path', () => {
    const want = deployment({ template: { spec: { containers: [{ name: 'discovery', image: 'pilot:1.30.3' }] } } });
    const live = deployment({ template: { spec: { containers: [{ name: 'discovery', image: 'pilot:1.29.0' }] } } });
    expect(diffRendered(want, live)).toEqual([{ path: 'spec.template.spec.containers[0].image', want: 'pilot:1.30.3', have: 'pilot:1.29.0' }]);
  });

  it('reports a field the live object lacks and a list of another length', () => {
    const want = deployment({ replicas: 1, template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } });
    const live = deployment({ template: { spec: { containers: [{ name: 'a' }] } } });
    expect(diffRendered(want, live).map((d) => d.path)).toEqual(['spec.replicas', 'spec.template.spec.containers']);
  });

  it('compares resource quantities by value and treats empty rendered values as absent', () => {
    const want = deployment({ template: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2000m', memory: '1Gi' } } }], securityContext: {}, tolerations: [] } } });
    const live = deployment({ template: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '2', memory: '1073741824' } } }] } } });
    expect(diffRendered(want, live)).toEqual([]);
    const live2 = deployment({ template: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } } });
    expect(diffRendered(want, live2).map((d) => d.path)).toEqual(['spec.template.spec.containers[0].resources.limits.cpu']);
  });

  it('skips owner labels, replicas scaled by an autoscaler, and webhook fields istiod manages', () => {
    const want = deployment({ replicas: 1 }, { labels: { 'install.operator.istio.io/owning-resource': 'unknown' } });
    const live = deployment({ replicas: 3 }, { labels: { 'install.operator.istio.io/owning-resource': 'meshctl-installed-state' } });
    expect(diffRendered(want, live, true)).toEqual([]);
    expect(diffRendered(want, live, false).map((d) => d.path)).toEqual(['spec.replicas']);
    const vwc = (failurePolicy: string) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'v' }, webhooks: [{ name: 'w', failurePolicy }] }) as any;
    expect(diffRendered(vwc('Ignore'), vwc('Fail'))).toEqual([]);
  });
});

describe('describeProblem', () => {
  it('names at most three drifted fields and how many more', () => {
    const drift = [1, 2, 3, 4].map((n) => ({ path: `f${n}`, want: n, have: 0 }));
    const text = describeProblem({ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'istio' }, component: 'Pilot', status: 'drifted', drift });
    expect(text).toBe('drifted: f1: want 1, have 0; f2: want 2, have 0; f3: want 3, have 0; and 1 more field(s)');
  });
});
