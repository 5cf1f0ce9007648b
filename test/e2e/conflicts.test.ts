/**
 * meshctl and other field managers on a real control plane (test/control-plane/), with the built
 * `bin/meshctl` and the kubectl of the same release.
 *
 * meshctl applies every object with server-side apply, field manager `meshctl`, forcing conflicts,
 * as istioctl forces with its manager `istio-operator`: the installation is the source of truth
 * for every field the rendering sets. So:
 * - `kubectl scale` of a Deployment whose rendering sets `replicas` (istiod in the demo profile,
 *   which has no HorizontalPodAutoscaler) is undone by the next install; where the rendering leaves
 *   `replicas` out because an HPA owns the count (the default profile), the scale stays.
 * - objects an istioctl install applied (manager `istio-operator`) are taken over without conflict
 *   errors: fields with other values move to meshctl, and istioctl's applier then gives up the rest
 *   (server-side apply's transfer of ownership), so meshctl alone owns what it renders. The
 *   faithful reproduction of an istioctl install (upstream's rendering, default tag) is
 *   test/e2e/takeover.test.ts.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { LABEL, ownerLabels } from '../../src/kube/owner.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { ISTIO_VERSION } from '../../src/render/context.js';
import { renderManifests, type Rendering } from '../../src/render/render.js';
import { repoRoot, testDeps } from '../helpers.js';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { eventually } from './support.js';

const bin = join(repoRoot, 'bin/meshctl');
const KUBECTL = process.env.MESHCTL_KUBECTL || kubectlPath();
const assets = await loadAssets(testDeps().deps);

let cp: ControlPlane;
let dir: string;
let env: Record<string, string>;

function meshctl(...args: string[]) {
  return execa(bin, args, { env, reject: false, timeout: 120_000 });
}

function kubectl(...args: string[]) {
  return execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), ...args], { env, reject: false, timeout: 120_000 });
}

function render(profile: string): Rendering {
  return renderManifests(resolveConfiguration(assets, { sets: [`profile=${profile}`] }), assets);
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

function managedFields(o: KObject | undefined): ManagedFieldsEntry[] {
  return (o?.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
}

/**
 * Returns the managers (`manager/operation[/subresource]`) whose managedFields entry owns the field
 * at `path` (FieldsV1 keys without their `f:` prefix, e.g. ['spec', 'replicas']).
 */
function owners(o: KObject | undefined, path: string[]): string[] {
  return managedFields(o).filter((m) => {
    let node: unknown = m.fieldsV1;
    for (const p of path) {
      if (typeof node !== 'object' || node === null || !(`f:${p}` in node)) return false;
      node = (node as Record<string, unknown>)[`f:${p}`];
    }
    return true;
  }).map((m) => [m.manager, m.operation, m.subresource].filter(Boolean).join('/')).sort();
}

