/**
 * Revision tag objects as Istio 1.30.3's `istioctl tag generate` makes them
 * (istioctl/pkg/tag/generate.go): checked against upstream's facts, from a revision's injector
 * configuration as `install -r` renders it, with what istiod writes later (caBundle) added.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { tagTable } from '../../src/cli/tag-impl.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { RenderAssets } from '../../src/render/config.js';
import { deactivatedWebhook, NEVER_MATCH, renderRevisionTag, tagWebhookSource, type RevisionTagOptions } from '../../src/render/revision-tag.js';
import { rendered } from '../install/support.js';
import { run, testDeps } from '../helpers.js';

let assets: RenderAssets;
let stable: K8sObject;
let defaultRevision: K8sObject;
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nstable\n-----END CERTIFICATE-----\n').toString('base64');

/** The revision's injector configuration as the cluster holds it once istiod ran: its CA written in, a custom path, an annotation. */
function asInCluster(wh: K8sObject, path = '/inject/cluster/c1/net/n1'): K8sObject {
  const out = structuredClone(wh);
  out.metadata.annotations = { 'example.com/owner': 'platform' };
  out.webhooks = (out.webhooks as any[]).map((w) => ({ ...w, reinvocationPolicy: 'IfNeeded', clientConfig: { ...w.clientConfig, caBundle: CA, service: { ...w.clientConfig.service, path } } }));
  return out;
}

