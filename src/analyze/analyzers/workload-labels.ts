/**
 * workload.AppVersionLabelAnalyzer (meshctl's own; Istio retired its check): every workload's pod
 * template should carry a name label and a version label, which Istio turns into the canonical
 * service and revision its telemetry is keyed by (MSH0001), and no two workloads of a namespace
 * should share both (MSH0002), or their metrics merge. Label names and precedence per Istio 1.30
 * (pkg/kube/labels canonical name and revision; istioctl validate's deployment check).
 */
import type { AnalysisContext, Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field, friendlyName } from '../resource.js';

/** Labels naming the application, in Istio's order of precedence. */
export const NAME_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'] as const;
/** Labels naming the version, in Istio's order of precedence. */
export const VERSION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'] as const;

/** Kinds whose pod templates are checked. ReplicationController is left out, as istioctl's list does. */
const CHECKED = new Set<string>([K.Deployment, K.StatefulSet, K.DaemonSet, K.ReplicaSet, K.Job, K.CronJob, K.Pod]);

/** Returns the first label of `names` present in `labels`, with its value. */
export function firstLabel(labels: Readonly<Record<string, string>>, names: readonly string[]): { label: string; value: string } | undefined {
  for (const label of names) if (labels[label] !== undefined) return { label, value: labels[label]! };
  return undefined;
}

/** Returns the workloads whose labels are their own: owned pods and ReplicaSets follow their owner. */
export function labelledWorkloads(ctx: AnalysisContext): WorkloadInstance[] {
  return ctx.workloads().filter((w) => CHECKED.has(w.resource.key)
    && asList(field(w.resource.object.metadata, 'ownerReferences')).length === 0);
}

export const workloadLabelsAnalyzer: Analyzer = {
  name: 'workload.AppVersionLabelAnalyzer',
  description: 'Checks that workloads carry app and version labels and that no two workloads of a namespace share them',
  inputs: WORKLOAD_INPUTS,
  messages: [MESSAGES.WorkloadMissingLabels, MESSAGES.WorkloadDuplicateAppVersion],
  analyze(ctx) {
    const groups = new Map<string, WorkloadInstance[]>();
    for (const w of labelledWorkloads(ctx)) {
      const at = { resource: w.resource, path: [...w.templatePath, 'metadata', 'labels'], key: true };
      const subject = w.fromTemplate ? 'The pod template' : 'The pod';
      const app = firstLabel(w.labels, NAME_LABELS);
      const version = firstLabel(w.labels, VERSION_LABELS);
      if (!app) ctx.report(MESSAGES.WorkloadMissingLabels, at, subject, 'app', NAME_LABELS.join(', '), 'telemetry is named after the workload instead');
      if (!version) ctx.report(MESSAGES.WorkloadMissingLabels, at, subject, 'version', VERSION_LABELS.join(', '), 'telemetry reports the version as "latest"');
      if (app && version) {
        const k = `${w.namespace}\u0000${app.value}\u0000${version.value}`;
        const list = groups.get(k);
        if (list) list.push(w);
        else groups.set(k, [w]);
      }
    }
    for (const list of groups.values()) {
      if (list.length < 2) continue;
      const names = list.map((w) => friendlyName({ ...w.resource, namespace: '' }));
      for (const w of list) {
        const app = firstLabel(w.labels, NAME_LABELS)!;
        const version = firstLabel(w.labels, VERSION_LABELS)!;
        ctx.report(MESSAGES.WorkloadDuplicateAppVersion,
          { resource: w.resource, path: [...w.templatePath, 'metadata', 'labels', version.label] },
          names, w.namespace, app.value, version.value);
      }
    }
  },
};
