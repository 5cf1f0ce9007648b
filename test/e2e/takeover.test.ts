/**
 * Taking over an Istio installation that istioctl 1.30.3 made, on the real control plane
 * (test/control-plane/), with the real kubectl as istioctl's applier and meshctl in-process.
 *
 * What istioctl's install does is reproduced from upstream's own rendering and upstream facts:
 * - the objects are istioctl's own `manifest generate --set profile=P` output
 *   (../shared/conformance/istio-1.30.3/render/P.yaml). That data has two things removed (its
 *   README): CRD descriptions, which the CRDs are applied without (meshctl ships none either), and
 *   the text of each injection template in the `istio-sidecar-injector` ConfigMap. Those texts are
 *   SUBSTITUTED from meshctl's rendering of the same ConfigMap key (the template list is checked to
 *   be the same); the rest of the injector config is upstream's, re-serialised as YAML;
 * - each object gets istioctl's owner labels (operator/pkg/install/install.go getOwnerLabels and
 *   reference section 2.4 step 8) and is server-side applied with field manager `istio-operator`,
 *   forcing conflicts, component by component in istioctl's dependency order (Base, then Pilot,
 *   then the gateways; step 7), each component waited for before the next (CRDs Established,
 *   Deployments rolled out; step 9). The component of an object is the one of the chart that
 *   rendered it (its `helm.sh/chart` label: base, istiod, istio-ingress, istio-egress;
 *   operator/pkg/component). Within a component the file's order is kept (istioctl applies in
 *   template-file order; the API server does not care);
 * - then the default revision tag istioctl's install adds out of band on a cluster without one
 *   (operator/pkg/webhook/webhook.go WebhooksToDeploy and istioctl/pkg/tag/generate.go Generate,
 *   reference 2.3/2.4 step 11): the default revision's own injector webhooks are deactivated by an
 *   Update (selectors `istio.io/deactivated: never-match`, util.NeverMatch), then the tag webhook
 *   `istio-revision-tag-default` (rendered as upstream renders it: profile empty, pilot enabled,
 *   `revisionTags: [default]`, here with meshctl's renderer, then clientConfig, labels and
 *   annotations taken from the revision's own webhook), the validator `istiod-default-validator`
 *   (the `default` chart's template, written out below) and the Service `istiod-revision-tag-default`
 *   are applied as `istio-operator`, labelled `install.operator.istio.io/owning-resource-not-pruned=true`.
 *   The Update's field manager is `istioctl` here: upstream sends no field manager, so the API
 *   server derives one from the client's user agent.
 *
 * Four scenarios: the demo profile installed from an IstioOperator named `installed-state`
 * (`istioctl install -f`), taken over, applied by istioctl again and taken back, then purged; the
 * demo profile installed with `istioctl install --set profile=demo` (no IstioOperator name: the
 * charts' `owning-resource: unknown` stays, Base objects have none), taken over with the default
 * profile (what only demo set goes, the egress gateway is pruned), then purged; the default
 * profile the same way, taken over and uninstalled as the default revision; and the minimal
 * profile uninstalled by meshctl with no takeover (no installed-state record: found by labels).
 */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { CONFORMANCE_DIR, conformanceAvailable, suiteTitle } from '../conformance/support.js';
import { run, testDeps, type RunResult } from '../helpers.js';
import { eventually } from './support.js';

const KUBECTL = process.env.MESHCTL_KUBECTL || kubectlPath();
const assets = await loadAssets(testDeps().deps);
const NS = 'istio-system';
const VERSION = '1.30.3';

type Labels = Record<string, string>;

let cp: ControlPlane;
let dir: string;
let env: Record<string, string>;

const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });

