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

  it('treats rendered zero values as equal to fields the API server left out (omitempty)', () => {
    // The rendering has `- name: PLATFORM` / `value: ""`; a real API server stores the EnvVar without `value`.
    const env = [{ name: 'REVISION', value: 'default' }, { name: 'PLATFORM', value: '' }];
    const want = deployment({ paused: false, minReadySeconds: 0, template: { spec: { containers: [{ name: 'discovery', env, ports: [{ containerPort: 8080, hostPort: 0, name: '' }], securityContext: { privileged: false, procMount: '' } }] } } });
    const live = deployment({ template: { spec: { containers: [{ name: 'discovery', env: [{ name: 'REVISION', value: 'default' }, { name: 'PLATFORM' }], ports: [{ containerPort: 8080 }], securityContext: {} }] } } });
    expect(diffRendered(want, live)).toEqual([]);
    // A zero value is still compared with a live value that is present, and a non-zero value with an absent one.
    const changed = deployment({ paused: true, template: { spec: { containers: [{ name: 'discovery', env: [{ name: 'REVISION', value: 'default' }, { name: 'PLATFORM', value: 'gcp' }], ports: [{ containerPort: 8080, hostPort: 80 }] }] } } });
    expect(diffRendered(want, changed)).toEqual([
      { path: 'spec.paused', want: false, have: true },
      { path: 'spec.template.spec.containers[0].env[1].value', want: '', have: 'gcp' },
      { path: 'spec.template.spec.containers[0].ports[0].hostPort', want: 0, have: 80 },
    ]);
    expect(diffRendered(deployment({ template: { spec: { containers: [{ name: 'discovery', env: [{ name: 'PLATFORM', value: 'gcp' }] }] } } }), deployment({ template: { spec: { containers: [{ name: 'discovery', env: [{ name: 'PLATFORM' }] }] } } })))
      .toEqual([{ path: 'spec.template.spec.containers[0].env[0].value', want: 'gcp', have: undefined }]);
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
