/**
 * The checks `tag set|generate` runs before writing (per Istio 1.30.3 istioctl/pkg/tag/generate.go),
 * on an in-memory cluster: what is refused, what `generate`, `--overwrite` and the `default` tag
 * relax, and what the plan will deactivate or delete.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { planRevisionTag, tagConflicts, type TagRequest } from '../../src/kube/revision-tags.js';
import type { KubeClient, ListOptions, ObjectRef } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { RenderAssets } from '../../src/render/config.js';
import { rendered } from '../install/support.js';
import { testDeps } from '../helpers.js';

/** Returns true when `labels` satisfy a selector of `key`, `key=value` and `!key` terms. */
function selects(selector: string | undefined, labels: Record<string, string>): boolean {
  return (selector ?? '').split(',').filter(Boolean).every((term) => {
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

/** A read-only cluster of `objects` (list by kind, namespace and label selector; get by name). */
function memoryCluster(objects: K8sObject[]): KubeClient {
  const matches = (o: K8sObject, kind: string, ns?: string) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns);
  return {
    async get(ref: ObjectRef) {
      return objects.find((o) => matches(o, ref.kind, ref.namespace) && o.metadata.name === ref.name);
    },
    async *list(_apiVersion: string, kind: string, opts: ListOptions = {}) {
      for (const o of objects) if (matches(o, kind, opts.namespace) && selects(opts.labelSelector, o.metadata.labels ?? {})) yield o;
    },
  } as unknown as KubeClient;
}

let assets: RenderAssets;
let stable: K8sObject[];
let defaultRevision: K8sObject[];

/** The injector webhook configuration and istiod Service of a revision, as `install` renders them. */
async function revisionObjects(argv: string[]): Promise<K8sObject[]> {
  const objs = (await rendered(['--set', 'profile=minimal', ...argv])) as unknown as K8sObject[];
  return objs.filter((o) => (o.kind === 'MutatingWebhookConfiguration') || (o.kind === 'Service' && o.metadata.labels?.app === 'istiod'));
}

beforeAll(async () => {
  assets = await loadAssets(testDeps().deps);
  stable = await revisionObjects(['-r', 'stable']);
  defaultRevision = await revisionObjects([]);
});

const request = (tag: string, revision: string, more: Partial<TagRequest> = {}): TagRequest =>
  ({ tag, revision, istioNamespace: 'istio-system', overwrite: false, autoInjectNamespaces: false, generate: false, ...more });

describe('planRevisionTag', () => {
  it('refuses a tag named like a revision, unless --overwrite, generate or the default tag', async () => {
    const client = memoryCluster([...stable, ...defaultRevision]);
    await expect(planRevisionTag(client, assets, request('stable', 'stable'))).rejects.toThrow('cannot create revision tag "stable": found existing control plane revision with same name');
    await expect(planRevisionTag(client, assets, request('stable', 'stable', { overwrite: true }))).resolves.toBeDefined();
    await expect(planRevisionTag(client, assets, request('stable', 'stable', { generate: true }))).resolves.toBeDefined();
    await expect(planRevisionTag(client, assets, request('default', 'stable'))).resolves.toBeDefined();
  });

  it('refuses a revision that is not there, or that has two injector configurations', async () => {
    await expect(planRevisionTag(memoryCluster(stable), assets, request('prod', 'canary')))
      .rejects.toThrow('cannot modify tag: cannot find MutatingWebhookConfiguration or Service with revision "canary"');
    const second = structuredClone(stable.find((o) => o.kind === 'MutatingWebhookConfiguration')!);
    second.metadata.name = 'another-injector';
    await expect(planRevisionTag(memoryCluster([...stable, second]), assets, request('prod', 'stable')))
      .rejects.toThrow('cannot modify tag: found multiple canonical webhooks or services with revision "stable"');
    const onlyService = stable.filter((o) => o.kind === 'Service');
    await expect(planRevisionTag(memoryCluster(onlyService), assets, request('prod', 'stable')))
      .rejects.toThrow('found no MutatingWebhookConfiguration of revision "stable" (only its Service istiod-stable)');
  });

  it('refuses an existing tag without --overwrite, by its webhook configuration or by its Service alone', async () => {
    const tagged = (await planRevisionTag(memoryCluster(stable), assets, request('prod', 'stable'))).objects;
    for (const existing of [tagged.webhook, tagged.service]) {
      await expect(planRevisionTag(memoryCluster([...stable, existing]), assets, request('prod', 'stable')))
        .rejects.toThrow('revision tag "prod" already exists, and --overwrite is false');
    }
    const moved = await planRevisionTag(memoryCluster([...stable, tagged.webhook]), assets, request('prod', 'stable', { overwrite: true, webhookName: 'prod-injector' }));
    expect(moved.stale).toEqual(['istio-revision-tag-prod']);
  });

  it('deactivates the default revision\'s injector for the default tag on set, not on generate', async () => {
    const client = memoryCluster([...stable, ...defaultRevision]);
    const set = await planRevisionTag(client, assets, request('default', 'stable'));
    expect(set.deactivate.map((o) => o.metadata.name)).toEqual(['istio-sidecar-injector']);
    expect(set.objects.validator?.metadata.name).toBe('istiod-default-validator');
    // As they will be, the two injectors do not overlap; the default revision's as it is now does.
    expect(await tagConflicts(client, set)).toEqual([]);
    const generated = await planRevisionTag(client, assets, request('default', 'stable', { generate: true }));
    expect(generated.deactivate).toEqual([]);
    const conflicts = await tagConflicts(client, generated);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(conflicts.every((f) => f.type.code === 'IST0139' && f.resource?.name === 'istio-revision-tag-default')).toBe(true);
    expect(conflicts.map((f) => f.message).join('\n')).toContain('istio-sidecar-injector/namespace.sidecar-injector.istio.io');
  });
});