async function kubectl(args: string[]) {
  const r = await execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), ...args], { env, reject: false, timeout: 120_000 });
  expect(r.exitCode, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Component of an object of istioctl's rendering, by the chart that rendered it (operator/pkg/component, Istio 1.30.3). */
const CHART_COMPONENT: Record<string, string> = {
  base: 'Base',
  istiod: 'Pilot',
  'istio-ingress': 'IngressGateways',
  'istio-egress': 'EgressGateways',
};

/** istioctl's install order: Base, then Pilot, then both gateways (reference 2.4 step 7). */
const COMPONENT_ORDER = ['Base', 'Pilot', 'IngressGateways', 'EgressGateways'];

function componentOf(o: KObject): string {
  const chart = (o.metadata.labels?.['helm.sh/chart'] ?? '').replace(/-\d+\.\d+\.\d+$/, '');
  const c = CHART_COMPONENT[chart];
  if (!c) throw new Error(`no component for chart ${chart} of ${o.kind}/${o.metadata.name}`);
  return c;
}

/** istioctl's owner labels (install.go getOwnerLabels): owning-resource only when the IstioOperator has a name. */
function istioctlOwnerLabels(iopName: string | undefined, component?: string): Labels {
  return {
    'operator.istio.io/managed': 'Reconcile',
    'operator.istio.io/version': VERSION,
    ...(iopName ? { 'install.operator.istio.io/owning-resource': iopName } : {}),
    'install.operator.istio.io/owning-resource-namespace': NS,
    'istio.io/rev': 'default',
    ...(component ? { 'operator.istio.io/component': component } : {}),
  };
}

function meshctlRendering(sets: string[]) {
  return renderManifests(resolveConfiguration(assets, { sets }), assets).objects.map((r) => ({ component: r.component as string, object: r.object as unknown as KObject }));
}

/** Upstream's rendering of `profile`, with the injection templates put back from meshctl's rendering. */
function upstreamObjects(profile: string): KObject[] {
  const text = readFileSync(join(CONFORMANCE_DIR, 'render', `${profile}.yaml`), 'utf8');
  const objects = parseAllDocuments(text).map((d) => d.toJS() as KObject | null).filter((o): o is KObject => !!o);
  const ours = meshctlRendering([`profile=${profile}`]).map((r) => r.object);
  for (const o of objects) {
    if (o.kind !== 'ConfigMap' || o.metadata.name !== 'istio-sidecar-injector') continue;
    const data = o.data as Record<string, string>;
    const config = parse(data.config!) as { templates: Record<string, string> };
    const mine = ours.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'istio-sidecar-injector')!;
    const mineTemplates = (parse((mine.data as Record<string, string>).config!) as { templates: Record<string, string> }).templates;
    expect(Object.keys(mineTemplates).sort()).toEqual(Object.keys(config.templates).sort());
    for (const name of Object.keys(config.templates)) {
      expect(config.templates[name]).toMatch(/omitted/);
      config.templates[name] = mineTemplates[name]!;
    }
    data.config = stringify(config);
  }
  return objects;
}

