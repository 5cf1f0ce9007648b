/**
 * Revision resolution (src/analyze/util/revisions.ts) over the labels Istio 1.30.3 puts on
 * revision and tag objects: the injector webhook `istio-sidecar-injector[-<rev>]` labelled
 * `istio.io/rev`, the tag webhook `istio-revision-tag-<tag>` labelled `istio.io/tag` and
 * `istio.io/rev`, the istiod Services (app=istiod) and the tag Services `istiod-revision-tag-<tag>`.
 */
import { describe, expect, it } from 'vitest';
import { hasInjectorWebhooks, namespaceSelection, resolveRevision, revisionStateOf, tagsOf } from '../../src/analyze/util/revisions.js';

const o = (name: string, labels: Record<string, string>) => ({ name, labels });
const webhooks = [
  o('istio-sidecar-injector', { app: 'sidecar-injector', 'istio.io/rev': 'default' }),
  o('istio-sidecar-injector-canary', { app: 'sidecar-injector', 'istio.io/rev': 'canary' }),
  o('istio-revision-tag-prod', { 'istio.io/rev': 'canary', 'istio.io/tag': 'prod' }),
  o('other-vendor', { app: 'something' }),
];
const services = [
  o('istiod', { app: 'istiod', 'istio.io/rev': 'default' }),
  o('istiod-canary', { app: 'istiod', 'istio.io/rev': 'canary' }),
  o('istiod-stable', { app: 'istiod', 'istio.io/rev': 'stable' }),
  o('istiod-revision-tag-prod', { app: 'istiod', 'istio.io/rev': 'stable', 'istio.io/tag': 'prod' }),
  o('metrics', { 'istio.io/rev': 'default' }),
];

describe('revisionStateOf', () => {
  const state = revisionStateOf(webhooks, services);

  it('finds revisions from untagged webhooks and istiod Services, tags from istio.io/tag objects', () => {
    expect(state.revisions).toStrictEqual([
      { revision: 'canary', webhooks: ['istio-sidecar-injector-canary'], services: ['istiod-canary'] },
      { revision: 'default', webhooks: ['istio-sidecar-injector'], services: ['istiod'] },
      // A revision whose webhook is gone but whose istiod Service remains is still a revision (istioctl's rule).
      { revision: 'stable', webhooks: [], services: ['istiod-stable'] },
    ]);
    // The tag webhook names canary and its Service stable: the webhook decides injection.
    expect(state.tags).toStrictEqual([{ tag: 'prod', revision: 'canary', webhooks: ['istio-revision-tag-prod'], services: ['istiod-revision-tag-prod'] }]);
    expect(hasInjectorWebhooks(state)).toBe(true);
  });

  it('treats an empty istio.io/rev as the default revision and says nothing without webhooks', () => {
    const s = revisionStateOf([o('istio-sidecar-injector', { 'istio.io/rev': '' })], []);
    expect(s.revisions.map((r) => r.revision)).toStrictEqual(['default']);
    const servicesOnly = revisionStateOf([], services);
    expect(hasInjectorWebhooks(servicesOnly)).toBe(false);
    expect(hasInjectorWebhooks(revisionStateOf([], []))).toBe(false);
  });

  it('resolves tags to their revision and revisions to themselves', () => {
    expect(resolveRevision(state, 'prod')).toBe('canary');
    expect(resolveRevision(state, 'canary')).toBe('canary');
    expect(resolveRevision(state, 'gone')).toBeUndefined();
    expect(tagsOf(state, 'canary')).toStrictEqual(['prod']);
  });
});

describe('namespaceSelection', () => {
  const state = revisionStateOf(webhooks, services);
  const withDefaultTag = revisionStateOf([...webhooks, o('istio-revision-tag-default', { 'istio.io/rev': 'canary', 'istio.io/tag': 'default' })], []);
  const canaryOnly = revisionStateOf([webhooks[1]!], []);

  it('follows istio.io/rev through a tag, to a revision, or to nothing', () => {
    expect(namespaceSelection(state, { 'istio.io/rev': 'prod' })).toStrictEqual({ label: 'istio.io/rev=prod', name: 'prod', tag: 'prod', revision: 'canary' });
    expect(namespaceSelection(state, { 'istio.io/rev': 'canary' })).toStrictEqual({ label: 'istio.io/rev=canary', name: 'canary', revision: 'canary' });
    expect(namespaceSelection(state, { 'istio.io/rev': 'gone' })).toStrictEqual({ label: 'istio.io/rev=gone', name: 'gone' });
    expect(namespaceSelection(state, {})).toBeUndefined();
  });

  it('sends istio-injection=enabled to the default tag, else the default revision, whatever istio.io/rev says', () => {
    expect(namespaceSelection(state, { 'istio-injection': 'enabled', 'istio.io/rev': 'prod' }))
      .toStrictEqual({ label: 'istio-injection=enabled', name: 'default', revision: 'default' });
    expect(namespaceSelection(withDefaultTag, { 'istio-injection': 'enabled' }))
      .toStrictEqual({ label: 'istio-injection=enabled', name: 'default', tag: 'default', revision: 'canary' });
    expect(namespaceSelection(canaryOnly, { 'istio-injection': 'enabled' })).toStrictEqual({ label: 'istio-injection=enabled', name: 'default' });
  });

  it('selects nothing when istio-injection has any other value (the revision webhooks require it absent)', () => {
    expect(namespaceSelection(state, { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' })).toBeUndefined();
    expect(namespaceSelection(state, { 'istio-injection': '' })).toBeUndefined();
  });
});
