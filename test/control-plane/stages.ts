/**
 * kwok's stages for the test control plane: what its stand-in kubelet does to Nodes and Pods.
 * kwok ships no default stages, so these are the project's own, written for what meshctl needs:
 * Nodes become Ready with the kubelet version the test asks for; Pods become Ready after a delay,
 * or fail the way a real kubelet reports an image that cannot be pulled or a container that keeps
 * crashing (status, waiting reason, a Warning event), per workload; deleted Pods go away; Job Pods
 * complete. Selectors are kwok's jq expressions over the object.
 */
import { stringify } from 'yaml';

/** How the kubelet stand-in treats the Pods of one workload. */
export type WorkloadBehaviour =
  | { kind: 'ready' }
  | { kind: 'fail'; reason: 'ImagePullBackOff' | 'ErrImagePull' | 'CrashLoopBackOff' };

/** Options of the stages. */
export interface StageOptions {
  /** Delay before a Pod becomes Ready, ms. */
  readyDelayMs: number;
  /**
   * Per-workload behaviour, keyed `namespace/name` of the Deployment, DaemonSet, StatefulSet or
   * Job that owns the Pods (a ReplicaSet's Pods count as its Deployment's).
   */
  workloads: Record<string, WorkloadBehaviour>;
}

/**
 * A jq expression giving `namespace/owner` for a Pod, where owner is its controller's name with a
 * ReplicaSet's pod-template-hash suffix removed (so the Deployment's name).
 */
const WORKLOAD_KEY =
  '.metadata.namespace + "/" + ((.metadata.ownerReferences // []) | map(select(.controller == true)) | ' +
  'if length == 0 then "" elif .[0].kind == "ReplicaSet" then (.[0].name | sub("-[^-]+$"; "")) else .[0].name end)';

const notDeleting = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };

/**
 * Status of a Pod whose containers are all running and ready. A Pod keeps the address it has: kwok
 * hands out addresses from memory, so after a restart it would give a running Pod a second one,
 * and the status patch (podIPs merge by address) would then hold two of one family, which the API
 * server refuses.
 */
const READY_STATUS = `{{ $now := Now }}
phase: Running
startTime: {{ or .status.startTime $now | Quote }}
conditions:
{{ range list "PodReadyToStartContainers" "Initialized" "ContainersReady" "Ready" "PodScheduled" }}
- type: {{ . }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
{{ range .spec.readinessGates }}
- type: {{ .conditionType | Quote }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ printf "%s@sha256:0" .image | Quote }}
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ printf "%s@sha256:0" .image | Quote }}
  restartCount: 0
{{ if eq (or .restartPolicy "") "Always" }}
  ready: true
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ else }}
  ready: true
  started: false
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ with or .status.podIP ( PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) ) }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}
`;

/** Status of a Pod whose containers wait with `reason` (as a kubelet reports image pull failures and crash loops). */
function waitingStatus(reason: string): string {
  const message = reason === 'CrashLoopBackOff'
    ? '{{ printf "back-off 10s restarting failed container=%s pod=%s_%s(%s)" .name $pod.metadata.name $pod.metadata.namespace $pod.metadata.uid | Quote }}'
    : reason === 'ErrImagePull'
      ? '{{ printf "failed to pull and unpack image %q: not found" .image | Quote }}'
      : '{{ printf "Back-off pulling image %q" .image | Quote }}';
  const restarts = reason === 'CrashLoopBackOff' ? '3' : '0';
  const lastState = reason === 'CrashLoopBackOff'
    ? `
  lastState:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}`
    : '';
  // A Pod that has run keeps phase Running while its containers wait (a kubelet never moves a Pod
  // back to Pending); one that never ran stays Pending while its images cannot be pulled.
  const phase = reason === 'CrashLoopBackOff' ? 'Running' : '{{ if eq (or .status.phase "") "Running" }}Running{{ else }}Pending{{ end }}';
  return `{{ $now := Now }}{{ $pod := . }}
phase: ${phase}
startTime: {{ or .status.startTime $now | Quote }}
conditions:
- type: Initialized
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "False"
  reason: ContainersNotReady
  lastTransitionTime: {{ $now | Quote }}
- type: Ready
  status: "False"
  reason: ContainersNotReady
  lastTransitionTime: {{ $now | Quote }}
- type: PodScheduled
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: ${restarts}
  state:
    waiting:
      reason: ${reason}
      message: ${message}${lastState}
{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
`;
}

/** Event messages a kubelet records for each failure (reason `Failed` or `BackOff`). */
const FAILURE_EVENT: Record<string, { reason: string; message: string }> = {
  ImagePullBackOff: { reason: 'Failed', message: 'Error: ImagePullBackOff' },
  ErrImagePull: { reason: 'Failed', message: 'Error: ErrImagePull' },
  CrashLoopBackOff: { reason: 'BackOff', message: 'Back-off restarting failed container' },
};

