/**
 * `meshctl uninstall` against a real control plane (test/control-plane/), on meshes that
 * `meshctl install` put there. One control plane serves the whole file: the describe blocks run in
 * order, each installing what it needs after the previous one purged. The steps of a block share
 * its installation and run in order: each asserts what it changed (or that it changed nothing).
 * Deletes finish in the background on a real API server (garbage collection of a Deployment's
 * ReplicaSets and Pods, a CRD's custom resources, finalizers), and uninstall waits for them: what
 * the tests read right after uninstall returns is what uninstall waited for.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { ObjectEvent } from '../control-plane/objects.js';
import type { KObject } from '../control-plane/types.js';
import { main } from '../../src/main.js';
import { run, testDeps, type RunResult } from '../helpers.js';
import { waitFor } from '../control-plane/wait.js';

/** Every kind an installation consists of, and what runs it (group, kind), for snapshots. */
const KINDS: [string, string][] = [
  ['apiextensions.k8s.io', 'CustomResourceDefinition'], ['', 'ServiceAccount'], ['rbac.authorization.k8s.io', 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
  ['', 'ConfigMap'], ['apps', 'Deployment'], ['apps', 'ReplicaSet'], ['', 'Service'], ['autoscaling', 'HorizontalPodAutoscaler'], ['', 'Pod'], ['', 'Namespace'],
];

const HOLD = 'example.com/hold';

let cp: ControlPlane;
let env: Record<string, string>;
const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });

beforeAll(async () => {
  cp = await startControlPlane({ readyDelayMs: 0 });
  env = { KUBECONFIG: cp.kubeconfigPath };
});
afterAll(async () => cp?.close());

/**
 * Returns `kind/ns/name@resourceVersion` of every object of KINDS, sorted: equal snapshots mean
 * nothing changed. Pods are left out: the kubelet stand-in updates their status on its own.
 */
