/**
 * k8sgateway.SelectorAnalyzer: a policy attaches to a Kubernetes Gateway through `targetRef`; a
 * `selector` that picks the Gateway's pods has no effect there (IST0166). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/k8sgateway/workloadselector.go:
 * - policies: AuthorizationPolicy, RequestAuthentication, Telemetry and WasmPlugin;
 * - a policy with `spec.targetRef` set, or without `spec.selector`, is left alone;
 * - gateway pods are the pods of the policy's namespace labelled
 *   `gateway.networking.k8s.io/gateway-name`; the selector's `matchLabels` must all be among a
 *   pod's labels (an empty `matchLabels` picks every gateway pod);
 * - one finding per matching pod, naming the pod's Gateway.
 * Pod templates stand in for pods in file mode. Findings point at the selector.
 */
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asMap, field, stringMap } from '../resource.js';
import { matchesLabels } from '../util/labels.js';
import { selectorPath } from './gateway-selection.js';

/** The label Gateway API implementations put on a Gateway's pods. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The policy kinds a selector may wrongly point at a Kubernetes Gateway. */
const POLICY_KINDS = [K.AuthorizationPolicy, K.RequestAuthentication, K.Telemetry, K.WasmPlugin] as const;

export const kubernetesGatewaySelectorAnalyzer: Analyzer = {
  name: 'k8sgateway.SelectorAnalyzer',
  description: 'Flags policies that select Kubernetes Gateway pods by label instead of attaching by targetRef',
  inputs: [...POLICY_KINDS, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.IneffectiveSelector],
  analyze(ctx) {
    const gatewayPods = new Map<string, Readonly<Record<string, string>>[]>();
    let gathered = false;
    const podsIn = (namespace: string): readonly Readonly<Record<string, string>>[] => {
      if (!gathered) {
        gathered = true;
        for (const w of ctx.workloads()) {
          if (!Object.hasOwn(w.labels, GATEWAY_NAME_LABEL)) continue;
          const list = gatewayPods.get(w.namespace) ?? [];
          list.push(w.labels);
          gatewayPods.set(w.namespace, list);
        }
      }
      return gatewayPods.get(namespace) ?? [];
    };

    for (const kind of POLICY_KINDS) {
      for (const policy of ctx.list(kind)) {
        const spec = asMap(policy.object.spec);
        if (spec.targetRef !== undefined && spec.targetRef !== null) continue;
        if (spec.selector === undefined || spec.selector === null) continue;
        const selector = stringMap(field(spec.selector, 'matchLabels'));
        const path = selectorPath(['spec', 'selector', 'matchLabels'], selector);
        for (const labels of podsIn(policy.namespace)) {
          if (matchesLabels(selector, labels)) ctx.report(MESSAGES.IneffectiveSelector, { resource: policy, path }, labels[GATEWAY_NAME_LABEL]);
        }
      }
    }
  },
};
