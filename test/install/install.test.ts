// `meshctl install` against a real control plane (test/control-plane/): a demo install end to end,
// a rerun that changes nothing, and the confirmation rules.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { run } from '../helpers.js';
import { MULTUS_CRD, meshctl, meshctlWith, linesStarting, purge, rendered, snapshot, stored, waitFor } from './support.js';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ readyDelayMs: 20 });
});
afterAll(async () => {
  await cluster?.close();
});

describe('install without confirmation', () => {
  it('refuses when stdin is not a terminal and -y is missing, writing nothing', async () => {
    const before = await snapshot(cluster);
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/standard input is not a terminal; pass -y/);
    expect(await snapshot(cluster)).toEqual(before);
    expect(await cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeUndefined();
  });

  it('asks on a terminal and stops at "n" with Cancelled. and exit 1', async () => {
    const before = await snapshot(cluster);
    const questions: string[] = [];
    const r = await meshctlWith(cluster, ['install', '--set', 'profile=demo'], (deps) => {
      deps.stdinIsTTY = true;
      deps.prompt = async (q) => { questions.push(q); return 'n'; };
    });
    expect(r.code).toBe(1);
    expect(questions).toEqual(['This will install the Istio 1.30.3 profile "demo" into the cluster. Proceed? (y/N) ']);
    expect(r.stderr).toContain('Cancelled.');
    expect(await snapshot(cluster)).toEqual(before);
  });
});

