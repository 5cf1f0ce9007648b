/**
 * `meshctl verify-install` against the Kubernetes API test server, on a demo mesh that
 * `meshctl install` put there. Each problem test breaks one thing through the store, checks the
 * report, and puts the object back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type KObject, type StoreRef, type TestCluster } from '../cluster/server.js';
import { run, type RunResult } from '../helpers.js';

describe('verify-install', () => {
  let c: TestCluster;
  let env: Record<string, string>;
  const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });

  /** Runs `change`, then verify-install, then puts the original object back. */
  async function withBroken(ref: StoreRef, change: (o: KObject) => KObject | undefined, ...argv: string[]): Promise<RunResult> {
    const original = structuredClone(c.store.get(ref)!);
    const changed = change(structuredClone(original));
    if (changed) c.store.put(changed);
    else c.store.remove(ref);
    try {
      return await meshctl('verify-install', ...argv);
    } finally {
      c.store.put(original);
    }
  }

  beforeAll(async () => {
    c = await startTestCluster({ readyDelayMs: 0 });
    env = { KUBECONFIG: c.kubeconfigPath };
    const r = await meshctl('install', '--set', 'profile=demo', '-y', '--poll-interval', '10ms');
    expect(r.code, r.stderr).toBe(0);
  }, 20_000);
  afterAll(async () => c?.close());

  it('verifies a clean installation from its installed state', async () => {
    const r = await meshctl('verify-install');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('✔ Deployment: istiod.istio-system checked successfully');
    expect(lines).toContain('✔ CustomResourceDefinition: virtualservices.networking.istio.io checked successfully');
    expect(lines.filter((l) => l.startsWith('✔ ') && l.endsWith(' checked successfully'))).toHaveLength(42);
    expect(lines).toContain('Checked 15 custom resource definitions');
    expect(lines).toContain('Checked 3 Istio Deployments');
    expect(r.stderr.endsWith('✔ Istio is installed and verified successfully\n')).toBe(true);
    expect(r.stdout).toBe('');
  });

  it('reports a missing object', async () => {
    const r = await withBroken({ group: '', kind: 'Service', namespace: 'istio-system', name: 'istiod' }, () => undefined);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✘ Service: istiod.istio-system: missing: not found in the cluster\n');
    expect(r.stderr).toContain('✘ Istio installation has 1 problem: 1 missing;');
  });

  it('reports a drifted field with the rendered and the live value', async () => {
    const r = await withBroken({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }, (o) => {
      (o.spec as any).template.spec.containers[0].image = 'docker.io/istio/pilot:1.29.0';
      return o;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('✘ Deployment: istiod.istio-system: drifted: spec.template.spec.containers[0].image: want "docker.io/istio/pilot:1.30.3", have "docker.io/istio/pilot:1.29.0"\n');
  });

  it('reports an extra object the revision owns but the rendering lacks', async () => {
    const extra: KObject = {
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { name: 'leftover', namespace: 'istio-system', labels: { 'istio.io/rev': 'default', 'operator.istio.io/component': 'Pilot' } },
    };
    c.store.put(extra);
    try {
      const r = await meshctl('verify-install');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('✘ ServiceAccount: leftover.istio-system: extra: labelled for this revision (component Pilot) but not in the rendering\n');
      expect(r.stderr).toContain('1 extra');
    } finally {
      c.store.remove({ group: '', kind: 'ServiceAccount', namespace: 'istio-system', name: 'leftover' });
    }
  });

  it('reports an unready workload with its pod reason, also as JSON', async () => {
    c.setWorkload('istio-system/istio-egressgateway', { kind: 'fail', reason: 'ImagePullBackOff', message: 'Back-off pulling image "docker.io/istio/proxyv2:1.30.3"' });
    try {
      const text = await meshctl('verify-install');
      expect(text.code).toBe(1);
      const line = text.stderr.split('\n').find((l) => l.startsWith('✘ Deployment: istio-egressgateway.istio-system: not ready: '));
      expect(line, text.stderr).toContain('ImagePullBackOff');

      const json = await meshctl('verify-install', '-o', 'json');
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({ revision: 'default', namespace: 'istio-system', verified: false, problems: { missing: 0, drifted: 0, unready: 1, extra: 0 } });
      const egress = report.objects.find((o: any) => o.kind === 'Deployment' && o.name === 'istio-egressgateway');
      expect(egress.status).toBe('unready');
      expect(egress.reason).toContain('ImagePullBackOff');
    } finally {
      c.setWorkload('istio-system/istio-egressgateway', { kind: 'ready' });
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
