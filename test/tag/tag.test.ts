/**
 * `meshctl tag` against the real test control plane (test/control-plane/), on revisions that
 * `meshctl install -r` put there. One control plane for the file; the steps run in order and share
 * its state. The API server's own webhook dispatch proves the routing: a Pod created in a namespace
 * labelled `istio.io/rev=<tag>` is sent to the revision the tag points at (the webhook stand-in
 * records the server name the API server dialled, `istiod-<revision>.istio-system.svc`).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/main.js';
import { startControlPlane, kubectlPath, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { waitFor } from '../control-plane/wait.js';
import { run, testDeps, type RunResult } from '../helpers.js';

let cp: ControlPlane;
let env: Record<string, string>;
const meshctl = (...argv: string[]): Promise<RunResult> => run(argv, { env });
const kubectl = (args: string[], input?: string) => execa(kubectlPath(), args, { env: { KUBECONFIG: cp.kubeconfigPath }, reject: false, ...(input !== undefined ? { input } : {}) });

/** Runs meshctl as if on a terminal whose user answers `answer` to every question. */
async function meshctlAnswering(answer: string, ...argv: string[]): Promise<RunResult & { questions: string[] }> {
  const { deps, out } = testDeps({ env });
  const questions: string[] = [];
  deps.stdinIsTTY = true;
  deps.prompt = async (q) => { questions.push(q); return answer; };
  const code = await main(argv, deps);
  return { code, ...out(), questions };
}

async function install(...args: string[]): Promise<void> {
  const r = await meshctl('install', '--set', 'profile=minimal', '-y', '--poll-interval', '100ms', ...args);
  expect(r.code, r.stderr).toBe(0);
}

/** Returns what `kubectl get <kind> <name> -o json --show-managed-fields` prints, parsed; undefined when kubectl says NotFound. */
async function kubectlGet(kind: string, name: string, namespace?: string): Promise<any> {
  const k = await kubectl(['get', kind, name, '-o', 'json', '--show-managed-fields', ...(namespace ? ['-n', namespace] : [])]);
  if (k.exitCode !== 0) {
    expect(k.stderr).toContain('NotFound');
    return undefined;
  }
  return JSON.parse(k.stdout);
}

async function ok(args: string[]): Promise<void> {
  const k = await kubectl(args);
  expect(k.exitCode, k.stderr).toBe(0);
}

/**
 * Creates a Pod in `namespace` through admission and returns the admission record of its
 * injection call. Retried while the API server cannot call the webhook yet (the stand-in writes
 * its CA into a new webhook configuration moments after it is created).
 */
async function admitPod(namespace: string, name: string) {
  await waitFor(`Pod ${namespace}/${name} admitted`, async () => {
    const r = await cp.rest.request(`/api/v1/namespaces/${namespace}/pods`, { method: 'POST', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'example.test/c:1' }] } } });
    return r.status === 201;
  }, 60_000);
  return cp.admissions.filter((a) => a.path === '/inject' && a.namespace === namespace && a.name === name);
}

const CA = () => Buffer.from(cp.caPem).toString('base64');
const hooks = (o: any): any[] => o.webhooks;

beforeAll(async () => {
  cp = await startControlPlane({ readyDelayMs: 0 });
  env = { KUBECONFIG: cp.kubeconfigPath };
  await install('-r', 'stable');
});
afterAll(async () => cp?.close());

