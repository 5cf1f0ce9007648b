/**
 * The stable channel's ValidatingAdmissionPolicy and its binding (the `stable` profile's
 * `experimental.stableValidationPolicy`), per Istio 1.30.3: the istio-discovery chart's
 * validatingadmissionpolicy.yaml (per revision, for objects labelled with it) and the base chart's
 * defaultrevision-validatingadmissionpolicy.yaml (for every object, following the default revision).
 */
import type { JsonObject, K8sObject } from '../../manifest/objects.js';
import { chartLabels } from '../context.js';

const ADMISSION = 'admissionregistration.k8s.io/v1';

/** CEL for the Telemetry fields outside the stable channel (the charts' text, kept verbatim: a block scalar). */
const TELEMETRY_CHECK = `!(
  variables.isTelemetry && (
    (has(object.spec.tracing) ? object.spec.tracing : {}).exists(t, has(t.useRequestIdForTraceSampling)) ||
    (has(object.spec.metrics) ? object.spec.metrics : {}).exists(m, has(m.reportingInterval)) ||
    (has(object.spec.accessLogging) ? object.spec.accessLogging : {}).exists(l, has(l.filter))
  )
)
`;

/** CEL for the AuthorizationPolicy fields outside the stable channel (the charts' text). */
const AUTHZ_CHECK = `!(
  variables.isAuthorizationPolicy &&
  has(object.spec.rules) &&
  object.spec.rules.exists(r,
    has(r.from) && r.from.exists(f,
      has(f.source) && (has(f.source.trustDomains) || has(f.source.notTrustDomains))
    )
  )
)
`;

function policySpec(objectSelector: JsonObject | undefined): JsonObject {
  return {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [{
        apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'],
        apiVersions: ['*'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['*'],
      }],
      ...(objectSelector ? { objectSelector } : {}),
    },
    variables: ['EnvoyFilter', 'WasmPlugin', 'ProxyConfig', 'Telemetry', 'AuthorizationPolicy']
      .map((kind) => ({ name: `is${kind}`, expression: `object.kind == '${kind}'` })),
    validations: [
      { expression: '!variables.isEnvoyFilter' },
      { expression: '!variables.isWasmPlugin' },
      { expression: '!variables.isProxyConfig' },
      { expression: TELEMETRY_CHECK },
      { expression: AUTHZ_CHECK },
    ],
  };
}

function binding(name: string, policyName: string): K8sObject {
  return { apiVersion: ADMISSION, kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName, validationActions: ['Deny'] } };
}

/**
 * Returns istiod's stable-channel policy and binding: `stable-channel-policy[-<rev>]-<istioNamespace>.istio.io`,
 * matching objects labelled `istio.io/rev` = the revision (`default` for none); the binding
 * `stable-channel-policy-binding[-<rev>]-<istioNamespace>.istio.io` denies. Per the istio-discovery chart.
 */
export function revisionStablePolicy(revision: string, istioNamespace: string): K8sObject[] {
  const middle = revision ? `-${revision}` : '';
  const name = `stable-channel-policy${middle}-${istioNamespace}.istio.io`;
  const selector = { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [revision || 'default'] }] };
  return [
    { apiVersion: ADMISSION, kind: 'ValidatingAdmissionPolicy', metadata: { name, labels: { 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') } }, spec: policySpec(selector) },
    binding(`stable-channel-policy-binding${middle}-${istioNamespace}.istio.io`, name),
  ];
}

/**
 * Returns the base chart's stable-channel policy for the default revision, `stable-channel-default-policy.istio.io`
 * (no object selector, labelled with the default revision), and its denying binding. Per the base chart.
 */
export function defaultRevisionStablePolicy(defaultRevision: string): K8sObject[] {
  const name = 'stable-channel-default-policy.istio.io';
  const labels = { release: 'istio', istio: 'istiod', 'istio.io/rev': defaultRevision, 'app.kubernetes.io/name': 'istiod', ...chartLabels('base') };
  return [
    { apiVersion: ADMISSION, kind: 'ValidatingAdmissionPolicy', metadata: { name, labels }, spec: policySpec(undefined) },
    binding('stable-channel-default-policy-binding.istio.io', name),
  ];
}
