// `meshctl install --dry-run`: touches nothing, and shows what would change against the live objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { meshctl, rendered, snapshot } from './support.js';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane();
});
afterAll(async () => {
  await cluster?.close();
});

describe('install --dry-run', () => {
  it('on an empty cluster: writes nothing, shows every object as new and the namespace as to be created', async () => {
    const before = await snapshot(cluster);
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '--dry-run']);
    expect(r.code).toBe(0);
    expect(await snapshot(cluster)).toEqual(before);
    // every write was a server-side dry run
    const writes = cluster.requests.filter((q) => q.method !== 'GET');
    // the cluster-scoped objects (CRDs, cluster roles, webhooks) went to the server as dry runs
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((q) => q.query.dryRun === 'All')).toBe(true);
    expect(await cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeUndefined();
    const objects = await rendered(['--set', 'profile=minimal']);
    expect(r.stderr).toContain('+ Namespace/istio-system would be created');
    expect(r.stderr).toContain(`Dry run: ${objects.length} objects (${objects.length} to create, 0 to change, 0 unchanged), 0 to prune, 1 namespace to create.`);
    expect(r.stderr).not.toMatch(/✔ Installation complete/);
    // one unified diff per object, on stdout
    expect((r.stdout.match(/^--- \/dev\/null$/gm) ?? []).length).toBe(objects.length);
    expect(r.stdout).toContain('+++ after/Deployment/istio-system/istiod');
    expect(r.stdout).toContain('+    install.operator.istio.io/owning-resource: meshctl-installed-state');
    // no server-populated metadata (two-space indent: directly under metadata) and no status
    expect(r.stdout).not.toMatch(/^\+ {2}(managedFields|resourceVersion|creationTimestamp|uid|generation):|^\+status:/m);
  });

  it('on an installed cluster with a --set change: diffs only the changed field', async () => {
    const install = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y']);
    expect(install.code).toBe(0);
    const before = await snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '--set', 'components.pilot.k8s.replicaCount=3', '--dry-run']);
    expect(r.code).toBe(0);
    expect(await snapshot(cluster)).toEqual(before);
    expect(r.stderr).toContain('~ Deployment/istio-system/istiod would be changed');
    expect(r.stderr).toMatch(/Dry run: \d+ objects \(0 to create, 1 to change, \d+ unchanged\), 0 to prune\./);
    expect(r.stdout.startsWith('--- live/Deployment/istio-system/istiod\n+++ after/Deployment/istio-system/istiod\n@@')).toBe(true);
    const changed = r.stdout.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
    // the minimal profile leaves replicas to the server's default, so the live side may lack the field
    expect(changed.filter((l) => l.startsWith('+'))).toEqual(['+  replicas: 3']);
    expect(changed.filter((l) => l.startsWith('-')).every((l) => l === '-  replicas: 1')).toBe(true);
  });

  it('on an unchanged installation: every object unchanged, no diff (the server\'s defaults and other managers\' fields are no change)', async () => {
    const objects = await rendered(['--set', 'profile=minimal']);
    const before = await snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Dry run: ${objects.length} objects (0 to create, 0 to change, ${objects.length} unchanged), 0 to prune.`);
    expect(await snapshot(cluster)).toEqual(before);
  });

  it('is checked by the server: an object the API server refuses fails the dry run with the server\'s reason', async () => {
    const before = await snapshot(cluster);
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '--set', 'components.pilot.k8s.resources.requests.cpu=lots', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Deployment\/istio-system\/istiod/);
    expect(r.stderr).toMatch(/quantities must match the regular expression/);
    expect(r.stderr).not.toContain('Dry run: nothing in the cluster was changed.');
    expect(await snapshot(cluster)).toEqual(before);
    expect(cluster.requests.filter((q) => q.method !== 'GET').every((q) => q.query.dryRun === 'All')).toBe(true);
    // The API server answers this refusal with 500 InternalError; it is final, so it is not retried.
    const istiod = cluster.requests.filter((q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/istio-system/deployments/istiod');
    expect(istiod.map((q) => q.status)).toEqual([500]);
  });

  it('lists what a profile switch would prune, without pruning it', async () => {
    const before = await snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '--set', 'components.pilot.enabled=false', '--dry-run']);
    expect(r.code).toBe(0);
    expect(await snapshot(cluster)).toEqual(before);
    expect(r.stderr).toContain('- Deployment/istio-system/istiod would be pruned');
    expect(r.stdout).toContain('--- live/Deployment/istio-system/istiod\n+++ /dev/null');
    expect(r.stderr).not.toMatch(/CustomResourceDefinition\/\S+ would be pruned/);
  });
});