function refOf(o: KObject) {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  return { group, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

function managers(o: KObject | undefined): string[] {
  const entries = (o?.metadata.managedFields ?? []) as { manager: string; operation: string; subresource?: string }[];
  return entries.filter((m) => !m.subresource && m.operation === 'Apply').map((m) => m.manager).sort();
}

async function applyAsIstioctl(objects: KObject[], name: string): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
  await kubectl(['apply', '--server-side', '--field-manager=istio-operator', '--force-conflicts', '-f', file]);
}

const NEVER_MATCH = { matchLabels: { 'istio.io/deactivated': 'never-match' } };

/**
 * istioctl's default revision tag (webhook.go WebhooksToDeploy, generate.go Generate) for the
 * revision whose injector webhook is `canonical`: returns the tag webhook, the validator and the
 * tag Service as istioctl applies them.
 */
function defaultTagObjects(canonical: KObject, iopName: string | undefined): KObject[] {
  const custom: Labels = { ...istioctlOwnerLabels(iopName), 'install.operator.istio.io/owning-resource-not-pruned': 'true' };
  const { app: _app, ...canonicalLabels } = canonical.metadata.labels ?? {};
  const webhooks = canonical.webhooks as { name: string; clientConfig: { caBundle?: string; service?: { name: string; path?: string } }; reinvocationPolicy?: string }[];
  const injector = webhooks.find((w) => w.name.endsWith('sidecar-injector.istio.io'))!;
  const rendered = meshctlRendering([
    'profile=empty', 'components.pilot.enabled=true', 'values.revisionTags[0]=default',
    'values.sidecarInjectorWebhook.enableNamespacesByDefault=false', `values.global.istioNamespace=${NS}`,
    ...(injector.reinvocationPolicy ? [`values.sidecarInjectorWebhook.reinvocationPolicy=${injector.reinvocationPolicy}`] : []),
  ]).map((r) => r.object);
  const tagWebhook = structuredClone(rendered.find((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.name.startsWith('istio-revision-tag-'))!);
  for (const w of tagWebhook.webhooks as typeof webhooks) {
    if (injector.clientConfig.caBundle) w.clientConfig.caBundle = injector.clientConfig.caBundle;
    if (w.clientConfig.service) {
      w.clientConfig.service.path = injector.clientConfig.service?.path ?? '';
      w.clientConfig.service.name = injector.clientConfig.service?.name ?? '';
    }
  }
  tagWebhook.metadata.labels = { ...tagWebhook.metadata.labels, ...canonicalLabels, ...custom };
  if (canonical.metadata.annotations) tagWebhook.metadata.annotations = { ...tagWebhook.metadata.annotations, ...canonical.metadata.annotations };

  // manifests/charts/default/templates/validatingwebhook.yaml at 1.30.3, revision "" (default).
  const validator: KObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: 'istiod-default-validator',
      labels: {
        app: 'istiod', istio: 'istiod', 'istio.io/rev': 'default', 'istio.io/tag': 'default', 'operator.istio.io/component': 'Pilot',
        'app.kubernetes.io/name': 'istiod', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'istio',
        'app.kubernetes.io/part-of': 'istio', 'app.kubernetes.io/version': VERSION, 'helm.sh/chart': `istio-default-${VERSION}`,
        ...canonicalLabels, ...custom,
      },
      ...(canonical.metadata.annotations ? { annotations: canonical.metadata.annotations } : {}),
    },
    webhooks: [{
      name: 'validation.istio.io',
      clientConfig: { service: { name: 'istiod', namespace: NS, path: '/validate' }, ...(injector.clientConfig.caBundle ? { caBundle: injector.clientConfig.caBundle } : {}) },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], apiVersions: ['*'], resources: ['*'] }],
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      objectSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] },
    }],
  };

  const service = structuredClone(rendered.find((o) => o.kind === 'Service' && o.metadata.labels?.['istio.io/tag'] === 'default')!);
  service.metadata.labels = { ...service.metadata.labels, ...custom };
  return [tagWebhook, validator, service];
}

/** What `istioctl install` of `profile` leaves in the cluster (see the file comment). Returns istioctl's objects, tag objects last. */
async function istioctlInstall(profile: string, iopName: string | undefined): Promise<KObject[]> {
  const objects = upstreamObjects(profile).map((o) => {
    const component = componentOf(o);
    return { component, object: { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...istioctlOwnerLabels(iopName, component) } } } };
  });
  await execa(KUBECTL, ['create', 'namespace', NS], { env, reject: false });
  for (const component of COMPONENT_ORDER) {
    const mine = objects.filter((o) => o.component === component).map((o) => o.object);
    if (!mine.length) continue;
    await applyAsIstioctl(mine, `istioctl-${profile}-${component}`);
    if (component === 'Base') await kubectl(['wait', '--for=condition=Established', 'crd', '-l', 'operator.istio.io/component=Base', '--timeout=60s']);
    for (const d of mine.filter((o) => o.kind === 'Deployment')) await kubectl(['rollout', 'status', `deployment/${d.metadata.name}`, '-n', NS, '--timeout=90s']);
  }

  // The default tag, as install adds it when the cluster has none.
  const canonical = (await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' }))!;
  const tag = defaultTagObjects(canonical, iopName);
  expect(await eventually(async () => {
    const live = (await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' }))!;
    for (const w of live.webhooks as Record<string, unknown>[]) {
      w.namespaceSelector = NEVER_MATCH;
      w.objectSelector = NEVER_MATCH;
    }
    // An Update (PUT) carrying the resourceVersion read: a caBundle write in between is a 409, and it is read again.
    const r = await execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), 'replace', '--field-manager=istioctl', '-f', '-'], { env, reject: false, input: JSON.stringify(live) });
    return r.exitCode === 0;
  }, 30_000)).toBe(true);
  await applyAsIstioctl(tag, `istioctl-${profile}-tag`);
  return [...objects.map((o) => o.object), ...tag];
}