describe('tag on one revision', () => {
  it('finds no tags in a cluster that has none', async () => {
    expect(await meshctl('tag', 'list')).toStrictEqual({ code: 0, stdout: '', stderr: 'No Istio revision tags found.\n' });
    expect(JSON.parse((await meshctl('tag', 'list', '-o', 'json')).stdout)).toStrictEqual([]);
  });

  it('refuses a revision that does not exist and a tag named like an existing revision (exit 1)', async () => {
    const missing = await meshctl('tag', 'set', 'prod', '-r', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot modify tag: cannot find MutatingWebhookConfiguration or Service with revision "nope"');
    const clash = await meshctl('tag', 'set', 'stable', '-r', 'stable');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('cannot create revision tag "stable": found existing control plane revision with same name');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-stable')).toBeUndefined();
  });

  it('generates objects the API server accepts (kubectl apply --dry-run=server) and writes nothing', async () => {
    const g = await meshctl('tag', 'generate', 'prod', '-r', 'stable');
    expect(g.code, g.stderr).toBe(0);
    const kinds = g.stdout.split(/^---$/m).map((d) => (parse(d) as KObject).kind);
    expect(kinds).toEqual(['MutatingWebhookConfiguration', 'Service']);
    const k = await kubectl(['apply', '--dry-run=server', '-f', '-'], g.stdout);
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stdout).toContain('mutatingwebhookconfiguration.admissionregistration.k8s.io/istio-revision-tag-prod created (server dry run)');
    expect(k.stdout).toContain('service/istiod-revision-tag-prod created (server dry run)');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod')).toBeUndefined();
  });

  it('sets a tag: the webhook configuration from the revision\'s own, and the tag Service', async () => {
    const r = await meshctl('tag', 'set', 'prod', '-r', 'stable');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Revision tag "prod" created, referencing control plane revision "stable". To enable injection using this\n'
      + 'revision tag, use \'kubectl label namespace <NAMESPACE> istio.io/rev=prod\'\n');

    const wh = await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod');
    const own = await kubectlGet('mutatingwebhookconfiguration', 'istio-sidecar-injector-stable');
    expect(wh.metadata.labels).toMatchObject({ 'istio.io/tag': 'prod', 'istio.io/rev': 'stable', app: 'sidecar-injector' });
    expect(Object.keys(wh.metadata.labels).filter((k: string) => k.includes('operator.istio.io'))).toEqual([]);
    expect(wh.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toContain('meshctl/Apply');
    expect(hooks(wh).map((w) => w.name)).toEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
    for (const w of hooks(wh)) {
      const { caBundle: _ca, ...clientConfig } = w.clientConfig;
      const { caBundle: _ownCa, ...ownClientConfig } = hooks(own)[0].clientConfig;
      expect(clientConfig).toEqual(ownClientConfig);
      expect(clientConfig.service).toMatchObject({ name: 'istiod-stable', namespace: 'istio-system', path: '/inject' });
      expect(w.reinvocationPolicy).toBe(hooks(own)[0].reinvocationPolicy);
    }
    expect(hooks(wh)[0].namespaceSelector.matchExpressions).toContainEqual({ key: 'istio.io/rev', operator: 'In', values: ['prod'] });
    // Copied from the revision's webhook, or written by the istiod stand-in like any istiod* webhook.
    await waitFor('the tag webhook\'s caBundle', async () => hooks(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod')).every((w) => w.clientConfig.caBundle === CA()));

    const svc = await kubectlGet('service', 'istiod-revision-tag-prod', 'istio-system');
    expect(svc.metadata.labels).toMatchObject({ 'istio.io/tag': 'prod', 'istio.io/rev': 'stable', app: 'istiod' });
    expect(svc.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': 'stable' });
  });

  it('refuses to set an existing tag without --overwrite (exit 1)', async () => {
    const r = await meshctl('tag', 'set', 'prod', '-r', 'stable');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('revision tag "prod" already exists, and --overwrite is false');
  });

  it('lists the tag with the namespaces that use it, as a table, JSON and YAML', async () => {
    await ok(['create', 'namespace', 'shop']);
    await ok(['label', 'namespace', 'shop', 'istio.io/rev=prod']);
    await ok(['create', 'namespace', 'cart']);
    await ok(['label', 'namespace', 'cart', 'istio.io/rev=prod']);
    expect(await meshctl('tag', 'list')).toStrictEqual({ code: 0, stdout: 'TAG  REVISION NAMESPACES\nprod stable   cart,shop\n', stderr: '' });
    expect((await meshctl('tag', 'show')).stdout).toBe('TAG  REVISION NAMESPACES\nprod stable   cart,shop\n');
    const expected = [{ tag: 'prod', revision: 'stable', namespaces: ['cart', 'shop'] }];
    expect(JSON.parse((await meshctl('tag', 'list', '-o', 'json')).stdout)).toStrictEqual(expected);
    expect(parse((await meshctl('tag', 'list', '-o', 'yaml')).stdout)).toStrictEqual(expected);
  });

  it('routes a namespace labelled with the tag to the revision\'s istiod (the API server dials istiod-stable)', async () => {
    const records = await admitPod('shop', 'p1');
    expect(records.map((a) => a.serverName)).toEqual(['istiod-stable.istio-system.svc']);
  });
});

describe('tag across revisions', () => {
  beforeAll(async () => {
    await install('-r', 'canary');
  });

  it('moves a tag to another revision with --overwrite, and the API server follows it', async () => {
    const refused = await meshctl('tag', 'set', 'prod', '-r', 'canary');
    expect(refused.code).toBe(1);
    const r = await meshctl('tag', 'set', 'prod', '-r', 'canary', '--overwrite');
    expect(r.code, r.stderr).toBe(0);
    const wh = await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod');
    expect(wh.metadata.labels['istio.io/rev']).toBe('canary');
    for (const w of hooks(wh)) expect(w.clientConfig.service.name).toBe('istiod-canary');
    expect((await kubectlGet('service', 'istiod-revision-tag-prod', 'istio-system')).spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    expect((await meshctl('tag', 'list')).stdout).toBe('TAG  REVISION NAMESPACES\nprod canary   cart,shop\n');
    // The webhook configuration was updated in place: the API server may still dispatch with the
    // one it read before, so wait for the new one.
    await waitFor('a Pod in shop sent to istiod-canary', async () => {
      const name = `p-${Date.now()}`;
      const records = await admitPod('shop', name);
      return records.some((a) => a.serverName === 'istiod-canary.istio-system.svc');
    }, 60_000);
    const records = await admitPod('shop', 'p2');
    expect(records.map((a) => a.serverName)).toEqual(['istiod-canary.istio-system.svc']);
  });

  it('asks before setting a tag whose webhook overlaps another injector, and refuses without a terminal', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'rogue-injector' },
      webhooks: [{
        name: 'rogue.sidecar-injector.istio.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Ignore',
        clientConfig: { service: { name: 'istiod-stable', namespace: 'istio-system', path: '/inject' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['qa'] }] },
      }],
    }));
    const refused = await meshctl('tag', 'set', 'qa', '-r', 'stable');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error [IST0139] (MutatingWebhookConfiguration istio-revision-tag-qa) Webhook overlaps with others: [rogue-injector/rogue.sidecar-injector.istio.io]');
    expect(refused.stderr).toContain('pass -y');
    const declined = await meshctlAnswering('n', 'tag', 'set', 'qa', '-r', 'stable');
    expect(declined.code).toBe(1);
    expect(declined.questions).toEqual(['Apply anyways? [y/N] ']);
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-qa')).toBeUndefined();
    const forced = await meshctl('tag', 'set', 'qa', '-r', 'stable', '-y');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('[IST0139]');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-qa')).toBeDefined();
    await ok(['delete', 'mutatingwebhookconfiguration', 'rogue-injector']);
    expect((await meshctl('tag', 'remove', 'qa')).code).toBe(0);
  });

  it('replaces a tag\'s webhook configuration of another name when moving it (no stale injector left behind)', async () => {
    expect((await meshctl('tag', 'set', 'beta', '-r', 'stable')).code).toBe(0);
    // The old configuration would overlap the new one; it is about to go, so no conflict is asked about.
    const r = await meshctl('tag', 'set', 'beta', '-r', 'canary', '--overwrite', '--webhook-name', 'beta-injector');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('IST0139');
    expect(r.stderr).toContain('Removed MutatingWebhookConfiguration istio-revision-tag-beta');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-beta')).toBeUndefined();
    const wh = await kubectlGet('mutatingwebhookconfiguration', 'beta-injector');
    expect(wh.metadata.labels).toMatchObject({ 'istio.io/tag': 'beta', 'istio.io/rev': 'canary' });
    expect(JSON.parse((await meshctl('tag', 'list', '-o', 'json')).stdout).filter((t: any) => t.tag === 'beta')).toStrictEqual([{ tag: 'beta', revision: 'canary', namespaces: [] }]);
    const removed = await meshctl('tag', 'remove', 'beta');
    expect(removed.code, removed.stderr).toBe(0);
    expect(await kubectlGet('mutatingwebhookconfiguration', 'beta-injector')).toBeUndefined();
  });

  it('sets the default tag: istiod-default-validator, and the default revision\'s own injector deactivated', async () => {
    await install();
    const before = await kubectlGet('mutatingwebhookconfiguration', 'istio-sidecar-injector');
    expect(before.metadata.labels['istio.io/rev']).toBe('default');
    const r = await meshctl('tag', 'set', 'default', '-r', 'stable');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Deactivated the default revision\'s own injection webhooks in MutatingWebhookConfiguration istio-sidecar-injector');

    const wh = await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-default');
    expect(hooks(wh).map((w) => w.name)).toEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io', 'object.sidecar-injector.istio.io']);
    const vwc = await kubectlGet('validatingwebhookconfiguration', 'istiod-default-validator');
    expect(vwc.metadata.labels).toMatchObject({ 'istio.io/rev': 'stable', 'istio.io/tag': 'default' });
    expect(hooks(vwc)[0].clientConfig.service).toMatchObject({ name: 'istiod-stable', namespace: 'istio-system', path: '/validate' });

    // Kept, but matching nothing (upstream's util.NeverMatch).
    const after = await kubectlGet('mutatingwebhookconfiguration', 'istio-sidecar-injector');
    expect(hooks(after).length).toBe(hooks(before).length);
    for (const w of hooks(after)) {
      expect(w.namespaceSelector).toEqual({ matchLabels: { 'istio.io/deactivated': 'never-match' } });
      expect(w.objectSelector).toEqual({ matchLabels: { 'istio.io/deactivated': 'never-match' } });
    }
    // istio-injection=enabled now goes to the revision the default tag names.
    await ok(['create', 'namespace', 'legacy']);
    await ok(['label', 'namespace', 'legacy', 'istio-injection=enabled']);
    expect((await admitPod('legacy', 'p3')).map((a) => a.serverName)).toEqual(['istiod-stable.istio-system.svc']);
    expect((await meshctl('tag', 'list')).stdout).toBe('TAG     REVISION NAMESPACES\nprod    canary   cart,shop\ndefault stable   legacy\n');
    // What generate prints for the default tag (validator included) is accepted by the API server as well.
    const g = await meshctl('tag', 'generate', 'default', '-r', 'canary', '--overwrite');
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.split(/^---$/m).map((d) => (parse(d) as KObject).kind)).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Service']);
    const k = await kubectl(['apply', '--dry-run=server', '-f', '-'], g.stdout);
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stdout).toContain('validatingwebhookconfiguration.admissionregistration.k8s.io/istiod-default-validator configured (server dry run)');
  });
});