describe('install demo -y', () => {
  /** The demo profile with two istiod replicas. */
  const scaled = ['--set', 'profile=demo', '--set', 'components.pilot.k8s.replicaCount=2'];

  it('applies every object with owner labels, waits, and reports like istioctl', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual([
      '✔ Istio core installed',
      '✔ Istiod installed',
      '✔ Ingress gateways installed',
      '✔ Egress gateways installed',
      '✔ Installation complete',
    ]);
    expect(r.stderr).not.toMatch(/\x1b\[/);
    const objects = await rendered(['--set', 'profile=demo']);
    expect(r.stderr).toContain(`${objects.length} objects applied (${objects.length} created, 0 configured, 0 unchanged), 0 pruned.`);

    for (const o of objects) {
      const s = await stored(cluster, o);
      expect(s, `${o.kind}/${o.metadata.name}`).toBeDefined();
      expect(s!.metadata.labels).toMatchObject({
        'operator.istio.io/component': o.metadata.labels?.['operator.istio.io/component'] ?? expect.stringMatching(/^(Base|Pilot|IngressGateways|EgressGateways)$/),
        'operator.istio.io/managed': 'Reconcile',
        'operator.istio.io/version': '1.30.3',
        'install.operator.istio.io/owning-resource': 'meshctl-installed-state',
        'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        'istio.io/rev': 'default',
      });
      const managers = (s!.metadata.managedFields as { manager: string; operation: string }[]).filter((m) => m.operation === 'Apply').map((m) => m.manager);
      expect(managers).toEqual(['meshctl']);
      if (o.kind === 'CustomResourceDefinition') {
        expect((s!.status as any).conditions.find((c: any) => c.type === 'Established')?.status).toBe('True');
      }
      if (o.kind === 'Deployment') {
        expect((s!.status as any).readyReplicas).toBeGreaterThanOrEqual(1);
        // owner labels go on the object, not into the pod template
        expect((s!.spec as any).template.metadata.labels['install.operator.istio.io/owning-resource']).toBe('unknown');
      }
    }
    expect(await cluster.store.get({ group: '', kind: 'Namespace', name: 'istio-system' })).toBeDefined();

    const state = await cluster.store.get({ group: '', kind: 'ConfigMap', namespace: 'istio-system', name: 'meshctl-installed-state' });
    expect(state).toBeDefined();
    const data = state!.data as Record<string, string>;
    expect(data.profile).toBe('demo');
    expect(data.istioVersion).toBe('1.30.3');
    expect(data['config.yaml']).toContain('profile: demo');
    const inventory = JSON.parse(data['inventory.json']!) as { kind: string; name: string; component: string }[];
    expect(inventory.map((e) => `${e.kind}/${e.name}`).sort()).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    expect(new Set(inventory.map((e) => e.component))).toEqual(new Set(['Base', 'Pilot', 'IngressGateways', 'EgressGateways']));
  });

  it('changes nothing when run again, though istiod and the controllers wrote to installed objects, and says so', async () => {
    const objects = await rendered(['--set', 'profile=demo']);
    // Other managers wrote to installed objects after the install, as on any real cluster: the
    // istiod stand-in put its CA into every webhook, the deployment controller annotated the
    // Deployments. A rerun must not take those writes for changes of its own.
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const [hook] = await cluster.store.list('admissionregistration.k8s.io', kind);
      expect((hook!.webhooks as { clientConfig: { caBundle?: string } }[]).every((w) => w.clientConfig.caBundle), kind).toBe(true);
      expect((hook!.metadata.managedFields as { manager: string }[]).map((m) => m.manager), kind).toContain('pilot-discovery');
    }
    const istiod = await cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' });
    expect(istiod!.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const before = await snapshot(cluster);
    cluster.resetRequests();
    const r = await meshctl(cluster, ['install', '--set', 'profile=demo', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${objects.length} objects applied (0 created, 0 configured, ${objects.length} unchanged), 0 pruned: nothing changed.`);
    expect(r.stderr).not.toContain('Pruning');
    // every object (and the installed-state record) was applied again, and the server found
    // nothing to change: no resourceVersion moved
    const patches = cluster.requests.filter((q) => q.method === 'PATCH');
    expect(new Set(patches.map((q) => q.path)).size).toBe(objects.length + 1);
    expect(await snapshot(cluster)).toEqual(before);
    // nothing but reads and server-side applies (no deletes, no updates, no creates)
    const writes = cluster.requests.filter((q) => q.method !== 'GET' && q.method !== 'PATCH');
    expect(writes).toEqual([]);
    expect(patches.every((q) => q.query.fieldManager === 'meshctl' && q.query.force === 'true')).toBe(true);
  });

  it('counts changed objects as configured and records them, so the next run is unchanged again', async () => {
    const objects = await rendered(scaled);
    const demo = await rendered(['--set', 'profile=demo']);
    const key = (o: KObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const changed = objects.filter((o) => JSON.stringify(o) !== JSON.stringify(demo.find((d) => key(d) === key(o))));
    expect(changed.map(key)).toContain('Deployment/istio-system/istiod');
    const r = await meshctl(cluster, ['install', ...scaled, '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${objects.length} objects applied (0 created, ${changed.length} configured, ${objects.length - changed.length} unchanged), 0 pruned.`);
    const flags = scaled;
    const before = await snapshot(cluster);
    const again = await meshctl(cluster, ['install', ...flags, '-y']);
    expect(again.stderr).toContain(`${objects.length} objects applied (0 created, 0 configured, ${objects.length} unchanged), 0 pruned: nothing changed.`);
    expect(await snapshot(cluster)).toEqual(before);
  });

  it('counts an object that someone else changed and the apply set back as configured', async () => {
    const objects = await rendered(scaled);
    // kubectl edit (an update by another manager) takes the field from meshctl; the forced apply takes it back
    const istiod = (await cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }))!;
    const patched = await cluster.rest.request('/apis/apps/v1/namespaces/istio-system/deployments/istiod?fieldManager=kubectl-edit', {
      method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } },
    });
    expect(patched.status).toBe(200);
    const r = await meshctl(cluster, ['install', ...scaled, '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${objects.length} objects applied (0 created, 1 configured, ${objects.length - 1} unchanged), 0 pruned.`);
    const after = (await cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }))!;
    expect((after.spec as { replicas: number }).replicas).toBe(2);
    expect((istiod.spec as { replicas: number }).replicas).toBe(2);
  });
});