type Stage = Record<string, unknown>;

function stage(name: string, kind: 'Pod' | 'Node', spec: Record<string, unknown>): Stage {
  return { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name }, spec: { resourceRef: { apiGroup: 'v1', kind }, ...spec } };
}

/** Returns the Stage objects for these options. */
export function stages(opts: StageOptions): Stage[] {
  const failing = new Map<string, string[]>();
  for (const [key, b] of Object.entries(opts.workloads)) {
    if (b.kind === 'fail') failing.set(b.reason, [...(failing.get(b.reason) ?? []), key]);
  }
  const allFailing = [...failing.values()].flat();
  const out: Stage[] = [
    stage('node-ready', 'Node', {
      selector: { matchExpressions: [{ key: '.status.conditions.[] | select(.type == "Ready") | .status', operator: 'NotIn', values: ['True'] }] },
      next: {
        statusTemplate: `{{ $now := Now }}{{ $info := or .status.nodeInfo dict }}
phase: Running
conditions:
{{ range list "MemoryPressure" "DiskPressure" "PIDPressure" }}
- type: {{ . }}
  status: "False"
  reason: {{ printf "KubeletHasNo%s" . }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
- type: Ready
  status: "True"
  reason: KubeletReady
  message: kubelet is posting ready status
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
addresses:
- type: InternalIP
  address: {{ NodeIP | Quote }}
- type: Hostname
  address: {{ .metadata.name | Quote }}
capacity:
  cpu: "32"
  memory: 128Gi
  pods: "1000"
allocatable:
  cpu: "32"
  memory: 128Gi
  pods: "1000"
nodeInfo:
  architecture: {{ or $info.architecture "amd64" }}
  operatingSystem: {{ or $info.operatingSystem "linux" }}
  kubeletVersion: {{ or $info.kubeletVersion "v1.35.3" }}
  kubeProxyVersion: {{ or $info.kubeProxyVersion "" | Quote }}
  containerRuntimeVersion: {{ or $info.containerRuntimeVersion "containerd://2.1.0" }}
  kernelVersion: {{ or $info.kernelVersion "6.1.0" }}
  osImage: {{ or $info.osImage "Debian GNU/Linux 12 (bookworm)" | Quote }}
  machineID: ""
  systemUUID: ""
  bootID: ""
`,
      },
    }),
    stage('pod-ready', 'Pod', {
      selector: {
        matchExpressions: [
          notDeleting,
          { key: '.status.phase', operator: 'In', values: ['Pending', 'Running'] },
          { key: '.status.conditions.[] | select(.type == "Ready") | .status', operator: 'NotIn', values: ['True'] },
          ...(allFailing.length > 0 ? [{ key: WORKLOAD_KEY, operator: 'NotIn', values: allFailing }] : []),
          // Job Pods run to completion instead (pod-complete).
          { key: '.metadata.ownerReferences.[] | select(.kind == "Job") | .kind', operator: 'DoesNotExist' },
        ],
      },
      delay: { durationMilliseconds: opts.readyDelayMs },
      next: { statusTemplate: READY_STATUS },
    }),
    stage('pod-complete', 'Pod', {
      selector: {
        matchExpressions: [
          notDeleting,
          { key: '.status.phase', operator: 'In', values: ['Pending', 'Running'] },
          { key: '.metadata.ownerReferences.[] | select(.kind == "Job") | .kind', operator: 'Exists' },
        ],
      },
      delay: { durationMilliseconds: opts.readyDelayMs },
      next: {
        statusTemplate: `{{ $now := Now }}
phase: Succeeded
startTime: {{ or .status.startTime $now | Quote }}
conditions:
- type: Ready
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
`,
      },
    }),
    // A deleted Pod: its finalizers are cleared and it is removed, as a kubelet confirms a stop.
    stage('pod-delete', 'Pod', {
      selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }] },
      next: { finalizers: { empty: true }, delete: true },
    }),
  ];
  for (const [reason, keys] of failing) {
    out.push(stage(`pod-${reason.toLowerCase()}`, 'Pod', {
      selector: {
        matchExpressions: [
          notDeleting,
          { key: WORKLOAD_KEY, operator: 'In', values: keys },
          { key: '.status.containerStatuses.[0].state.waiting.reason', operator: 'NotIn', values: [reason] },
        ],
      },
      next: { statusTemplate: waitingStatus(reason), event: { type: 'Warning', ...FAILURE_EVENT[reason] } },
    }));
  }
  return out;
}

/** Returns the kwok configuration file (stages as YAML documents). */
export function kwokConfig(opts: StageOptions): string {
  return stages(opts).map((s) => stringify(s, { lineWidth: 0 })).join('---\n');
}
