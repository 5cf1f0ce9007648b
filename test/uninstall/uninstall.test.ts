/**
 * `meshctl uninstall` against the Kubernetes API test server, on a mesh that `meshctl install`
 * put there. The steps of the first block share one cluster and run in order: each asserts what
 * it changed (or that it changed nothing).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type KObject, type TestCluster } from '../cluster/server.js';
import { main } from '../../src/main.js';
import { run, testDeps, type RunResult } from '../helpers.js';

/** Every kind an installation consists of (group, kind), for snapshots of the store. */
const KINDS: [string, string][] = [
  ['apiextensions.k8s.io', 'CustomResourceDefinition'], ['', 'ServiceAccount'], ['rbac.authorization.k8s.io', 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
  ['', 'ConfigMap'], ['apps', 'Deployment'], ['', 'Service'], ['autoscaling', 'HorizontalPodAutoscaler'], ['', 'Pod'], ['', 'Namespace'],
];

/**
 * Returns `kind/ns/name@resourceVersion` of every object of KINDS, sorted: equal snapshots mean
 * nothing changed. Pods are left out: the simulated kubelet updates their status on its own.
 */
function snapshot(c: TestCluster): string[] {
  return KINDS.filter(([, k]) => k !== 'Pod').flatMap(([g, k]) => c.store.list(g, k).map((o) => `${k}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`)).sort();
}

/** Returns the objects of KINDS that carry the component owner label. */
function owned(c: TestCluster): KObject[] {
  return KINDS.flatMap(([g, k]) => c.store.list(g, k)).filter((o) => o.metadata.labels?.['operator.istio.io/component']);
}

async function install(c: TestCluster, ...args: string[]): Promise<void> {
  const r = await run(['install', '-y', '--poll-interval', '10ms', ...args], { env: { KUBECONFIG: c.kubeconfigPath } });
  expect(r.code, r.stderr).toBe(0);
}

/** An injected workload pod of the default revision, as the sidecar injector leaves it. */
function injectedPod(namespace: string, name: string, revision = 'default'): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: { app: name, 'security.istio.io/tlsMode': 'istio' }, annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], revision }) } },
    spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' }] },
    status: { phase: 'Running' },
  };
}

