// Switching profiles prunes what the new configuration no longer has (never CRDs); a canary
// revision installs beside the default one without pruning it.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { linesStarting, meshctl, rendered, stored, waitFor } from './support.js';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane();
});
afterAll(async () => {
  await cluster?.close();
});

const deployment = (name: string, ns = 'istio-system') => cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: ns, name });
const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

describe('profile switch demo -> minimal', () => {
  it('prunes the gateway objects, listed first, and keeps the CRDs', async () => {
    expect((await meshctl(cluster, ['install', '--set', 'profile=demo', '-y'])).code).toBe(0);
    // an object the user asked to keep
    await cluster.store.apply({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'istio-egressgateway', namespace: 'istio-system', labels: { 'install.operator.istio.io/owning-resource-not-pruned': 'true' } },
    });

    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y']);
    expect(r.code).toBe(0);
    const demo = await rendered(['--set', 'profile=demo']);
    const minimal = await rendered(['--set', 'profile=minimal']);
    const gone = demo.filter((o) => !minimal.some((m) => key(m) === key(o)));
    expect(gone.map((o) => o.metadata.labels?.['operator.istio.io/component'])).not.toContain('Base');
    expect(gone.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);

    const lines = r.stderr.split('\n');
    const start = lines.indexOf('- Pruning removed resources');
    expect(start).toBeGreaterThan(lines.indexOf('✔ Istiod installed'));
    const listed = lines.slice(start + 1).filter((l) => l.startsWith('  ')).map((l) => l.trim());
    const expected = gone.map(key).filter((k) => k !== 'Service/istio-system/istio-egressgateway');
    expect(listed.sort()).toEqual(expected.sort());
    expect(listed).toContain('Deployment/istio-system/istio-egressgateway');
    expect(listed).toContain('Deployment/istio-system/istio-ingressgateway');
    expect(r.stderr).toContain('keeping Service/istio-system/istio-egressgateway: it is labelled install.operator.istio.io/owning-resource-not-pruned=true');
    expect(r.stderr).toMatch(new RegExp(`, ${expected.length} pruned\\.`));

    // Deletes finish asynchronously (foreground deletion removes a Deployment after its Pods).
    const left = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const o of gone) if (key(o) !== 'Service/istio-system/istio-egressgateway' && await stored(cluster, o)) out.push(key(o));
      return out;
    };
    await waitFor('the pruned objects to be gone', async () => (await left()).length === 0, 60_000, async () => (await left()).join(', '));
    expect(await stored(cluster, gone.find((o) => key(o) === 'Service/istio-system/istio-egressgateway')!)).toBeDefined();
    for (const o of demo.filter((d) => d.kind === 'CustomResourceDefinition')) expect(await stored(cluster, o)).toBeDefined();
    expect(linesStarting(r.stderr, '✔')).toEqual(['✔ Istio core installed', '✔ Istiod installed', `✔ Pruned ${expected.length} objects`, '✔ Installation complete']);
  });

  it('switching back while a pruned object is still being deleted waits for it to go and creates it anew', async () => {
    expect((await meshctl(cluster, ['install', '--set', 'profile=demo', '-y'])).code).toBe(0);
    // A finalizer keeps the pruned Deployment Terminating, as a slow foreground deletion would.
    const hold = 'test.meshctl.io/hold';
    await cluster.store.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', finalizers: [hold] } } as KObject, 'holder');
    const old = await deployment('istio-ingressgateway');
    expect((await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y'])).code).toBe(0);
    await waitFor('the pruned Deployment to be Terminating', async () => Boolean((await deployment('istio-ingressgateway'))?.metadata.deletionTimestamp));

    cluster.resetRequests();
    const install = meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    const path = '/apis/apps/v1/namespaces/istio-system/deployments/istio-ingressgateway';
    await waitFor('meshctl to apply the ingress gateway', async () => cluster.requests.some((q) => q.method === 'PATCH' && q.path === path));
    await sleep(1000);
    // meshctl has not taken the Terminating Deployment for the one it installs
    expect((await deployment('istio-ingressgateway'))?.metadata.uid).toBe(old!.metadata.uid);
    const released = await cluster.rest.request(path, {
      method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    expect(released.status).toBe(200);
    const r = await install;
    expect(r.stderr).toContain('✔ Ingress gateways installed');
    expect(r.code).toBe(0);
    const now = await deployment('istio-ingressgateway');
    expect(now).toBeDefined();
    expect(now!.metadata.uid).not.toBe(old!.metadata.uid);
    expect(now!.metadata.deletionTimestamp).toBeUndefined();
    expect((now!.status as { readyReplicas?: number }).readyReplicas).toBe(1);
  });
});

describe('an object that stays Terminating', () => {
  it('fails its component after the readiness timeout, naming what holds it; converges once released', async () => {
    const hold = 'test.meshctl.io/hold';
    const path = '/apis/apps/v1/namespaces/istio-system/deployments/istio-egressgateway';
    await cluster.store.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istio-egressgateway', namespace: 'istio-system', finalizers: [hold] } } as KObject, 'holder');
    expect((await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y'])).code).toBe(0);
    await waitFor('the pruned Deployment to be Terminating', async () => Boolean((await deployment('istio-egressgateway'))?.metadata.deletionTimestamp));

    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y', '--readiness-timeout', '2s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✔ Ingress gateways installed');
    expect(r.stderr).toMatch(/✘ Egress gateways encountered an error: Deployment\/istio-system\/istio-egressgateway is still being deleted after 2s \(.*held by finalizer test\.meshctl\.io\/hold.*\); once it is gone, run the same command again/);
    expect(r.stderr).not.toContain('Installation complete');

    const released = await cluster.rest.request(path, { method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    expect(released.status).toBe(200);
    const again = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(again.code).toBe(0);
    expect((await deployment('istio-egressgateway'))?.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('install -r canary', () => {
  it('installs istiod-canary beside the default revision and prunes nothing of it', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-r', 'canary', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('Pruning');
    const canary = await deployment('istiod-canary');
    expect(canary).toBeDefined();
    expect(canary!.metadata.labels).toMatchObject({ 'istio.io/rev': 'canary', 'install.operator.istio.io/owning-resource': 'meshctl-installed-state-canary' });
    expect((await deployment('istiod'))?.metadata.labels?.['istio.io/rev']).toBe('default');
    expect(await cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state-canary' })).toBeDefined();
    expect(await cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' })).toBeDefined();
  });
});