async function injector(argv: string[], name: string): Promise<K8sObject> {
  const objs = await rendered(['--set', 'profile=minimal', ...argv]);
  const wh = objs.find((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.name === name);
  if (!wh) throw new Error(`no ${name}`);
  return wh as unknown as K8sObject;
}

beforeAll(async () => {
  assets = await loadAssets(testDeps().deps);
  stable = asInCluster(await injector(['-r', 'stable'], 'istio-sidecar-injector-stable'));
  defaultRevision = asInCluster(await injector([], 'istio-sidecar-injector'), '/inject');
});

const opts = (tag: string, more: Partial<RevisionTagOptions> = {}): RevisionTagOptions => ({ tag, autoInjectNamespaces: false, userManaged: true, istioNamespace: 'istio-system', ...more });
const hooks = (o: K8sObject): any[] => o.webhooks as any[];

describe('tagWebhookSource', () => {
  it('takes the injector webhook\'s client config, reinvocation policy, labels but app, and annotations', () => {
    const s = tagWebhookSource(stable);
    expect(s).toMatchObject({ revision: 'stable', service: 'istiod-stable', url: '', path: '/inject/cluster/c1/net/n1', caBundle: CA, reinvocationPolicy: 'IfNeeded', annotations: { 'example.com/owner': 'platform' } });
    expect(s.labels['istio.io/rev']).toBe('stable');
    expect(s.labels).not.toHaveProperty('app');
  });

  it('reads the default revision as the empty revision', () => {
    expect(tagWebhookSource(defaultRevision)).toMatchObject({ revision: '', service: 'istiod' });
  });

  it('refuses a configuration without a sidecar-injector webhook or revision label', () => {
    const none = { ...structuredClone(stable), webhooks: [{ name: 'validation.example.com' }] } as K8sObject;
    expect(() => tagWebhookSource(none)).toThrow(/could not find a sidecar-injector webhook in MutatingWebhookConfiguration "istio-sidecar-injector-stable"/);
    const unlabelled = structuredClone(stable);
    delete unlabelled.metadata.labels!['istio.io/rev'];
    expect(() => tagWebhookSource(unlabelled)).toThrow(/no istio.io\/rev label/);
  });
});

describe('renderRevisionTag', () => {
  it('makes istio-revision-tag-<tag>: tag and revision labels, no installer labels, the revision\'s client config', () => {
    const { webhook, validator, service } = renderRevisionTag(assets, tagWebhookSource(stable), opts('prod'));
    expect(validator).toBeUndefined();
    expect(webhook).toMatchObject({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-revision-tag-prod' } });
    const labels = webhook.metadata.labels!;
    expect(labels).toMatchObject({ 'istio.io/tag': 'prod', 'istio.io/rev': 'stable', app: 'sidecar-injector' });
    // UserManaged: every label containing operator.istio.io goes.
    expect(Object.keys(labels).filter((k) => k.includes('operator.istio.io'))).toEqual([]);
    expect(webhook.metadata.annotations).toEqual({ 'example.com/owner': 'platform' });
    expect(hooks(webhook).map((w) => w.name)).toEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
    for (const w of hooks(webhook)) {
      expect(w.clientConfig).toEqual({ caBundle: CA, service: { name: 'istiod-stable', namespace: 'istio-system', path: '/inject/cluster/c1/net/n1', port: 443 } });
      expect(w.reinvocationPolicy).toBe('IfNeeded');
      expect(w.failurePolicy).toBe('Fail');
    }
    // Namespaces and pods select the tag, not the revision.
    expect(hooks(webhook)[0].namespaceSelector.matchExpressions).toContainEqual({ key: 'istio.io/rev', operator: 'In', values: ['prod'] });
    expect(hooks(webhook)[1].objectSelector.matchExpressions).toContainEqual({ key: 'istio.io/rev', operator: 'In', values: ['prod'] });

    expect(service.metadata).toMatchObject({ name: 'istiod-revision-tag-prod', namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/tag': 'prod', 'istio.io/rev': 'stable' } });
    expect(Object.keys(service.metadata.labels!).filter((k) => k.includes('operator.istio.io'))).toEqual([]);
    expect((service.spec as any).selector).toEqual({ app: 'istiod', 'istio.io/rev': 'stable' });
    expect((service.spec as any).ports.find((p: any) => p.port === 443)).toMatchObject({ name: 'https-webhook', targetPort: 15017 });
  });

  it('keeps the installer labels for a tag the installer makes (not user-managed)', () => {
    const { webhook } = renderRevisionTag(assets, tagWebhookSource(stable), opts('prod', { userManaged: false }));
    expect(webhook.metadata.labels).toHaveProperty('operator.istio.io/component', 'Pilot');
  });

  it('names the webhook configuration after --webhook-name', () => {
    expect(renderRevisionTag(assets, tagWebhookSource(stable), opts('prod', { webhookName: 'my-tag' })).webhook.metadata.name).toBe('my-tag');
  });

  it('puts the Service into another Istio namespace and suffixes the webhook configuration with it, as the chart does', () => {
    const { webhook, service } = renderRevisionTag(assets, tagWebhookSource(stable), opts('prod', { istioNamespace: 'mesh' }));
    expect(webhook.metadata.name).toBe('istio-revision-tag-prod-mesh');
    expect(service.metadata.namespace).toBe('mesh');
    expect(hooks(webhook)[0].clientConfig.service.namespace).toBe('mesh');
  });

  it('copies a URL client config (a remote injector)', () => {
    const remote = structuredClone(stable);
    remote.webhooks = hooks(remote).map((w) => ({ ...w, clientConfig: { url: 'https://istiod.example.com:15017/inject/cluster/c1/net/n1', caBundle: CA } }));
    const { webhook, validator } = renderRevisionTag(assets, tagWebhookSource(remote), opts('default'));
    for (const w of hooks(webhook)) expect(w.clientConfig).toEqual({ url: 'https://istiod.example.com:15017/inject/cluster/c1/net/n1', caBundle: CA });
    // The validator's endpoint is the injector's with the path /validate (upstream's fixWhConfig).
    expect(hooks(validator!)[0].clientConfig).toEqual({ url: 'https://istiod.example.com:15017/validate', caBundle: CA });
  });

  it('gives the default tag the legacy webhooks and istiod-default-validator', () => {
    const { webhook, validator } = renderRevisionTag(assets, tagWebhookSource(stable), opts('default'));
    expect(webhook.metadata.name).toBe('istio-revision-tag-default');
    expect(hooks(webhook).map((w) => w.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io', 'object.sidecar-injector.istio.io',
    ]);
    expect(hooks(webhook)[2].namespaceSelector).toEqual({ matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] });
    expect(validator).toMatchObject({ kind: 'ValidatingWebhookConfiguration', metadata: { name: 'istiod-default-validator', labels: { 'istio.io/rev': 'stable', 'istio.io/tag': 'default', app: 'istiod' } } });
    expect(Object.keys(validator!.metadata.labels!).filter((k) => k.includes('operator.istio.io'))).toEqual([]);
    const [v] = hooks(validator!);
    expect(v.name).toBe('validation.istio.io');
    expect(v.clientConfig).toEqual({ caBundle: CA, service: { name: 'istiod-stable', namespace: 'istio-system', path: '/validate' } });
    expect(v.failurePolicy).toBe('Ignore');
    expect(v.objectSelector).toEqual({ matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] });
    expect(v.rules[0].apiGroups).toEqual(['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io']);
  });

  it('injects unlabelled namespaces with --auto-inject-namespaces (enableNamespacesByDefault)', () => {
    const { webhook } = renderRevisionTag(assets, tagWebhookSource(stable), opts('default', { autoInjectNamespaces: true }));
    expect(hooks(webhook).map((w) => w.name)).toContain('auto.sidecar-injector.istio.io');
  });

  it('keeps the failure policies of the cluster\'s istiod-default-validator (Fail left to the API server\'s default)', () => {
    const existing = (policy: string) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'istiod-default-validator' }, webhooks: [{ name: 'validation.istio.io', failurePolicy: policy }] }) as K8sObject;
    const failing = hooks(renderRevisionTag(assets, tagWebhookSource(stable), opts('default', { existingValidator: existing('Fail') })).validator!)[0];
    expect(failing).not.toHaveProperty('failurePolicy');
    const ignoring = hooks(renderRevisionTag(assets, tagWebhookSource(stable), opts('default', { existingValidator: existing('Ignore') })).validator!)[0];
    expect(ignoring.failurePolicy).toBe('Ignore');
  });

  it('points a tag of the default revision at istiod', () => {
    const { webhook, validator, service } = renderRevisionTag(assets, tagWebhookSource(defaultRevision), opts('default'));
    expect(webhook.metadata.labels!['istio.io/rev']).toBe('default');
    expect(hooks(webhook)[0].clientConfig.service.name).toBe('istiod');
    expect(hooks(validator!)[0].clientConfig.service.name).toBe('istiod');
    // The chart's istiod Service selects the default revision's pods by `istio: pilot`.
    expect((service.spec as any).selector).toEqual({ app: 'istiod', istio: 'pilot' });
  });
});