function istiod(): Promise<KObject | undefined> {
  return cp.store.get({ group: 'apps', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' });
}

function replicasOf(o: KObject | undefined): number | undefined {
  return (o?.spec as { replicas?: number } | undefined)?.replicas;
}

/** Scales istiod with kubectl (the scale subresource, manager `kubectl`); returns the Deployment after. */
async function scaleIstiod(replicas: number): Promise<KObject | undefined> {
  const r = await kubectl('scale', 'deployment/istiod', '-n', 'istio-system', `--replicas=${replicas}`);
  expect(r.exitCode, r.stderr).toBe(0);
  const d = await istiod();
  expect(replicasOf(d)).toBe(replicas);
  return d;
}

beforeAll(async () => {
  cp = await startControlPlane();
  dir = await mkdtemp(join(tmpdir(), 'meshctl-conflicts-'));
  env = { KUBECONFIG: cp.kubeconfigPath, NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '' };
});
afterAll(async () => {
  await cp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl scale of istiod, then meshctl install again', () => {
  it('default profile: the rendering leaves replicas to the HPA, so the scale stays', async () => {
    const rendering = render('default');
    const deployment = rendering.objects.find((o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'istiod')!.object;
    expect((deployment.spec as { replicas?: number }).replicas).toBeUndefined();
    expect(rendering.objects.some((o) => o.object.kind === 'HorizontalPodAutoscaler' && o.object.metadata.name === 'istiod')).toBe(true);

    const first = await meshctl('install', '-y');
    expect(first.exitCode, first.stderr).toBe(0);
    // The server defaults replicas to 1; nobody owns the defaulted value.
    expect(replicasOf(await istiod())).toBe(1);
    expect(owners(await istiod(), ['spec', 'replicas'])).toEqual([]);

    // The API server records no owner for a scale of a field nobody owned (its scale handler only
    // moves existing ownership of spec.replicas): the value is simply nobody's, meshctl's included.
    expect(owners(await scaleIstiod(3), ['spec', 'replicas'])).toEqual([]);
    const again = await meshctl('install', '-y');
    expect(again.exitCode, again.stderr).toBe(0);
    const d = await istiod();
    expect(replicasOf(d)).toBe(3);
    expect(owners(d, ['spec', 'replicas'])).toEqual([]);
    expect(owners(d, ['spec', 'template'])).toContain('meshctl/Apply');
    expect(again.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    // meshctl waited for all three replicas, as for any rollout.
    const status = d?.status as { readyReplicas?: number } | undefined;
    expect(status?.readyReplicas).toBe(3);
  });

  it('demo profile: the rendering sets replicas (no HPA), so meshctl takes the field back and the scale is undone', async () => {
    const rendering = render('demo');
    const deployment = rendering.objects.find((o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'istiod')!.object;
    expect((deployment.spec as { replicas?: number }).replicas).toBe(1);
    expect(rendering.objects.some((o) => o.object.kind === 'HorizontalPodAutoscaler')).toBe(false);

    // Switching profiles already takes the field over: kubectl's scale to 3 is still in place.
    const first = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(replicasOf(await istiod())).toBe(1);
    expect(owners(await istiod(), ['spec', 'replicas'])).toEqual(['meshctl/Apply']);

    // The scale takes spec.replicas from meshctl: kubectl's entry (subresource scale) owns it now.
    expect(owners(await scaleIstiod(3), ['spec', 'replicas'])).toEqual(['kubectl/Update/scale']);
    const again = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(`${again.stdout}${again.stderr}`).not.toMatch(/conflict/i);
    const d = await istiod();
    expect(replicasOf(d)).toBe(1);
    // Forced: the field is meshctl's alone again, and kubectl's entry, which held nothing else, is gone.
    expect(owners(d, ['spec', 'replicas'])).toEqual(['meshctl/Apply']);
    expect(managedFields(d).map((m) => m.manager)).not.toContain('kubectl');
    // Taking a field back is a change, and the summary says so.
    expect(again.stderr).toMatch(/\(0 created, 1 configured, \d+ unchanged\), 0 pruned\./);
    // The scale-down is rolled out by the deployment controller.
    expect(await eventually(async () => (await cp.store.list('', 'Pod', 'istio-system')).filter((p) => p.metadata.labels?.app === 'istiod').length === 1)).toBe(true);
  });
});

describe('objects an istioctl install applied (field manager istio-operator), then meshctl install', () => {
  const rendering = render('demo');
  /** What istioctl applies: the rendering with its owner labels, recorded under its IstioOperator `installed-state`. */
  const istioctlObjects = rendering.objects.map(({ component, object }) => ({
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, ...ownerLabels(component, '', 'istio-system', ISTIO_VERSION), [LABEL.owningResource]: 'installed-state' },
    },
  }));
  const refs = rendering.objects.map(({ object }) => {
    const [group] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [''];
    return { group: group!, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
  });

  beforeAll(async () => {
    const purge = await meshctl('uninstall', '--purge', '-y');
    expect(purge.exitCode, purge.stderr).toBe(0);
    // CRDs go once their finalizer has run, Services once their EndpointSlices are collected.
    const gone = await eventually(async () => (await Promise.all(refs.map((r) => cp.store.get(r)))).every((o) => o === undefined));
    expect(gone).toBe(true);
  });

  it('kubectl applies the istioctl objects as istio-operator', async () => {
    const file = join(dir, 'istioctl.yaml');
    await writeFile(file, istioctlObjects.map((o) => stringify(o)).join('---\n'));
    const applied = await kubectl('apply', '--server-side', '--field-manager=istio-operator', '-f', file);
    expect(applied.exitCode, applied.stderr).toBe(0);
    for (const r of refs) {
      const o = await cp.store.get(r);
      // Appliers only: istiod's stand-in writes the webhooks' caBundle with an Update.
      expect(managedFields(o).filter((m) => m.operation === 'Apply').map((m) => m.manager), `${r.kind}/${r.name}`).toEqual(['istio-operator']);
    }
    // Without forcing, meshctl's owner label would conflict with istioctl's: that is what force resolves.
    const cm = istioctlObjects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio')!;
    const mine = { ...cm, metadata: { ...cm.metadata, labels: { ...cm.metadata.labels, [LABEL.owningResource]: 'meshctl-installed-state' } } };
    const unforced = await cp.rest.request('/api/v1/namespaces/istio-system/configmaps/istio?fieldManager=meshctl&dryRun=All', {
      method: 'PATCH', contentType: 'application/apply-patch+yaml', body: mine,
    });
    expect(unforced.status).toBe(409);
    expect((unforced.body as { message: string }).message).toContain('conflict with "istio-operator"');
  });

  it('meshctl takes the objects over without conflict errors', async () => {
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/conflict/i);
    // Every object existed under another manager: adopted, which the summary counts as configured.
    expect(r.stderr).toContain(`${rendering.objects.length} objects applied (0 created, ${rendering.objects.length} configured, 0 unchanged), 0 pruned.`);
    for (const ref of refs) {
      const what = `${ref.kind}/${ref.name}`;
      const o = await cp.store.get(ref);
      const managers = managedFields(o).filter((m) => !m.subresource).map((m) => `${m.manager}/${m.operation}`).sort();
      expect(managers, what).toContain('meshctl/Apply');
      // The label whose value differed moved to meshctl...
      expect(o?.metadata.labels?.[LABEL.owningResource], what).toBe('meshctl-installed-state');
      expect(owners(o, ['metadata', 'labels', LABEL.owningResource]), what).toEqual(['meshctl/Apply']);
      // ...and istioctl's applier gave up those with equal values: meshctl alone owns them.
      expect(owners(o, ['metadata', 'labels', LABEL.component]), what).toEqual(['meshctl/Apply']);
      expect(managers, what).not.toContain('istio-operator/Apply');
    }
    expect(r.stderr).toContain(`- Taking over ${rendering.objects.length} objects installed by istioctl (field manager istio-operator)`);
    const d = await istiod();
    expect(owners(d, ['spec', 'template'])).toEqual(['meshctl/Apply']);
    expect(owners(d, ['spec', 'replicas'])).toEqual(['meshctl/Apply']);
  });

  it('converges: the next install changes nothing, and the installation verifies', async () => {
    const again = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    const verify = await meshctl('verify-install');
    expect(verify.exitCode, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    expect(`${verify.stdout}${verify.stderr}`).toContain('✔ Istio is installed and verified successfully');
  });
});