async function snapshot(): Promise<string[]> {
  const lists = await Promise.all(KINDS.filter(([, k]) => k !== 'Pod').map(([g, k]) => cp.store.list(g, k)));
  return lists.flat().map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`).sort();
}

/** Returns the objects of KINDS that carry the component owner label (pods and ReplicaSets inherit it from their template). */
async function owned(): Promise<KObject[]> {
  const lists = await Promise.all(KINDS.map(([g, k]) => cp.store.list(g, k)));
  return lists.flat().filter((o) => o.metadata.labels?.['operator.istio.io/component']);
}

async function install(...args: string[]): Promise<void> {
  const r = await meshctl('install', '-y', '--poll-interval', '100ms', ...args);
  expect(r.code, r.stderr).toBe(0);
}

/** Removes every finalizer of a core object (a JSON merge patch), as whoever set them would once done. */
async function release(kind: 'configmaps' | 'namespaces', namespace: string | undefined, name: string): Promise<void> {
  const path = namespace ? `/api/v1/namespaces/${namespace}/${kind}/${name}` : `/api/v1/${kind}/${name}`;
  const a = await cp.rest.request(path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
  expect([200, 404]).toContain(a.status);
}

/** A ConfigMap with a finalizer nobody removes: deleting it (or its namespace) never finishes until `release`. */
function heldConfigMap(namespace: string, name: string, labels: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, finalizers: [HOLD] }, data: { note: 'held' } };
}

/** An injected workload pod of the default revision, as the sidecar injector leaves it. */
function injectedPod(namespace: string, name: string, revision = 'default'): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: { app: name, 'security.istio.io/tlsMode': 'istio' }, annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], revision }) } },
    spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' }] },
  };
}

describe('uninstall of an installed demo mesh', () => {
  beforeAll(async () => {
    await install('--set', 'profile=demo');
    // An application namespace with injection on and one injected pod still running.
    await cp.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } });
    await waitFor('ServiceAccount shop/default', async () => !!await cp.store.get({ group: '', kind: 'ServiceAccount', namespace: 'shop', name: 'default' }));
    await cp.store.create(injectedPod('shop', 'cart-7d9f'));
    // Settled: the controllers and the kubelet stand-in have no more writes to make.
    await waitFor('every pod to run', async () => (await cp.store.list('', 'Pod')).every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running'));
  });

  it('refuses without -y when stdin is not a terminal, and deletes nothing', async () => {
    const before = await snapshot();
    const r = await meshctl('uninstall', '-r', 'default');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass -y');
    expect(await snapshot()).toEqual(before);
  });

  it('asks on a terminal and stops at "n" with Cancelled.', async () => {
    const before = await snapshot();
    const { deps, out } = testDeps({ env });
    const questions: string[] = [];
    deps.stdinIsTTY = true;
    deps.prompt = async (q) => { questions.push(q); return 'n'; };
    const code = await main(['uninstall', '-r', 'default'], deps);
    expect(code).toBe(1);
    expect(questions).toEqual(['This will uninstall the Istio control plane revision "default" (27 objects) from the cluster. Proceed? (y/N) ']);
    expect(out().stderr).toContain('Cancelled.\n');
    expect(await snapshot()).toEqual(before);
  });

  it('--dry-run lists the objects in deletion order on stdout and deletes nothing', async () => {
    const before = await snapshot();
    const r = await meshctl('uninstall', '-r', 'default', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshot()).toEqual(before);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('The following 27 objects of control plane revision "default" will be deleted, in this order:');
    const at = (text: string) => lines.findIndex((l) => l.trim() === text);
    expect(at('Egress gateways (5):')).toBeLessThan(at('Ingress gateways (5):'));
    expect(at('Ingress gateways (5):')).toBeLessThan(at('Istiod (16):'));
    // Webhooks go first within istiod (injection stops before validation), the installed state last of all.
    expect(at('MutatingWebhookConfiguration/istio-sidecar-injector')).toBe(at('Istiod (16):') + 1);
    expect(at('ValidatingWebhookConfiguration/istio-validator-istio-system')).toBe(at('Istiod (16):') + 2);
    expect(lines.at(-2)).toBe('    ConfigMap/istio-system/meshctl-installed-state');
    expect(r.stdout).not.toContain('CustomResourceDefinition');
    expect(r.stderr).toContain('Dry run: nothing was deleted (27 objects would be).');
    // The installation's namespace is not being deleted: nothing to say about it.
    expect(r.stderr).not.toContain('! Namespace');
  });

  it('-r default warns about proxies, removes istiod and gateways in order with their ReplicaSets and Pods, keeps Base and the CRDs', async () => {
    // An object whose owner labels were edited away is still found through the installed state's inventory.
    const mesh = (await cp.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' }))!;
    const unlabelled = await cp.rest.request('/api/v1/namespaces/istio-system/configmaps/istio', { method: 'PUT', body: { ...mesh, metadata: { ...mesh.metadata, labels: {} } } });
    expect(unlabelled.status).toBe(200);
    const workloads = ['istiod', 'istio-ingressgateway', 'istio-egressgateway'];
    const ofWorkloads = (objs: KObject[]) => objs.filter((o) => workloads.includes(o.metadata.labels?.app ?? ''));
    expect(ofWorkloads(await cp.store.list('apps', 'ReplicaSet', 'istio-system'))).toHaveLength(3);
    expect(ofWorkloads(await cp.store.list('', 'Pod', 'istio-system'))).toHaveLength(3);

    const r = await meshctl('uninstall', '-r', 'default', '-y', '--poll-interval', '100ms');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('There are still 1 proxy pointing to the control plane revision default:\n  shop/cart-7d9f\n');
    expect(r.stderr).toContain('If you proceed with the uninstall, these proxies will become detached from any control plane and will not function correctly.');
    expect(r.stderr).toContain('Namespaces still labelled for injection by the control plane revision default: shop;');
    expect(r.stderr).toContain('You are about to remove the following gateways: istio-egressgateway.istio-system, istio-ingressgateway.istio-system.');
    const removed = r.stderr.split('\n').filter((l) => l.startsWith('  Removed ')).map((l) => l.slice('  Removed '.length, -1));
    expect(removed).toHaveLength(27);
    expect(removed.indexOf('Deployment/istio-system/istio-egressgateway')).toBeLessThan(removed.indexOf('Deployment/istio-system/istiod'));
    expect(removed.indexOf('ValidatingWebhookConfiguration/istio-validator-istio-system')).toBeLessThan(removed.indexOf('Service/istio-system/istiod'));
    expect(removed).toContain('ConfigMap/istio-system/istio');
    expect(removed.at(-1)).toBe('ConfigMap/istio-system/meshctl-installed-state');
    expect(r.stderr).not.toContain('✘');
    expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);

    // Read as soon as uninstall returned: the garbage collector has removed the Deployments'
    // ReplicaSets and Pods (foreground deletion), and uninstall waited for it.
    expect(ofWorkloads(await cp.store.list('apps', 'ReplicaSet', 'istio-system'))).toEqual([]);
    expect(ofWorkloads(await cp.store.list('', 'Pod', 'istio-system'))).toEqual([]);
    expect(await cp.store.list('apps', 'Deployment', 'istio-system')).toEqual([]);
    const left = (await owned()).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(left.filter((k) => k.startsWith('CustomResourceDefinition/'))).toHaveLength(15);
    expect(left.filter((k) => !k.startsWith('CustomResourceDefinition/'))).toEqual(['ServiceAccount/istio-reader-service-account']);
  });

  it('says so when a revision has nothing left, and fails for a revision that never existed', async () => {
    const again = await meshctl('uninstall', '-r', 'default', '-y');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('No resources will be pruned from the cluster. Please double check the input configs');
    const none = await meshctl('uninstall', '-r', 'canary', '-y');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('could not find target revision "canary"');
  });

  it('--purge removes every owned object, every CRD and the custom resources users created, and keeps the namespace', async () => {
    const resources: KObject[] = [
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'cart', namespace: 'shop' }, spec: { hosts: ['cart'], http: [{ route: [{ destination: { host: 'cart', subset: 'v1' } }] }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'cart', namespace: 'shop' }, spec: { host: 'cart', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } },
    ];
    for (const o of resources) await cp.store.create(o);
    // Watch them: once their CRDs are gone they cannot be read any more, so their deletion is seen as it happens.
    const events: ObjectEvent[] = [];
    const stops = await Promise.all(resources.map((o) => cp.store.watch('networking.istio.io', o.kind, (e) => events.push(e))));
    try {
      await waitFor('the watches to list the custom resources', async () => resources.every((o) => events.some((e) => e.type === 'ADDED' && e.object.kind === o.kind)));

      const r = await meshctl('uninstall', '--purge', '-y', '--poll-interval', '100ms');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('Istio core (16):');
      expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);
      expect(await owned()).toEqual([]);
      // Read as soon as uninstall returned: the CRDs are gone, which the API server allows only
      // after it deleted every custom resource of theirs.
      expect(await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).toEqual([]);
      await waitFor('the watches to see the deletions', async () => resources.every((o) => events.some((e) => e.type === 'DELETED' && e.object.kind === o.kind)));
      expect(events.filter((e) => e.type === 'DELETED').map((e) => `${e.object.kind}/${e.object.metadata.namespace}/${e.object.metadata.name}`).sort())
        .toEqual(['DestinationRule/shop/cart', 'VirtualService/shop/cart']);
    } finally {
      for (const stop of stops) stop();
    }
    expect(await cp.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeDefined();
    // The application is not Istio's to delete.
    expect(await cp.store.get({ group: '', kind: 'Pod', namespace: 'shop', name: 'cart-7d9f' })).toBeDefined();
  });
});

describe('uninstall of a revision whose installed state was lost', () => {
  beforeAll(async () => {
    await install('--set', 'profile=minimal', '-r', 'canary');
  });

  it('-f takes the revision from an IstioOperator file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-uninstall-'));
    const file = join(dir, 'canary.yaml');
    writeFileSync(file, 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n  revision: canary\n');
    const r = await meshctl('uninstall', '-f', file, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('of control plane revision "canary" will be deleted');
    expect(r.stdout).toContain('    Deployment/istio-system/istiod-canary\n');
  });

  it('stops cleanly on Ctrl-C (exit 130), saying how far it got', async () => {
    const { deps, out } = testDeps({ env });
    const ctrlC = new AbortController();
    deps.signal = ctrlC.signal;
    const write = deps.stderr.write;
    deps.stderr = { isTTY: false, write: (s) => { write(s); if (s.startsWith('  Removed ')) ctrlC.abort(); } };
    const code = await main(['uninstall', '-r', 'canary', '-y'], deps);
    expect(code).toBe(130);
    expect(out().stderr).toMatch(/uninstall interrupted after 1 of \d+ objects \(1 removed\); run the same command again to remove the rest/);
    const istiod = await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod-canary' });
    expect(istiod?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('finds the objects by their owner labels', async () => {
    expect(await cp.store.remove({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state-canary' })).toBe(true);
    const r = await meshctl('uninstall', '-r', 'canary', '-y', '--poll-interval', '100ms');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  Removed Deployment/istio-system/istiod-canary.\n');
    // The interrupted run above removed the first object, the injection webhook; validation's is next.
    expect(r.stderr).toContain('  Removed ValidatingWebhookConfiguration/istio-validator-canary-istio-system.\n');
    expect((await owned()).filter((o) => o.metadata.labels?.['operator.istio.io/component'] !== 'Base')).toEqual([]);
  });
});

describe('deletes that do not finish', () => {
  it('names an object a finalizer holds once --timeout has passed, and fails', async () => {
    // What the previous block left (the canary revision's Base) goes first, so that only the held object is deleted below.
    const clean = await meshctl('uninstall', '--purge', '-y', '--poll-interval', '100ms');
    expect(clean.code, clean.stderr).toBe(0);
    expect(await owned()).toEqual([]);
    // An object of the installation that some controller put a finalizer on and never released.
    const labels = { 'operator.istio.io/component': 'Pilot', 'istio.io/rev': 'default' };
    await cp.store.create(heldConfigMap('shop', 'istio-held', labels));
    try {
      const r = await meshctl('uninstall', '--purge', '-y', '--timeout', '2s', '--poll-interval', '100ms');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('  Removed ConfigMap/shop/istio-held.\n');
      expect(r.stderr).toContain('Waiting for 1 deleted object to be gone: ConfigMap/shop/istio-held\n');
      expect(r.stderr).toContain(`  ✘ ConfigMap/shop/istio-held is still there after 2s: held by finalizer ${HOLD}, which nothing has removed yet\n`);
      expect(r.stderr).toContain('Error: uninstall: 1 deleted object is still in the cluster after 2s: ConfigMap/shop/istio-held;');
      expect(r.stderr).not.toContain('✔ Uninstall complete');
      const held = await cp.store.get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'istio-held' });
      expect(held?.metadata.deletionTimestamp).toBeDefined();
    } finally {
      await release('configmaps', 'shop', 'istio-held');
    }
    await waitFor('the released ConfigMap to go', async () => !await cp.store.get({ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'istio-held' }));
  });

  it('reports an installation namespace stuck Terminating, and install into it says what holds it', async () => {
    await install('--set', 'profile=minimal');
    // Someone deletes the install namespace while an object in it has a finalizer nobody removes:
    // the namespace controller deletes istiod and the rest, then waits for the held object for good.
    await cp.store.create(heldConfigMap('istio-system', 'app-settings'));
    expect(await cp.store.remove({ group: '', kind: 'Namespace', name: 'istio-system' })).toBe(true);
    try {
      await waitFor('the namespace controller to report the finalizer', async () => {
        const ns = await cp.store.get({ group: '', kind: 'Namespace', name: 'istio-system' });
        const conditions = ((ns?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []);
        return conditions.some((c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True');
      });
      const holds = `Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances`;

      // Installing into it cannot work: nothing new can be created in a namespace being deleted.
      const blocked = await meshctl('install', '--set', 'profile=minimal', '-y', '--poll-interval', '100ms', '--readiness-timeout', '2s');
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('Namespace/istio-system');
      expect(blocked.stderr).toContain(holds);

      // What the namespace controller left is cluster-wide: uninstall removes it and names what holds the namespace.
      const dry = await meshctl('uninstall', '--purge', '--dry-run');
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('    ClusterRole/istiod-clusterrole-istio-system\n');
      expect(dry.stderr).toMatch(new RegExp(`^! Namespace istio-system is being deleted \\(Terminating since \\S+\\) and is still there: ${holds}.*Nothing can be installed into it until it is gone\\.$`, 'm'));

      const r = await meshctl('uninstall', '--purge', '-y', '--poll-interval', '100ms');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('  Removed ValidatingWebhookConfiguration/istio-validator-istio-system.\n');
      expect(r.stderr).toContain(`! Namespace istio-system is being deleted (Terminating since `);
      expect(r.stderr).toContain(holds);
      expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);
      expect(await owned()).toEqual([]);
      expect(await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).toEqual([]);
    } finally {
      await release('configmaps', 'istio-system', 'app-settings');
    }
    // Released, the namespace finishes terminating; then nothing is reported any more.
    await waitFor('the namespace to go', async () => !await cp.store.get({ group: '', kind: 'Namespace', name: 'istio-system' }));
    const after = await meshctl('uninstall', '--purge', '-y');
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toBe('No resources will be pruned from the cluster. Please double check the input configs\n');
  });
});

describe('uninstall of a revision that revision tags and namespaces still use', () => {
  /** A revision tag as `tag set` leaves it: no owner labels (webhooks left out: they would take part in every pod create). */
  const tag = (name: string, revision: string): KObject => ({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name: `istio-revision-tag-${name}`, labels: { 'istio.io/tag': name, 'istio.io/rev': revision } },
  });
  const tagNames = ['prod', 'default'];

  async function namespace(name: string, labels: Record<string, string>): Promise<void> {
    await cp.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    await waitFor(`ServiceAccount ${name}/default`, async () => !!await cp.store.get({ group: '', kind: 'ServiceAccount', namespace: name, name: 'default' }));
  }

  beforeAll(async () => {
    await install('--set', 'profile=minimal', '-r', 'stable');
    await cp.store.create(tag('prod', 'stable'));
    await cp.store.create(tag('default', 'stable'));
    // A tag an installer made, with owner labels (as istioctl's install makes the default tag): it goes with the revision.
    const owned = tag('blue', 'stable');
    owned.metadata.labels!['operator.istio.io/component'] = 'Pilot';
    await cp.store.create(owned);
    await namespace('via-blue', { 'istio.io/rev': 'blue' });
    await namespace('direct', { 'istio.io/rev': 'stable' });
    await namespace('via-prod', { 'istio.io/rev': 'prod' });
    // istio-injection=enabled follows the default tag, here to stable.
    await namespace('legacy', { 'istio-injection': 'enabled' });
    await namespace('elsewhere', { 'istio.io/rev': 'canary' });
    await cp.store.create(injectedPod('direct', 'cart', 'stable'));
    // Labelled with the tag, without an injection status: the revision the tag points at.
    const viaTag = injectedPod('via-prod', 'orders');
    viaTag.metadata.labels!['istio.io/rev'] = 'prod';
    delete viaTag.metadata.annotations;
    await cp.store.create(viaTag);
    // Labelled with the tag but injected by canary before the tag moved: not on stable.
    const movedOn = injectedPod('via-prod', 'billing', 'canary');
    movedOn.metadata.labels!['istio.io/rev'] = 'prod';
    await cp.store.create(movedOn);
    await waitFor('every pod to run', async () => (await cp.store.list('', 'Pod')).every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running'));
  });

  afterAll(async () => {
    for (const name of tagNames) await cp.store.remove({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: `istio-revision-tag-${name}` });
  });

  it('warns about proxies and namespaces on the revision by label and by tag, and names the tags it leaves dangling', async () => {
    const r = await meshctl('uninstall', '-r', 'stable', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('There are still 2 proxies pointing to the control plane revision stable:\n  direct/cart\n  via-prod/orders\n');
    expect(r.stderr).not.toContain('billing');
    expect(r.stderr).toContain('Namespaces still labelled for injection by the control plane revision stable: direct; new pods there will start without a sidecar.\n');
    // shop (the first block's, istio-injection=enabled) follows the default tag as well.
    expect(r.stderr).toContain('Namespaces using revision tag default, which points at revision stable: legacy, shop; '
      + 'new pods there will be refused by the tag\'s injection webhook, which has no istiod left to call.\n');
    expect(r.stderr).toContain('Namespaces using revision tag prod, which points at revision stable: via-prod; new pods there will be refused');
    expect(r.stderr).toContain('Namespaces using revision tag blue, which points at revision stable: via-blue; new pods there will start without a sidecar.\n');
    expect(r.stdout).toContain('    MutatingWebhookConfiguration/istio-revision-tag-blue\n');
    expect(r.stderr).not.toContain('elsewhere');
    expect(r.stderr).toContain('Revision tags default, prod point at revision stable and will be left dangling: '
      + 'point each at another revision (meshctl tag set <tag> -r <other> --overwrite) or remove each (meshctl tag remove <tag>).\n');
  });

  it('refuses a tag name as the revision, saying which revision it points at, and names the revisions for an unknown one', async () => {
    const viaTag = await meshctl('uninstall', '-r', 'prod', '-y');
    expect(viaTag.code).toBe(1);
    expect(viaTag.stderr).toContain('could not find target revision "prod": "prod" is a revision tag pointing at revision "stable"; '
      + 'to remove the tag: meshctl tag remove prod; to uninstall the revision: meshctl uninstall -r stable');
    const unknown = await meshctl('uninstall', '-r', 'nope', '-y');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('could not find target revision "nope": no installed state in namespace istio-system and no object labelled istio.io/rev=nope; revisions in the cluster: stable');
  });

  it('removes the revision and leaves the tags, which --purge also leaves and names', async () => {
    const r = await meshctl('uninstall', '-r', 'stable', '-y', '--poll-interval', '100ms');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  Removed Deployment/istio-system/istiod-stable.\n');
    expect(r.stderr).toContain('  Removed MutatingWebhookConfiguration/istio-revision-tag-blue.\n');
    expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);
    for (const name of tagNames) {
      expect(await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: `istio-revision-tag-${name}` })).toBeDefined();
    }
    const purge = await meshctl('uninstall', '--purge', '-y', '--poll-interval', '100ms');
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stderr).toContain('Revision tags default, prod are not removed by --purge and will be left dangling; remove each with meshctl tag remove <tag>.\n');
  });
});
