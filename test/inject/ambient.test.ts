/**
 * kube-inject and ambient mode: pods that Istio 1.30.3's ambient data plane captures and no
 * sidecar injector webhook picks get no sidecar (src/inject/ambient.ts). The webhook table is
 * checked against the selectors of the rendered MutatingWebhookConfigurations (default revision,
 * with and without enableNamespacesByDefault, and a revision), the capture rule against the
 * istio-cni chart's default enablement selectors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labelSelectorMatches } from '../../src/analyze/util/labels.js';
import { loadAssets } from '../../src/cli/assets.js';
import { ambientCapture, ambientSkipDetail, injectorWebhookFor } from '../../src/inject/ambient.js';
import { injectFile } from '../../src/inject/documents.js';
import type { Injector } from '../../src/inject/pod.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { run, testDeps } from '../helpers.js';
import { defaultInjector } from './injector.js';

type Labels = Record<string, string>;
interface Webhook { name: string; namespaceSelector?: unknown; objectSelector?: unknown }

/** The injector webhooks of a rendering with `sets`. */
async function renderedWebhooks(sets: string[]): Promise<Webhook[]> {
  const assets = await loadAssets(testDeps().deps);
  const objects = renderManifests(resolveConfiguration(assets, { sets }), assets).objects.map((o) => o.object as K8sObject);
  const mwcs = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
  expect(mwcs.length).toBe(1);
  return (mwcs[0] as unknown as { webhooks: Webhook[] }).webhooks;
}

