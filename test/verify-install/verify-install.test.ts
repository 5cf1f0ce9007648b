/**
 * `meshctl verify-install` against a real control plane (test/control-plane/), on a demo mesh that
 * `meshctl install` put there. Each problem test breaks one thing through the API server, checks
 * the report, puts the object back and waits until the Deployments have settled again (a changed
 * pod template rolls out new pods through the real controllers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { ObjectRef } from '../control-plane/objects.js';
import type { KObject } from '../control-plane/types.js';
import { run, type RunResult } from '../helpers.js';
import { waitFor } from '../control-plane/wait.js';

/** Fields the API server sets; an object to be created again must not carry them. */
function forCreate(o: KObject): KObject {
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, generation: _g, ...metadata } = o.metadata as Record<string, unknown>;
  const copy = structuredClone({ ...o, metadata }) as KObject;
  delete copy.status;
  // A Service's cluster IP is allocated again; the rendering never sets it.
  const spec = copy.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
  if (copy.kind === 'Service' && spec) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  return copy;
}

describe('verify-install', () => {
  let cp: ControlPlane;
  let env: Record<string, string>;
  const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });

  /** The API path of an object (core or grouped, namespaced or not), from its apiVersion and plural. */
  const pathOf = (o: KObject, plural: string): string => {
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural}/${o.metadata.name}`;
  };

  /**
   * Replaces the live object with `o` (PUT, at the live resourceVersion). The controllers write
   * status between the read and the write now and then; a 409 Conflict is read again and retried.
   */
  async function replace(o: KObject, plural: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const live = await cp.store.get({ group: o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '', kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
      const body = { ...o, metadata: { ...o.metadata, resourceVersion: live?.metadata.resourceVersion } };
      const a = await cp.rest.request(pathOf(o, plural), { method: 'PUT', body });
      if (a.status === 200) return;
      if (a.status !== 409 || attempt === 10) throw new Error(`replace ${o.kind} ${o.metadata.name}: ${a.status} ${JSON.stringify(a.body)}`);
    }
  }

  /** True when every Deployment in istio-system has rolled out and has only its current, ready pods. */
  async function settled(): Promise<boolean> {
    const deployments = await cp.store.list('apps', 'Deployment', 'istio-system');
    return deployments.every((d) => {
      const spec = d.spec as { replicas?: number };
      const st = (d.status ?? {}) as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number };
      const want = spec.replicas ?? 1;
      return (st.observedGeneration ?? 0) >= Number(d.metadata.generation ?? 0) && st.replicas === want && st.updatedReplicas === want && st.readyReplicas === want;
    });
  }

  /**
   * Runs `change` on a copy of the object and stores the result (or deletes the object when it
   * returns undefined), runs verify-install, then puts the original back and waits until the
   * Deployments have settled.
   */
  async function withBroken(ref: ObjectRef, plural: string, change: (o: KObject) => KObject | undefined, ...argv: string[]): Promise<RunResult> {
    const original = (await cp.store.get(ref))!;
    const changed = change(forCreate(original));
    if (changed) await replace(changed, plural);
    else expect(await cp.store.remove(ref)).toBe(true);
    await waitFor('the change to be stored', async () => (changed ? (await cp.store.get(ref))?.metadata.resourceVersion !== original.metadata.resourceVersion : !await cp.store.get(ref)));
    try {
      return await meshctl('verify-install', ...argv);
    } finally {
      if (changed) await replace(forCreate(original), plural);
      else await cp.store.create(forCreate(original));
      await waitFor('the Deployments to settle', settled);
    }
  }

  beforeAll(async () => {
    cp = await startControlPlane({ readyDelayMs: 0 });
    env = { KUBECONFIG: cp.kubeconfigPath };
    const r = await meshctl('install', '--set', 'profile=demo', '-y', '--poll-interval', '100ms');
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => cp?.close());

  it('verifies a clean installation from its installed state, though the server left out empty fields', async () => {
    // The rendering has `- name: PLATFORM` / `value: ""`; the API server stored the EnvVar without it.
    const istiod = (await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }))!;
    const envVars = (istiod.spec as any).template.spec.containers[0].env as { name: string; value?: string }[];
    expect(envVars.find((e) => e.name === 'PLATFORM')).toEqual({ name: 'PLATFORM' });

    const r = await meshctl('verify-install');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('✔ Deployment: istiod.istio-system checked successfully');
    expect(lines).toContain('✔ CustomResourceDefinition: virtualservices.networking.istio.io checked successfully');
    expect(lines.filter((l) => l.startsWith('✔ ') && l.endsWith(' checked successfully'))).toHaveLength(42);
    expect(lines.filter((l) => l.startsWith('✘ '))).toEqual([]);
    expect(lines).toContain('Checked 15 custom resource definitions');
    expect(lines).toContain('Checked 3 Istio Deployments');
    expect(r.stderr.endsWith('✔ Istio is installed and verified successfully\n')).toBe(true);
    expect(r.stdout).toBe('');
  });

  it('reports a missing object', async () => {
    const r = await withBroken({ group: '', kind: 'Service', namespace: 'istio-system', name: 'istiod' }, 'services', () => undefined);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✘ Service: istiod.istio-system: missing: not found in the cluster\n');
    expect(r.stderr).toContain('✘ Istio installation has 1 problem: 1 missing;');
  });

  it('reports a drifted field with the rendered and the live value', async () => {
    const r = await withBroken({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }, 'deployments', (o) => {
      (o.spec as any).template.spec.containers[0].image = 'docker.io/istio/pilot:1.29.0';
      return o;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✘ Deployment: istiod.istio-system: drifted: spec.template.spec.containers[0].image: want "docker.io/istio/pilot:1.30.3", have "docker.io/istio/pilot:1.29.0"\n');
  });

  it('reports an empty rendered value that was given a value as drift', async () => {
    const r = await withBroken({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }, 'deployments', (o) => {
      const envVars = (o.spec as any).template.spec.containers[0].env as { name: string; value?: string }[];
      envVars.find((e) => e.name === 'PLATFORM')!.value = 'gcp';
      return o;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✘ Deployment: istiod\.istio-system: drifted: spec\.template\.spec\.containers\[0\]\.env\[\d+\]\.value: want "", have "gcp"\n/);
  });

  it('reports an extra object the revision owns but the rendering lacks', async () => {
    await cp.store.create({
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { name: 'leftover', namespace: 'istio-system', labels: { 'istio.io/rev': 'default', 'operator.istio.io/component': 'Pilot' } },
    });
    try {
      const r = await meshctl('verify-install');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('✘ ServiceAccount: leftover.istio-system: extra: labelled for this revision (component Pilot) but not in the rendering\n');
      expect(r.stderr).toContain('1 extra');
    } finally {
      await cp.store.remove({ group: '', kind: 'ServiceAccount', namespace: 'istio-system', name: 'leftover' });
    }
  });

  it('reports an unready workload with its pod reason, also as JSON', async () => {
    await cp.setWorkload('istio-system/istio-egressgateway', { kind: 'fail', reason: 'ImagePullBackOff' });
    try {
      // The kubelet stand-in turns the running pod's container to ImagePullBackOff; the Deployment follows.
      await waitFor('the egress gateway to become unready', async () => {
        const d = await cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istio-egressgateway' });
        return ((d?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) === 0;
      });
      const text = await meshctl('verify-install');
      expect(text.code).toBe(1);
      const line = text.stderr.split('\n').find((l) => l.startsWith('✘ Deployment: istio-egressgateway.istio-system: not ready: '));
      expect(line, text.stderr).toContain('0/1 replicas ready');
      expect(line).toContain('container failed to start: ImagePullBackOff: Back-off pulling image "docker.io/istio/proxyv2:1.30.3"');

      const json = await meshctl('verify-install', '-o', 'json');
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({ revision: 'default', namespace: 'istio-system', verified: false, problems: { missing: 0, drifted: 0, unready: 1, extra: 0 } });
      const egress = report.objects.find((o: any) => o.kind === 'Deployment' && o.name === 'istio-egressgateway');
      expect(egress.status).toBe('unready');
      expect(egress.reason).toContain('ImagePullBackOff');
    } finally {
      await cp.setWorkload('istio-system/istio-egressgateway', { kind: 'ready' });
      // The kubelet stand-in does not retry a failed pod; a new one (as after a rollout restart) comes up ready.
      for (const pod of await cp.store.list('', 'Pod', 'istio-system')) {
        if (pod.metadata.labels?.app === 'istio-egressgateway') await cp.store.remove({ group: '', kind: 'Pod', namespace: 'istio-system', name: pod.metadata.name });
      }
      await waitFor('the Deployments to settle', settled);
    }
  });

  it('compares with a configuration given by flags: demo against minimal', async () => {
    const r = await meshctl('verify-install', '--set', 'profile=minimal');
    expect(r.code).toBe(1);
    // Gateways are not in minimal; istiod is sized and autoscaled differently there.
    expect(r.stderr).toContain('✘ Deployment: istio-ingressgateway.istio-system: extra:');
    expect(r.stderr).toContain('✘ Deployment: istio-egressgateway.istio-system: extra:');
    expect(r.stderr).toContain('✘ HorizontalPodAutoscaler: istiod.istio-system: missing: not found in the cluster');
    expect(r.stderr).toContain('spec.template.spec.containers[0].resources.requests.cpu: want "500m", have "10m"');
    expect(r.stderr).toContain('Checked 1 Istio Deployments');
    expect(r.stderr).toContain(', 10 extra;');
  });

  it('says when no installation is found', async () => {
    const r = await meshctl('verify-install', '-r', 'canary');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^! No Istio installation found/);
    expect(r.stdout).toBe('');
  });
});