describe('uninstall of an installed demo mesh', () => {
  let c: TestCluster;
  let env: Record<string, string>;
  const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });

  beforeAll(async () => {
    c = await startTestCluster({ readyDelayMs: 0 });
    env = { KUBECONFIG: c.kubeconfigPath };
    await install(c, '--set', 'profile=demo');
    // An application namespace with injection on and one injected pod still running.
    c.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } }, status: { phase: 'Active' } });
    c.store.put(injectedPod('shop', 'cart-7d9f'));
  }, 20_000);
  afterAll(async () => c?.close());

  it('refuses without -y when stdin is not a terminal, and deletes nothing', async () => {
    const before = snapshot(c);
    const r = await meshctl('uninstall', '-r', 'default');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass -y');
    expect(snapshot(c)).toEqual(before);
  });

  it('asks on a terminal and stops at "n" with Cancelled.', async () => {
    const before = snapshot(c);
    const { deps, out } = testDeps({ env });
    const questions: string[] = [];
    deps.stdinIsTTY = true;
    deps.prompt = async (q) => { questions.push(q); return 'n'; };
    const code = await main(['uninstall', '-r', 'default'], deps);
    expect(code).toBe(1);
    expect(questions).toEqual(['This will uninstall the Istio control plane revision "default" (27 objects) from the cluster. Proceed? (y/N) ']);
    expect(out().stderr).toContain('Cancelled.\n');
    expect(snapshot(c)).toEqual(before);
  });

  it('--dry-run lists the objects in deletion order on stdout and deletes nothing', async () => {
    const before = snapshot(c);
    const r = await meshctl('uninstall', '-r', 'default', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(snapshot(c)).toEqual(before);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('The following 27 objects of control plane revision "default" will be deleted, in this order:');
    const at = (text: string) => lines.findIndex((l) => l.trim() === text);
    expect(at('Egress gateways (5):')).toBeLessThan(at('Ingress gateways (5):'));
    expect(at('Ingress gateways (5):')).toBeLessThan(at('Istiod (16):'));
    // Webhooks go first within istiod, the installed state last of all.
    expect(at('ValidatingWebhookConfiguration/istio-validator-istio-system')).toBe(at('Istiod (16):') + 1);
    expect(at('MutatingWebhookConfiguration/istio-sidecar-injector')).toBeLessThan(at('Deployment/istio-system/istiod'));
    expect(lines.at(-2)).toBe('    ConfigMap/istio-system/meshctl-installed-state');
    expect(r.stdout).not.toContain('CustomResourceDefinition');
    expect(r.stderr).toContain('Dry run: nothing was deleted (27 objects would be).');
  });

  it('-r default warns about proxies, removes istiod and gateways in order, keeps Base and the CRDs', async () => {
    // An object whose owner labels were edited away is still found through the installed state's inventory.
    const mesh = c.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' })!;
    c.store.put({ ...mesh, metadata: { ...mesh.metadata, labels: {} } });

    const r = await meshctl('uninstall', '-r', 'default', '-y');
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
    expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);

    const left = owned(c).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(left.filter((k) => k.startsWith('CustomResourceDefinition/'))).toHaveLength(15);
    expect(left.filter((k) => !k.startsWith('CustomResourceDefinition/'))).toEqual(['ServiceAccount/istio-reader-service-account']);
    expect(c.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' })).toBeUndefined();
    expect(c.store.list('', 'Pod', 'istio-system')).toEqual([]);
  });

  it('says so when a revision has nothing left, and fails for a revision that never existed', async () => {
    const again = await meshctl('uninstall', '-r', 'default', '-y');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('No resources will be pruned from the cluster. Please double check the input configs');
    const none = await meshctl('uninstall', '-r', 'canary', '-y');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('could not find target revision "canary"');
  });

  it('--purge removes every owned object and every CRD, and keeps the namespace', async () => {
    const r = await meshctl('uninstall', '--purge', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Istio core (16):');
    expect(r.stderr.endsWith('✔ Uninstall complete\n')).toBe(true);
    expect(owned(c)).toEqual([]);
    expect(c.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).toEqual([]);
    expect(c.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeDefined();
    // The application is not Istio's to delete.
    expect(c.store.get({ group: '', kind: 'Pod', namespace: 'shop', name: 'cart-7d9f' })).toBeDefined();
  });
});

describe('uninstall of a revision whose installed state was lost', () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ readyDelayMs: 0 });
    await install(c, '--set', 'profile=minimal', '-r', 'canary');
  }, 20_000);
  afterAll(async () => c?.close());

  it('-f takes the revision from an IstioOperator file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-uninstall-'));
    const file = join(dir, 'canary.yaml');
    writeFileSync(file, 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n  revision: canary\n');
    const r = await run(['uninstall', '-f', file, '--dry-run'], { env: { KUBECONFIG: c.kubeconfigPath } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('of control plane revision "canary" will be deleted');
    expect(r.stdout).toContain('    Deployment/istio-system/istiod-canary\n');
  });

  it('stops cleanly on Ctrl-C (exit 130), saying how far it got', async () => {
    const { deps, out } = testDeps({ env: { KUBECONFIG: c.kubeconfigPath } });
    const ctrlC = new AbortController();
    deps.signal = ctrlC.signal;
    const write = deps.stderr.write;
    deps.stderr = { isTTY: false, write: (s) => { write(s); if (s.startsWith('  Removed ')) ctrlC.abort(); } };
    const code = await main(['uninstall', '-r', 'canary', '-y'], deps);
    expect(code).toBe(130);
    expect(out().stderr).toMatch(/uninstall interrupted after 1 of \d+ objects \(1 removed\); run the same command again to remove the rest/);
    expect(c.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod-canary' })).toBeDefined();
  });

  it('finds the objects by their owner labels', async () => {
    expect(c.store.remove({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state-canary' })).toBe(true);
    const r = await run(['uninstall', '-r', 'canary', '-y'], { env: { KUBECONFIG: c.kubeconfigPath } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  Removed Deployment/istio-system/istiod-canary.\n');
    expect(r.stderr).toContain('  Removed MutatingWebhookConfiguration/istio-sidecar-injector-canary.\n');
    expect(owned(c).filter((o) => o.metadata.labels?.['operator.istio.io/component'] !== 'Base')).toEqual([]);
  });
});