const NAMESPACE_LABELS: Labels[] = [
  {}, { 'istio-injection': 'enabled' }, { 'istio-injection': 'disabled' }, { 'istio.io/rev': 'canary' }, { 'istio.io/rev': 'default' },
  { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }, { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' },
];
const POD_LABELS: Labels[] = [
  {}, { 'sidecar.istio.io/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' }, { 'istio.io/rev': 'canary' },
  { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary' }, { 'sidecar.istio.io/inject': 'false', 'istio.io/rev': 'canary' },
  { 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/dataplane-mode': 'none' },
];

describe('the injector webhooks that pick a pod', () => {
  it('are those of the rendered MutatingWebhookConfigurations, for any revision and enableNamespacesByDefault', async () => {
    const defaults = await renderedWebhooks([]);
    expect(defaults.map((w) => w.name)).toStrictEqual([
      'rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io', 'namespace.sidecar-injector.istio.io', 'object.sidecar-injector.istio.io',
    ]);
    const byDefault = await renderedWebhooks(['values.sidecarInjectorWebhook.enableNamespacesByDefault=true']);
    expect(byDefault.map((w) => w.name).at(-1)).toBe('auto.sidecar-injector.istio.io');
    const canary = await renderedWebhooks(['revision=canary']);
    expect(canary.map((w) => w.name)).toStrictEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);

    let compared = 0;
    for (const enableNamespacesByDefault of [false, true]) {
      const webhooks = [...(enableNamespacesByDefault ? byDefault : defaults), ...canary];
      for (const namespace of ['shop', 'kube-system']) {
        for (const base of NAMESPACE_LABELS) {
          for (const nsLabels of [base, { ...base, 'istio.io/dataplane-mode': 'ambient' }]) {
            for (const podLabels of POD_LABELS) {
              const withName = { ...nsLabels, 'kubernetes.io/metadata.name': namespace };
              const picked = webhooks.filter((w) => labelSelectorMatches(w.namespaceSelector, withName) && labelSelectorMatches(w.objectSelector, podLabels));
              const ours = injectorWebhookFor(namespace, nsLabels, podLabels, enableNamespacesByDefault);
              expect(ours !== undefined, `${namespace} ${JSON.stringify(nsLabels)} pod ${JSON.stringify(podLabels)} byDefault=${enableNamespacesByDefault}`)
                .toBe(picked.length > 0);
              if (ours !== undefined) expect(picked.map((w) => w.name)).toContain(`${ours}.sidecar-injector.istio.io`);
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBe(2 * 2 * NAMESPACE_LABELS.length * 2 * POD_LABELS.length);
  });
});

describe('ambient capture', () => {
  it('follows the istio-cni chart\'s default enablement selectors; a pod with a sidecar is never captured', () => {
    const ambientNs = { 'istio.io/dataplane-mode': 'ambient' };
    expect(ambientCapture('shop', ambientNs, {}, {})).toBe('namespace "shop" labelled istio.io/dataplane-mode=ambient');
    expect(ambientCapture('shop', ambientNs, { 'istio.io/dataplane-mode': 'none' }, {})).toBeUndefined();
    expect(ambientCapture('shop', ambientNs, { 'istio.io/dataplane-mode': 'other' }, {})).toBeDefined();
    expect(ambientCapture('shop', {}, { 'istio.io/dataplane-mode': 'ambient' }, {})).toBe('label istio.io/dataplane-mode: "ambient"');
    expect(ambientCapture('shop', { 'istio.io/dataplane-mode': 'none' }, { 'istio.io/dataplane-mode': 'ambient' }, {})).toBeDefined();
    expect(ambientCapture('shop', { 'istio.io/dataplane-mode': 'Ambient' }, {}, {})).toBeUndefined();
    expect(ambientCapture('shop', ambientNs, {}, { 'sidecar.istio.io/status': '{}' })).toBeUndefined();
  });

  it('skips only a captured pod that no webhook picks; an unknown namespace leaves the pod\'s labels to decide', () => {
    const skip = (ns: Labels | undefined, pod: Labels, byDefault = false) => ambientSkipDetail('shop', ns, pod, {}, byDefault);
    expect(skip({ 'istio.io/dataplane-mode': 'ambient' }, {})).toBeDefined();
    // Sidecar injection asked for by the namespace or the pod wins, as in the cluster.
    expect(skip({ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }, {})).toBeUndefined();
    expect(skip({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': 'canary' }, {})).toBeUndefined();
    expect(skip({ 'istio.io/dataplane-mode': 'ambient' }, { 'sidecar.istio.io/inject': 'true' })).toBeUndefined();
    expect(skip({ 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/rev': 'canary' })).toBeUndefined();
    expect(skip({ 'istio.io/dataplane-mode': 'ambient' }, {}, true)).toBeUndefined();
    // istio-injection=disabled keeps even the pod's own "true" from the webhook.
    expect(skip({ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' })).toBeDefined();
    expect(skip(undefined, {})).toBeUndefined();
    expect(skip(undefined, { 'istio.io/dataplane-mode': 'ambient' })).toBe('label istio.io/dataplane-mode: "ambient"');
    expect(skip({ 'istio-injection': 'enabled' }, { 'istio.io/dataplane-mode': 'ambient' })).toBeUndefined();
  });
});

const injector = await defaultInjector();
const withLabels = (labels: Record<string, Labels>): Injector => ({ ...injector, leaveAmbientPods: true, namespaceLabels: new Map(Object.entries(labels)) });

const deployment = (name: string, namespace: string, podLabels: Labels = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
${Object.entries(podLabels).map(([k, v]) => `        ${k}: "${v}"\n`).join('')}    spec:
      containers:
      - name: ${name}
        image: docker.io/library/nginx:1.27
`;

const reportOf = (out: ReturnType<typeof injectFile>) => out.workloads.map((w) => `${w.name} ${w.action}${w.reason ? `: ${w.reason}` : ''}`);

describe('kube-inject in ambient namespaces', () => {
  it('skips captured pods with the reason, leaves their documents byte for byte, and injects the rest', () => {
    const text = [
      deployment('web', 'shop'),
      deployment('legacy', 'shop', { 'sidecar.istio.io/inject': 'true' }),
      deployment('opted-out', 'shop', { 'istio.io/dataplane-mode': 'none' }),
      deployment('batch', 'jobs'),
      deployment('solo', 'jobs', { 'istio.io/dataplane-mode': 'ambient' }),
    ].join('---\n');
    const out = injectFile(withLabels({ shop: { 'istio.io/dataplane-mode': 'ambient' }, jobs: {} }), text, 'app.yaml');
    expect(reportOf(out)).toStrictEqual([
      'shop/web skipped: in ambient mode (namespace "shop" labelled istio.io/dataplane-mode=ambient)',
      'shop/legacy injected',
      'shop/opted-out injected',
      'jobs/batch injected',
      'jobs/solo skipped: in ambient mode (label istio.io/dataplane-mode: "ambient")',
    ]);
    const docs = out.output.split('---\n');
    expect(docs[0]).toBe(deployment('web', 'shop'));
    expect(docs[4]).toBe(deployment('solo', 'jobs', { 'istio.io/dataplane-mode': 'ambient' }));
    expect(parse(docs[1]!).spec.template.spec.containers.map((c: { name: string }) => c.name)).toStrictEqual(['legacy', 'istio-proxy']);
  });

  it('lets the sidecar injection labels of the namespace win, and re-injects a pod that already has a sidecar', () => {
    const both = withLabels({ shop: { 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' } });
    expect(reportOf(injectFile(both, deployment('web', 'shop'), 'a.yaml'))).toStrictEqual(['shop/web injected']);

    const injected = injectFile(injector, deployment('web', 'shop'), 'a.yaml').output;
    expect(injected).toContain('istio-proxy');
    const ambient = withLabels({ shop: { 'istio.io/dataplane-mode': 'ambient' } });
    expect(reportOf(injectFile(ambient, injected, 'a.yaml'))).toStrictEqual(['shop/web unchanged']);
  });

  it('is kube-inject\'s rule only: run as istiod\'s webhook (the API server already chose the pod), the engine injects', () => {
    const labelled = deployment('solo', 'shop', { 'istio.io/dataplane-mode': 'ambient' });
    expect(injector.leaveAmbientPods).toBe(false);
    expect(reportOf(injectFile(injector, labelled, 'a.yaml'))).toStrictEqual(['shop/solo injected']);
    expect(reportOf(injectFile(withLabels({}), labelled, 'a.yaml'))).toStrictEqual(['shop/solo skipped: in ambient mode (label istio.io/dataplane-mode: "ambient")']);
  });

  it('reads the labels of Namespace documents in any input file (and in Lists); without them only the pod labels count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-ambient-inject-'));
    const ns = join(dir, 'namespace.yaml');
    const app = join(dir, 'app.yaml');
    writeFileSync(ns, 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n    labels:\n      istio.io/dataplane-mode: ambient\n');
    writeFileSync(app, `${deployment('web', 'shop')}---\n${deployment('solo', 'jobs', { 'istio.io/dataplane-mode': 'ambient' })}---\n${deployment('api', 'jobs')}`);

    const r = await run(['kube-inject', '-f', app, '-f', ns]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe([
      'deployment "shop/web" skipped: in ambient mode (namespace "shop" labelled istio.io/dataplane-mode=ambient)',
      'deployment "jobs/solo" skipped: in ambient mode (label istio.io/dataplane-mode: "ambient")',
      'deployment "jobs/api" injected',
      '',
    ].join('\n'));

    const alone = await run(['kube-inject', '-f', app]);
    expect(alone.code).toBe(0);
    expect(alone.stderr.split('\n').slice(0, 2)).toStrictEqual([
      'deployment "shop/web" injected',
      'deployment "jobs/solo" skipped: in ambient mode (label istio.io/dataplane-mode: "ambient")',
    ]);

    // A JSON Namespace counts too.
    const json = join(dir, 'namespace.json');
    writeFileSync(json, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } }, null, 2));
    const fromJson = await run(['kube-inject', '-f', json, '-f', app]);
    expect(fromJson.stderr.split('\n')[0]).toBe('deployment "shop/web" skipped: in ambient mode (namespace "shop" labelled istio.io/dataplane-mode=ambient)');
    // The Namespace document itself passes through unchanged.
    expect(fromJson.stdout.startsWith(readFileSync(json, 'utf8'))).toBe(true);
  });

  it('reports a syntax error of the file holding Namespaces at its position, as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-ambient-bad-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: Namespace\nmetadata: {name: shop\n');
    const r = await run(['kube-inject', '-f', bad]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^Error: .*bad\.yaml:\d+:\d+: /);
  });
});
