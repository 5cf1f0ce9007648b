/**
 * The stable profile's admission policies, field for field as Istio 1.30.3's charts render them: istiod's
 * (istio-discovery validatingadmissionpolicy.yaml, per revision) and the default revision's (base
 * defaultrevision-validatingadmissionpolicy.yaml).
 */
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests, type RenderedObject } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function render(sets: string[]): RenderedObject[] {
  const request: ConfigRequest = { sets };
  return renderManifests(resolveConfiguration(assets, request), assets).objects;
}

const policies = (objects: RenderedObject[]) => objects.filter((o) => o.object.kind.startsWith('ValidatingAdmissionPolicy'));

const CHART_LABELS = {
  'app.kubernetes.io/instance': 'istio', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/part-of': 'istio', 'app.kubernetes.io/version': '1.30.3',
};

const TELEMETRY = '!(\n  variables.isTelemetry && (\n'
  + '    (has(object.spec.tracing) ? object.spec.tracing : {}).exists(t, has(t.useRequestIdForTraceSampling)) ||\n'
  + '    (has(object.spec.metrics) ? object.spec.metrics : {}).exists(m, has(m.reportingInterval)) ||\n'
  + '    (has(object.spec.accessLogging) ? object.spec.accessLogging : {}).exists(l, has(l.filter))\n  )\n)\n';
const AUTHZ = '!(\n  variables.isAuthorizationPolicy &&\n  has(object.spec.rules) &&\n  object.spec.rules.exists(r,\n'
  + '    has(r.from) && r.from.exists(f,\n      has(f.source) && (has(f.source.trustDomains) || has(f.source.notTrustDomains))\n    )\n  )\n)\n';

function policySpec(selector?: object) {
  return {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [{
        apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'],
        apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'],
      }],
      ...(selector ? { objectSelector: selector } : {}),
    },
    variables: [
      { name: 'isEnvoyFilter', expression: "object.kind == 'EnvoyFilter'" },
      { name: 'isWasmPlugin', expression: "object.kind == 'WasmPlugin'" },
      { name: 'isProxyConfig', expression: "object.kind == 'ProxyConfig'" },
      { name: 'isTelemetry', expression: "object.kind == 'Telemetry'" },
      { name: 'isAuthorizationPolicy', expression: "object.kind == 'AuthorizationPolicy'" },
    ],
    validations: [
      { expression: '!variables.isEnvoyFilter' }, { expression: '!variables.isWasmPlugin' }, { expression: '!variables.isProxyConfig' },
      { expression: TELEMETRY }, { expression: AUTHZ },
    ],
  };
}

describe("istiod's stable-channel policy", () => {
  it('is the chart\'s policy and binding for the default revision, in the Pilot component', () => {
    const found = policies(render(['profile=stable']));
    expect(found.map((o) => o.component)).toStrictEqual(['Pilot', 'Pilot']);
    expect(found.map((o) => o.object)).toStrictEqual([
      {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'stable-channel-policy-istio-system.istio.io', labels: { 'app.kubernetes.io/name': 'istiod', ...CHART_LABELS, 'helm.sh/chart': 'istiod-1.30.3' } },
        spec: policySpec({ matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['default'] }] }),
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'stable-channel-policy-binding-istio-system.istio.io' },
        spec: { policyName: 'stable-channel-policy-istio-system.istio.io', validationActions: ['Deny'] },
      },
    ]);
  });

  it('is named after the revision and the istio namespace and selects the revision', () => {
    const [policy, binding] = policies(render(['profile=stable', 'revision=canary', 'values.global.istioNamespace=mesh'])).map((o) => o.object as any);
    expect(policy.metadata.name).toBe('stable-channel-policy-canary-mesh.istio.io');
    expect(policy.spec.matchConstraints.objectSelector).toStrictEqual({ matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['canary'] }] });
    expect(binding.metadata.name).toBe('stable-channel-policy-binding-canary-mesh.istio.io');
    expect(binding.spec.policyName).toBe('stable-channel-policy-canary-mesh.istio.io');
  });

  it('follows values.experimental.stableValidationPolicy in any profile, and global.resourceScope cluster leaves it out', () => {
    expect(policies(render(['values.experimental.stableValidationPolicy=true'])).map((o) => o.object.metadata.name))
      .toStrictEqual(['stable-channel-policy-istio-system.istio.io', 'stable-channel-policy-binding-istio-system.istio.io']);
    expect(policies(render(['profile=stable', 'values.experimental.stableValidationPolicy=false']))).toStrictEqual([]);
    expect(policies(render(['profile=stable', 'values.global.resourceScope=cluster']))).toStrictEqual([]);
    expect(policies(render([]))).toStrictEqual([]);
  });
});

describe("the base chart's default-revision policy", () => {
  it('comes with a default revision: no selector, labelled with the revision, in the Base component', () => {
    const found = policies(render(['profile=stable', 'values.defaultRevision=default'])).filter((o) => o.component === 'Base');
    expect(found.map((o) => o.object)).toStrictEqual([
      {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy',
        metadata: {
          name: 'stable-channel-default-policy.istio.io',
          labels: { release: 'istio', istio: 'istiod', 'istio.io/rev': 'default', 'app.kubernetes.io/name': 'istiod', ...CHART_LABELS, 'helm.sh/chart': 'base-1.30.3' },
        },
        spec: policySpec(),
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'stable-channel-default-policy-binding.istio.io' },
        spec: { policyName: 'stable-channel-default-policy.istio.io', validationActions: ['Deny'] },
      },
    ]);
  });

  it('is absent without a default revision (istioctl sets it empty) and with global.resourceScope namespace', () => {
    expect(policies(render(['profile=stable'])).filter((o) => o.component === 'Base')).toStrictEqual([]);
    expect(policies(render(['profile=stable', 'values.defaultRevision=canary', 'values.global.resourceScope=namespace'])).filter((o) => o.component === 'Base')).toStrictEqual([]);
  });
});