describe('deactivatedWebhook', () => {
  it('replaces both selectors of every webhook by one that never matches and keeps the rest', () => {
    const off = deactivatedWebhook(defaultRevision);
    expect(NEVER_MATCH).toEqual({ matchLabels: { 'istio.io/deactivated': 'never-match' } });
    expect(hooks(off).length).toBe(hooks(defaultRevision).length);
    hooks(off).forEach((w, i) => {
      expect(w.namespaceSelector).toEqual(NEVER_MATCH);
      expect(w.objectSelector).toEqual(NEVER_MATCH);
      expect(w.clientConfig).toEqual(hooks(defaultRevision)[i].clientConfig);
    });
    expect(off.metadata).toEqual(defaultRevision.metadata);
  });
});

describe('tag list table', () => {
  it('pads each column but the last to its widest cell plus one space, as tabwriter', () => {
    expect(tagTable([{ tag: 'prod', revision: 'canary-1', namespaces: ['a', 'b'] }, { tag: 'default', revision: 'stable', namespaces: [] }])).toBe(
      'TAG     REVISION NAMESPACES\n'
      + 'prod    canary-1 a,b\n'
      + 'default stable   \n');
  });
});

describe('tag flags', () => {
  it('requires --revision (64, naming it)', async () => {
    const r = await run(['tag', 'set', 'prod']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--revision');
  });

  it('refuses a tag that is not a DNS-1123 label (64)', async () => {
    const r = await run(['tag', 'generate', 'Prod_1', '-r', 'stable']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('invalid revision tag "Prod_1": must be a DNS-1123 label');
  });

  it('takes one tag (64)', async () => {
    expect((await run(['tag', 'set', '-r', 'stable'])).code).toBe(64);
    expect((await run(['tag', 'remove', 'a', 'b'])).code).toBe(64);
    expect((await run(['tag', 'list', '-o', 'xml'])).code).toBe(64);
  });
});
