// The installer's component graph with ambient's components, over an in-memory cluster whose
// DaemonSets become ready only after a few reads: istioctl's order (Base -> {Pilot, Cni},
// Pilot -> gateways, Cni -> Ztunnel; operator/pkg/install/install.go, Istio 1.30.3), its ✔ lines
// and the ambient profile's closing line, and a DaemonSet that never becomes ready named with its
// unready pods. The objects are built here, so that the test exercises the installer alone.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { MeshConfiguration } from '../../src/render/config.js';
import type { ComponentName } from '../../src/render/render.js';
import { AMBIENT_CLOSING_LINE, runInstallation, type InstallReporter } from '../../src/kube/install.js';
import { KubeError } from '../../src/kube/errors.js';
import type { KubeClient, ListOptions, ObjectRef } from '../../src/kube/types.js';

const NS = 'istio-system';

function object(apiVersion: string, kind: string, name: string, extra: Partial<K8sObject> = {}): K8sObject {
  const namespaced = kind !== 'CustomResourceDefinition' && kind !== 'ClusterRole';
  return { apiVersion, kind, metadata: { name, ...(namespaced ? { namespace: NS } : {}) }, ...extra } as K8sObject;
}

const daemonSet = (name: string) => object('apps/v1', 'DaemonSet', name, { spec: { selector: { matchLabels: { 'k8s-app': name } }, updateStrategy: { type: 'RollingUpdate' } } });

/** What the ambient profile installs, one or two objects per component, plus an ingress gateway to see Pilot's dependents. */
function rendering(): { component: ComponentName; object: K8sObject }[] {
  return [
    { component: 'Base', object: object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'wasmplugins.extensions.istio.io') },
    { component: 'Pilot', object: object('apps/v1', 'Deployment', 'istiod', { spec: { replicas: 1, selector: { matchLabels: { app: 'istiod' } } } }) },
    { component: 'Cni', object: object('v1', 'ConfigMap', 'istio-cni-config') },
    { component: 'Cni', object: daemonSet('istio-cni-node') },
    { component: 'Ztunnel', object: object('v1', 'ServiceAccount', 'ztunnel') },
    { component: 'Ztunnel', object: daemonSet('ztunnel') },
    { component: 'IngressGateways', object: object('apps/v1', 'Deployment', 'istio-ingressgateway', { spec: { replicas: 1, selector: { matchLabels: { app: 'istio-ingressgateway' } } } }) },
  ];
}

function config(profile: string): MeshConfiguration {
  return { profile, spec: {}, namespace: NS, revision: '', values: {}, userSpec: {}, warnings: [] };
}

const keyOf = (r: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>) => `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

function selects(selector: string | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

/**
 * A cluster in memory that records what happens in `events`: `apply <key>` and `ready <key>`
 * (the first read that finds a DaemonSet ready). A DaemonSet reports 2 desired pods and gets
 * one more ready pod per read, unless its name is in `stuck`, whose pods on node-2 never start.
 */
function memoryCluster(stuck: ReadonlySet<string> = new Set()) {
  const store = new Map<string, K8sObject>();
  const reads = new Map<string, number>();
  const events: string[] = [];
  const status = (o: K8sObject): K8sObject => {
    const key = keyOf({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
    if (o.kind === 'DaemonSet') {
      const n = (reads.get(key) ?? 0) + 1;
      reads.set(key, n);
      const ready = Math.min(2, stuck.has(o.metadata.name) ? 1 : n - 1);
      if (ready === 2 && !events.includes(`ready ${key}`)) events.push(`ready ${key}`);
      return { ...o, status: { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: ready } };
    }
    if (o.kind === 'Deployment') return { ...o, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1 } };
    if (o.kind === 'CustomResourceDefinition') return { ...o, status: { conditions: [{ type: 'Established', status: 'True' }] } };
    if (o.kind === 'Namespace') return { ...o, status: { phase: 'Active' } };
    return o;
  };
  const pods = [...stuck].flatMap((name) => [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-a`, namespace: NS, labels: { 'k8s-app': name } }, spec: { nodeName: 'node-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-b`, namespace: NS, labels: { 'k8s-app': name } }, spec: { nodeName: 'node-2' },
      status: { conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'install-cni', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } } }] },
    },
  ] as K8sObject[]);
  let rv = 0;
  const put = (obj: K8sObject) => {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    const existed = store.has(key);
    const stored = { ...obj, metadata: { ...obj.metadata, generation: 1, resourceVersion: String(++rv) } };
    store.set(key, stored);
    return { stored, existed };
  };
  const client = {
    identity: { context: 'memory', server: 'memory', namespace: 'default' },
    stats: { requests: 0, retries: 0 },
    async serverVersion() { return { major: '1', minor: '34', gitVersion: 'v1.34.0' }; },
    async resourceFor(apiVersion: string, kind: string) { return { apiVersion, kind, plural: `${kind.toLowerCase()}s`, namespaced: true, verbs: ['list'] }; },
    async get(ref: ObjectRef) {
      const o = store.get(keyOf(ref));
      return o && status(o);
    },
    async *list(_apiVersion: string, kind: string, opts: ListOptions = {}) {
      const all = kind === 'Pod' ? pods : [...store.values()];
      for (const o of all) {
        if (o.kind === kind && (opts.namespace === undefined || o.metadata.namespace === opts.namespace) && selects(opts.labelSelector, (o.metadata.labels ?? {}) as Record<string, string>)) yield status(o);
      }
    },
    async applyWithAnswer(obj: K8sObject) {
      events.push(`apply ${keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}`);
      const { stored, existed } = put(obj);
      return { object: status(stored), created: !existed };
    },
    async apply(obj: K8sObject) { return put(obj).stored; },
    async create(obj: K8sObject) {
      const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
      if (store.has(key)) throw new KubeError(409, 'AlreadyExists', `${key} exists`);
      return status(put(obj).stored);
    },
    async delete(ref: ObjectRef) { return store.delete(keyOf(ref)); },
  } as unknown as KubeClient;
  return { client, events };
}

