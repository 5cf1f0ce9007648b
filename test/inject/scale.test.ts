/**
 * Correctness at scale (issue 16): kube-inject of a generated file of 2,000 workloads, then
 * kube-uninject of its output, gives the input back byte for byte; injecting the output again
 * changes nothing (every workload reported unchanged); and a workload comes out as it does when
 * injected on its own, so reading a large file document by document changes no byte. The workloads
 * mix kinds, block and flow styles, comments, quoting, Services between them and workloads left
 * alone (host networking, injection disabled).
 */
import { describe, expect, it } from 'vitest';
import { injectFile, uninjectFile } from '../../src/inject/documents.js';
import { defaultInjector } from './injector.js';
import { workerScript } from './worker-script.js';
import { workerPods } from '../../src/cli/inject-workers.js';

const WORKLOADS = 2_000;

/** Returns the text of workload `i` (one of several shapes) and, for every third, its Service. */
function workload(i: number): string {
  const app = `svc-${i}`;
  const ns = `team-${i % 17}`;
  const service = i % 3 === 0 ? `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${app}, namespace: ${ns}}\nspec:\n  selector: {app: ${app}}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n` : '';
  switch (i % 6) {
    case 0:
      return `# ${app}: block style, comments, quoted strings, probes
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${ns}
  labels: {app: ${app}, version: "v${i % 3}"}
spec:
  replicas: ${1 + (i % 3)}
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}   # kept
        version: "v${i % 3}"
      annotations:
        owner: 'team-${i % 17}@example.com'
    spec:
      containers:
      - name: app
        image: "registry.example.com/${app}:1.${i % 10}.0"
        ports:
        - containerPort: 8080
        env:
        - {name: LOG_LEVEL, value: info}
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
${service}`;
    case 1:
      return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${app}, namespace: ${ns}}
spec: {serviceName: ${app}, selector: {matchLabels: {app: ${app}}}, template: {metadata: {labels: {app: ${app}}}, spec: {containers: [{name: db, image: "postgres:16", ports: [{containerPort: 5432}]}]}}}
${service}`;
    case 2:
      return `apiVersion: v1
kind: Pod
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  containers:
    - name: app
      image: nginx
      livenessProbe:
        tcpSocket:
          port: 80
${service}`;
    case 3:
      return `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${app}, namespace: ${ns}}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: {sidecar.istio.io/nativeSidecar: "true"}
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox, args: ["sh", "-c", "echo ${i}"]}]
${service}`;
    case 4:
      // Left alone: host networking every other time, injection disabled otherwise.
      return i % 12 === 4
        ? `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ${app}, namespace: ${ns}}\nspec:\n  selector: {matchLabels: {app: ${app}}}\n  template:\n    metadata: {labels: {app: ${app}}}\n    spec:\n      hostNetwork: true\n      containers: [{name: agent, image: agent}]\n${service}`
        : `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${app}, namespace: ${ns}}\nspec:\n  selector: {matchLabels: {app: ${app}}}\n  template:\n    metadata:\n      labels: {app: ${app}, sidecar.istio.io/inject: "false"}\n    spec:\n      containers: [{name: app, image: app}]\n${service}`;
    default:
      return `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      initContainers:
      - name: migrate
        image: "migrate:1"
      containers:
      - name: app
        image: "app:2"
        resources:
          requests: {cpu: 100m, memory: 64Mi}
${service}`;
  }
}

const docs = Array.from({ length: WORKLOADS }, (_, i) => workload(i));
const input = docs.join('---\n');

describe(`kube-inject of ${WORKLOADS} workloads in one file`, () => {
  it('round-trips through kube-uninject byte for byte, and injecting again changes nothing', async () => {
    const injector = await defaultInjector();
    const injected = injectFile(injector, input, 'workloads.yaml');
    expect(injected.workloads).toHaveLength(WORKLOADS);
    const skipped = injected.workloads.filter((w) => w.action === 'skipped').length;
    expect(skipped).toBe(Math.ceil((WORKLOADS - 4) / 6));
    expect(injected.workloads.filter((w) => w.action === 'injected')).toHaveLength(WORKLOADS - skipped);
    expect(injected.workloads.flatMap((w) => w.notes)).toEqual([]);

    const back = uninjectFile(injected.output, 'workloads.yaml');
    expect(back.output === input).toBe(true);

    const again = injectFile(injector, injected.output, 'workloads.yaml');
    expect(again.output === injected.output).toBe(true);
    expect(new Set(again.workloads.map((w) => w.action))).toEqual(new Set(['unchanged', 'skipped']));

    // Nothing left to remove from the input itself.
    expect(uninjectFile(input, 'workloads.yaml').output === input).toBe(true);

    // The same bytes as injecting a workload on its own (a sample of every shape).
    for (let i = 0; i < 200; i += 7) {
      const one = injectFile(injector, docs[i]!, `one-${i}.yaml`).output;
      expect(injected.output.includes(one), `workload ${i}`).toBe(true);
    }

    // With the pods injected on a worker thread (as large runs of the CLI do): the same bytes and
    // reports, for the first injection and for the injection of its output (pods already injected).
    const parallel = workerPods({ minSize: 0, script: await workerScript() });
    const onWorker = injectFile(injector, input, 'workloads.yaml', parallel);
    expect(onWorker.output === injected.output).toBe(true);
    expect(onWorker.workloads).toEqual(injected.workloads);
    const againOnWorker = injectFile(injector, injected.output, 'workloads.yaml', parallel);
    expect(againOnWorker.output === again.output).toBe(true);
    expect(againOnWorker.workloads).toEqual(again.workloads);
  }, 240_000);
});