/** The profiles meshctl offers, from `meshctl profile list`. */
const profiles = await (async () => {
  const r = await run(['profile', 'list']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
})();

describe('install of every profile', () => {
  beforeAll(async () => {
    await purge(cluster);
    // The openshift profiles' CNI writes a NetworkAttachmentDefinition: multus' CRD, which OpenShift always serves.
    await cluster.store.create(MULTUS_CRD as unknown as KObject);
    await waitFor('multus\' CRD to be Established', async () => {
      const crd = await cluster.store.get({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name: MULTUS_CRD.metadata.name });
      return ((crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
        .some((c) => c.type === 'Established' && c.status === 'True');
    }, 30_000);
  });

  it('lists the profiles in profiles/', () => {
    expect(profiles).toEqual(expect.arrayContaining(['default', 'demo', 'minimal', 'remote', 'empty']));
  });

  it.each(profiles)('%s: the server accepts every object, CRDs are Established, workloads Ready; a rerun changes nothing', async (profile) => {
    // Purged whatever happens, so that one profile's failure is not every later profile's.
    try {
      await installAndRerun(profile);
    } finally {
      await purge(cluster);
    }
  }, 300_000);
});

/** Installs a profile on a purged cluster, checks what the server stored, and installs it again: nothing may change. */
async function installAndRerun(profile: string): Promise<void> {
  const objects = await rendered(['--set', `profile=${profile}`]);
  const r = await meshctl(cluster, ['install', '--set', `profile=${profile}`, '-y', '--readiness-timeout', '40s']);
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('✔ Installation complete');
  // (the empty profile renders nothing, so it changes no object)
  expect(r.stderr).toContain(`${objects.length} objects applied (${objects.length} created, 0 configured, 0 unchanged), 0 pruned${objects.length ? '.' : ': nothing changed.'}`);
  for (const o of objects) {
    const s = await stored(cluster, o);
    expect(s, `${o.kind}/${o.metadata.name}`).toBeDefined();
    if (o.kind === 'CustomResourceDefinition') {
      expect((s!.status as any).conditions.find((c: any) => c.type === 'Established')?.status, o.metadata.name).toBe('True');
    }
    if (o.kind === 'Deployment') {
      const status = s!.status as { readyReplicas?: number; conditions?: { type: string; status: string }[] };
      expect(status.readyReplicas, o.metadata.name).toBe((s!.spec as { replicas: number }).replicas);
      expect(status.conditions?.find((c) => c.type === 'Available')?.status, o.metadata.name).toBe('True');
    }
  }

  const before = await snapshot(cluster);
  const again = await meshctl(cluster, ['install', '--set', `profile=${profile}`, '-y', '--readiness-timeout', '40s']);
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`${objects.length} objects applied (0 created, 0 configured, ${objects.length} unchanged), 0 pruned: nothing changed.`);
  expect(await snapshot(cluster)).toEqual(before);
  // Each step above is bounded (readiness 40 s, purge 60 s per phase), so a stuck step fails with its own account.
}

describe('install into a namespace that is still being deleted', () => {
  it('waits until the namespace is gone, creates it anew and installs into it', async () => {
    const ns = 'mesh-old';
    const nsRef = { group: '', kind: 'Namespace', name: ns };
    await cluster.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // A finalizer on an object inside keeps the namespace Terminating, as slow content deletion would.
    await cluster.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: ns, finalizers: ['test.meshctl.io/hold'] } });
    const old = (await cluster.store.get(nsRef))!;
    expect(await cluster.store.remove(nsRef)).toBe(true);
    expect((await cluster.store.get(nsRef))?.status).toMatchObject({ phase: 'Terminating' });

    const install = meshctl(cluster, ['install', '--set', 'profile=minimal', '--set', `namespace=${ns}`, '-y']);
    await sleep(1500);
    expect((await cluster.store.get(nsRef))?.metadata.uid).toBe(old.metadata.uid);
    const released = await cluster.rest.request(`/api/v1/namespaces/${ns}/configmaps/held`, {
      method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    expect(released.status).toBe(200);
    const r = await install;
    expect(r.stderr).toContain('✔ Installation complete');
    expect(r.code).toBe(0);
    const now = (await cluster.store.get(nsRef))!;
    expect(now.metadata.uid).not.toBe(old.metadata.uid);
    expect(now.status).toMatchObject({ phase: 'Active' });
    const istiod = await cluster.store.get({ group: 'apps', kind: 'Deployment', namespace: ns, name: 'istiod' });
    expect((istiod!.status as { readyReplicas?: number }).readyReplicas).toBe(1);
  });
});