function reporter() {
  const lines: string[] = [];
  const out: InstallReporter = {
    warn: (t) => lines.push(`Warning: ${t}`),
    confirm: async () => true,
    status: () => {},
    line: (t) => lines.push(t),
    data: () => {},
  };
  return { out, lines };
}

const OPTIONS = { dryRun: false, yes: true, readinessTimeoutMs: 60_000, pollIntervalMs: 1 };

describe('installing ambient components', () => {
  it('applies Ztunnel only once the CNI DaemonSet is ready, Pilot beside CNI, and prints istioctl\'s lines', async () => {
    const { client, events } = memoryCluster();
    const { out, lines } = reporter();
    const result = await runInstallation(client, { command: 'install', config: config('ambient'), rendering: { objects: rendering(), warnings: [] }, clientVersion: 'test' }, OPTIONS, out);
    expect(result.cancelled).toBe(false);
    const at = (e: string) => {
      const i = events.indexOf(e);
      expect(i, `${e} in ${events.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const cniReady = at(`ready DaemonSet/${NS}/istio-cni-node`);
    // Cni -> Ztunnel: nothing of ztunnel goes out before the CNI DaemonSet is ready.
    expect(at(`apply ServiceAccount/${NS}/ztunnel`)).toBeGreaterThan(cniReady);
    expect(at(`apply DaemonSet/${NS}/ztunnel`)).toBeGreaterThan(cniReady);
    // Base -> {Pilot, Cni}: istiod does not wait for the CNI, and both come after the CRDs.
    expect(at(`apply Deployment/${NS}/istiod`)).toBeLessThan(cniReady);
    expect(at(`apply Deployment/${NS}/istiod`)).toBeGreaterThan(at('apply CustomResourceDefinition/wasmplugins.extensions.istio.io'));
    expect(at(`apply DaemonSet/${NS}/istio-cni-node`)).toBeGreaterThan(at('apply CustomResourceDefinition/wasmplugins.extensions.istio.io'));
    // Pilot -> gateways, not Cni -> gateways.
    expect(at(`apply Deployment/${NS}/istio-ingressgateway`)).toBeGreaterThan(at(`apply Deployment/${NS}/istiod`));
    at(`ready DaemonSet/${NS}/ztunnel`);
    expect(lines.filter((l) => l.startsWith('✔'))).toEqual([
      '✔ Istio core installed', '✔ Istiod installed', '✔ CNI installed', '✔ Ztunnel installed', '✔ Ingress gateways installed', '✔ Installation complete',
    ]);
    expect(lines.at(-1)).toBe(AMBIENT_CLOSING_LINE);
    expect(AMBIENT_CLOSING_LINE).toBe('The ambient profile has been installed successfully, enjoy Istio without sidecars!');
  });

  it('prints the closing line for the ambient profile only (istioctl compares the profile name)', async () => {
    for (const profile of ['openshift-ambient', 'default']) {
      const { client } = memoryCluster();
      const { out, lines } = reporter();
      await runInstallation(client, { command: 'install', config: config(profile), rendering: { objects: rendering(), warnings: [] }, clientVersion: 'test' }, OPTIONS, out);
      expect(lines).toContain('✔ Ztunnel installed');
      expect(lines).not.toContain(AMBIENT_CLOSING_LINE);
    }
  });

  it('names the unready pod and its node when the CNI DaemonSet times out, and skips Ztunnel', async () => {
    const { client, events } = memoryCluster(new Set(['istio-cni-node']));
    const { out, lines } = reporter();
    const run = runInstallation(client, { command: 'install', config: config('ambient'), rendering: { objects: rendering(), warnings: [] }, clientVersion: 'test' }, { ...OPTIONS, readinessTimeoutMs: 50 }, out);
    await expect(run).rejects.toThrow(/installation incomplete: CNI failed/);
    const failed = lines.find((l) => l.startsWith('✘ CNI encountered an error: '));
    expect(failed).toBeDefined();
    expect(failed).toContain(`resources not ready after 50ms:\n  DaemonSet/${NS}/istio-cni-node (1/2 pods ready; `
      + 'pod istio-cni-node-b on node-2: container failed to start: CrashLoopBackOff: back-off 40s restarting failed container)');
    expect(failed).not.toContain('istio-cni-node-a');
    expect(lines).toContain('✔ Istiod installed');
    expect(lines.some((l) => l.includes('Ztunnel'))).toBe(false);
    expect(events.some((e) => e.startsWith('apply') && e.includes('ztunnel'))).toBe(false);
  });
});