/** Every object of the kinds an installation has that carries `operator.istio.io/component`, as `Kind/ns/name` (read with kubectl). */
async function labelledObjects(): Promise<string[]> {
  const kinds = 'customresourcedefinitions,serviceaccounts,clusterroles,clusterrolebindings,roles,rolebindings,configmaps,deployments,services,'
    + 'horizontalpodautoscalers,poddisruptionbudgets,mutatingwebhookconfigurations,validatingwebhookconfigurations';
  const out = await kubectl(['get', kinds, '-A', '-l', 'operator.istio.io/component', '-o', 'json']);
  const items = (JSON.parse(out) as { items: KObject[] }).items.filter((o) => !o.metadata.deletionTimestamp);
  return items.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function key(o: KObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

beforeAll(async () => {
  cp = await startControlPlane({ readyDelayMs: 0 });
  dir = await mkdtemp(join(tmpdir(), 'meshctl-takeover-'));
  env = { KUBECONFIG: cp.kubeconfigPath, NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '' };
});
afterAll(async () => {
  await cp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!conformanceAvailable)(suiteTitle('an istioctl install of the demo profile (IstioOperator "installed-state"), taken over, then purged'), () => {
  let istioctl: KObject[];

  it('istioctl\'s objects are in the cluster, applied by istio-operator, with the default tag and the deactivated injector', async () => {
    istioctl = await istioctlInstall('demo', 'installed-state');
    for (const o of istioctl) expect(managers(await cp.store.get(refOf(o))), key(o)).toEqual(['istio-operator']);
    const injector = await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' });
    for (const w of injector!.webhooks as { namespaceSelector: unknown }[]) expect(w.namespaceSelector).toEqual(NEVER_MATCH);
  });

  it('a dry run names the takeover and changes nothing', async () => {
    const r = await meshctl('install', '--set', 'profile=demo', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`- Would take over ${istioctl.length - 3} objects installed by istioctl (field manager istio-operator)`);
    for (const o of istioctl) expect(managers(await cp.store.get(refOf(o))), key(o)).toEqual(['istio-operator']);
  });

  it('meshctl install takes the objects over, says so, and ends without errors', async () => {
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.code, r.stderr).toBe(0);
    const rendered = meshctlRendering(['profile=demo']);
    const upstreamCount = istioctl.length - 3;
    expect(rendered).toHaveLength(upstreamCount);
    expect(r.stderr).toContain(`Taking over ${upstreamCount} objects installed by istioctl (field manager istio-operator)`);
    expect(r.stderr).not.toMatch(/conflict|error/i);
    expect(r.stderr).toContain('✔ Installation complete');
    expect(r.stderr).toMatch(new RegExp(`${upstreamCount} objects applied \\(0 created, \\d+ configured, \\d+ unchanged\\), 0 pruned\\.`));
    // meshctl owns what it renders; istioctl's applier gave up the rest (what both set stays).
    for (const { object } of rendered) expect(managers(await cp.store.get(refOf(object))), key(object)).toEqual(['meshctl']);
    // The default tag still injects for the default revision, so the revision's own webhooks stay deactivated, as istioctl leaves them.
    const injector = await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' });
    for (const w of injector!.webhooks as { namespaceSelector: unknown; objectSelector: unknown }[]) {
      expect(w.namespaceSelector).toEqual(NEVER_MATCH);
      expect(w.objectSelector).toEqual(NEVER_MATCH);
    }
  });

  it('a second install changes nothing, and verify-install passes', async () => {
    const again = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('Taking over');
    expect(again.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    const verify = await meshctl('verify-install');
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    expect(`${verify.stdout}${verify.stderr}`).toContain('✔ Istio is installed and verified successfully');
    // The default tag's webhook and the deactivated injector do not overlap: analysis finds no webhook problem.
    const analyze = await meshctl('analyze', '--all-namespaces');
    expect(analyze.code, `${analyze.stdout}\n${analyze.stderr}`).toBe(0);
    expect(analyze.stdout).not.toMatch(/^(Warning|Error) /m);
  });

  it('istioctl applying its objects again (re-activating the injector) is taken over again by the next install', async () => {
    const objects = istioctl.filter((o) => !o.metadata.labels?.['istio.io/tag']);
    for (const component of COMPONENT_ORDER) await applyAsIstioctl(objects.filter((o) => o.metadata.labels?.['operator.istio.io/component'] === component), `again-${component}`);
    const injector = () => cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' });
    expect((await injector())!.webhooks as { namespaceSelector: unknown }[]).not.toContainEqual(expect.objectContaining({ namespaceSelector: NEVER_MATCH }));
    const r = await meshctl('install', '--set', 'profile=demo', '-y');
    expect(r.code, r.stderr).toBe(0);
    // Recorded objects are not read before applying (a rerun stays cheap): the apply answers tell.
    expect(r.stderr).not.toContain('Taking over');
    expect(r.stderr).toContain(`- Took back ${objects.length} objects istioctl had applied since meshctl's last install (field manager istio-operator)`);
    expect(r.stderr).toMatch(/ 0 pruned\./);
    for (const o of objects) {
      const live = await cp.store.get(refOf(o));
      expect(managers(live), key(o)).toEqual(['meshctl']);
      expect(live?.metadata.labels?.['install.operator.istio.io/owning-resource'], key(o)).toBe('meshctl-installed-state');
    }
    for (const w of (await injector())!.webhooks as { namespaceSelector: unknown }[]) expect(w.namespaceSelector).toEqual(NEVER_MATCH);
    const verify = await meshctl('verify-install');
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
  });

  it('uninstall --purge removes everything istioctl installed, the default tag included', async () => {
    expect((await labelledObjects()).length).toBeGreaterThan(istioctl.length);
    const r = await meshctl('uninstall', '--purge', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(await labelledObjects()).toEqual([]);
    for (const o of istioctl) expect(await cp.store.get(refOf(o)), key(o)).toBeUndefined();
  });
});

describe.skipIf(!conformanceAvailable)(suiteTitle('an istioctl install of the demo profile (no IstioOperator name), taken over with the default profile, then purged'), () => {
  let istioctl: KObject[];

  it('meshctl install --set profile=default takes over, drops what only demo set and prunes istioctl\'s egress gateway, as istioctl\'s own switch to default would', async () => {
    istioctl = await istioctlInstall('demo', undefined);
    const rendered = meshctlRendering(['profile=default']);
    const keep = new Set(rendered.map(({ object }) => key(object)));
    const gone = istioctl.filter((o) => !keep.has(key(o)) && !o.metadata.labels?.['istio.io/tag']);
    expect(gone.map((o) => o.metadata.labels?.['operator.istio.io/component']).sort()).toEqual(Array(5).fill('EgressGateways'));
    const taken = istioctl.filter((o) => keep.has(key(o)));

    const r = await meshctl('install', '--set', 'profile=default', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`- Taking over ${taken.length} objects installed by istioctl (field manager istio-operator)`);
    expect(r.stderr).toContain('- Pruning removed resources');
    for (const o of gone) {
      expect(r.stderr).toContain(`  ${o.kind}/${NS}/${o.metadata.name}\n`);
      expect(await eventually(async () => (await cp.store.get(refOf(o))) === undefined), key(o)).toBe(true);
    }
    expect(r.stderr).toContain(`✔ Pruned ${gone.length} objects`);
    for (const { object } of rendered) expect(managers(await cp.store.get(refOf(object))), key(object)).toEqual(['meshctl']);
    // What only demo set went with istioctl's ownership: demo's ingress Service has two ports more than default's.
    const ports = (o: KObject | undefined) => ((o?.spec as { ports: { port: number }[] }).ports).map((p) => p.port);
    const demoIngress = istioctl.find((o) => key(o) === `Service/${NS}/istio-ingressgateway`)!;
    expect(ports(demoIngress)).toEqual(expect.arrayContaining([31400, 15443]));
    const want = ports(rendered.find(({ object }) => key(object) === `Service/${NS}/istio-ingressgateway`)!.object);
    expect(want).not.toContain(31400);
    expect(ports(await cp.store.get({ group: '', kind: 'Service', namespace: NS, name: 'istio-ingressgateway' }))).toEqual(want);
  });

  it('the next install changes nothing, verify-install passes, and a purge leaves nothing', async () => {
    const again = await meshctl('install', '--set', 'profile=default', '-y');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('Taking over');
    expect(again.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    const verify = await meshctl('verify-install', '--set', 'profile=default');
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    const r = await meshctl('uninstall', '--purge', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(await labelledObjects()).toEqual([]);
    for (const o of istioctl) expect(await cp.store.get(refOf(o)), key(o)).toBeUndefined();
  });
});

describe.skipIf(!conformanceAvailable)(suiteTitle('an istioctl install of the default profile (no IstioOperator name), taken over, then the default revision uninstalled'), () => {
  let istioctl: KObject[];

  it('istioctl installs, meshctl takes over', async () => {
    istioctl = await istioctlInstall('default', undefined);
    const r = await meshctl('install', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Taking over ${istioctl.length - 3} objects installed by istioctl (field manager istio-operator)`);
    const again = await meshctl('install', '-y');
    expect(again.stderr).toMatch(/\(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    const verify = await meshctl('verify-install');
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
  });

  it('uninstall of the default revision removes istioctl\'s control plane and default tag, and keeps Base as istioctl\'s uninstall does', async () => {
    const r = await meshctl('uninstall', '-r', 'default', '-y');
    expect(r.code, r.stderr).toBe(0);
    const base = istioctl.filter((o) => o.metadata.labels?.['operator.istio.io/component'] === 'Base').map(key).sort();
    expect(await labelledObjects()).toEqual(base);
    for (const name of ['istio-revision-tag-default', 'istio-sidecar-injector']) {
      expect(await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name }), name).toBeUndefined();
    }
    expect(await cp.store.get({ group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istiod-default-validator' })).toBeUndefined();
    expect(await cp.store.get({ group: '', kind: 'Service', namespace: NS, name: 'istiod-revision-tag-default' })).toBeUndefined();
  });
});

describe.skipIf(!conformanceAvailable)(suiteTitle('an istioctl install of the minimal profile uninstalled by meshctl without a takeover'), () => {
  it('uninstall -r default removes istioctl\'s control plane and default tag; uninstall --purge the rest', async () => {
    const istioctl = await istioctlInstall('minimal', 'installed-state');
    const r = await meshctl('uninstall', '-r', 'default', '-y');
    expect(r.code, r.stderr).toBe(0);
    const base = istioctl.filter((o) => o.metadata.labels?.['operator.istio.io/component'] === 'Base').map(key).sort();
    expect(await labelledObjects()).toEqual(base);
    const purge = await meshctl('uninstall', '--purge', '-y');
    expect(purge.code, purge.stderr).toBe(0);
    expect(await labelledObjects()).toEqual([]);
    for (const o of istioctl) expect(await cp.store.get(refOf(o)), key(o)).toBeUndefined();
  });
});