describe('tag remove', () => {
  it('refuses without a terminal while namespaces use the tag, naming them (exit 1)', async () => {
    const r = await meshctl('tag', 'remove', 'prod');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot remove tag "prod": found 2 namespace(s) still injected by tag "prod": cart shop');
    expect(r.stderr).toContain('Pass -y (--skip-confirmation)');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod')).toBeDefined();
  });

  it('asks on a terminal, naming the namespaces; "no" keeps the tag (exit 1)', async () => {
    const r = await meshctlAnswering('n', 'tag', 'delete', 'prod');
    expect(r.code).toBe(1);
    expect(r.questions).toEqual(['Caution, found 2 namespace(s) still injected by tag "prod": cart shop\nProceed with operation? [y/N] ']);
    expect(await kubectlGet('service', 'istiod-revision-tag-prod', 'istio-system')).toBeDefined();
  });

  it('removes the webhook configuration and Service with -y', async () => {
    const r = await meshctl('tag', 'remove', 'prod', '-y');
    expect(r).toStrictEqual({ code: 0, stdout: '', stderr: 'Revision tag prod removed\n' });
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-prod')).toBeUndefined();
    expect(await kubectlGet('service', 'istiod-revision-tag-prod', 'istio-system')).toBeUndefined();
    const again = await meshctl('tag', 'remove', 'prod');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot remove tag "prod": cannot find MutatingWebhookConfiguration or Service for tag');
  });

  it('removes the default tag, saying what it leaves as it was: the validator and the deactivated default injector', async () => {
    const refused = await meshctl('tag', 'remove', 'default');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('found 1 namespace(s) still injected by tag "default": legacy');
    const r = await meshctl('tag', 'remove', 'default', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('Revision tag default removed\n'
      + 'Note: ValidatingWebhookConfiguration istiod-default-validator stays (validating for revision "stable").\n'
      + 'Note: the default revision\'s MutatingWebhookConfiguration istio-sidecar-injector stays deactivated: namespaces labelled '
      + 'istio-injection=enabled get no sidecar until a default tag is set again.\n');
    expect(await kubectlGet('mutatingwebhookconfiguration', 'istio-revision-tag-default')).toBeUndefined();
    expect(await kubectlGet('service', 'istiod-revision-tag-default', 'istio-system')).toBeUndefined();
    expect(await kubectlGet('validatingwebhookconfiguration', 'istiod-default-validator')).toBeDefined();
    expect(await meshctl('tag', 'list')).toStrictEqual({ code: 0, stdout: '', stderr: 'No Istio revision tags found.\n' });
  });
});
