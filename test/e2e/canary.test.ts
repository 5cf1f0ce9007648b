/**
 * Istio's canary upgrade end to end, as a user runs it with the built `bin/meshctl` and the kubectl
 * of the same Kubernetes release, against the real control plane with the webhook stand-in
 * injecting as istiod of the dialed revision would (test/control-plane/injection.ts):
 * install revision stable (Istio 1.29.2 images) → Bookinfo in a namespace labelled for stable,
 * injected by the API server's call to istiod-stable → install revision canary (1.30.3) → tag prod →
 * stable → move the namespace to the tag → tag prod → canary with --overwrite → restart the
 * workloads: the new Pods get canary's sidecars → version shows the move → analyze → uninstall
 * stable (a dry run before the move warns about Bookinfo and the tag) → tag remove (refused while the namespace uses the tag, then with -y) → what a namespace
 * whose tag is gone gets, and the fix → final state read with kubectl.
 *
 * The steps share one cluster, so they run in order in one describe block.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { eventually } from './support.js';

const bin = join(repoRoot, 'bin/meshctl');
const KUBECTL = process.env.MESHCTL_KUBECTL || kubectlPath();
/** Upstream's Bookinfo sample (samples/bookinfo/platform/kube/bookinfo.yaml), as copied into the test data. */
const BOOKINFO_YAML = join(repoRoot, 'test/testdata/analyze/output/bookinfo/bookinfo.yaml');
const BOOKINFO = ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3'];
const NS = 'bookinfo';
/** The older release the stable revision runs (`--set tag=`), so that the move shows in versions. */
const STABLE_VERSION = '1.29.2';
const CANARY_VERSION = '1.30.3';

let cp: ControlPlane;
let dir: string;
let env: Record<string, string>;

function meshctl(...args: string[]) {
  // No terminal on stdin, as in a script: prompts refuse instead of asking.
  return execa(bin, args, { env, reject: false, timeout: 120_000, stdin: 'ignore' });
}

function kubectl(...args: string[]) {
  return execa(KUBECTL, ['--cache-dir', join(dir, 'kube-cache'), ...args], { env, reject: false, timeout: 120_000 });
}

async function kubectlJson<T>(...args: string[]): Promise<T> {
  const r = await kubectl(...args, '-o', 'json');
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

type Container = { name: string; image?: string };
type Pod = KObject & { spec: { containers: Container[]; initContainers?: Container[] }; status?: { phase?: string } };

/** A Pod's sidecar as the cluster stores it: revision from istiod's status annotation, proxy image. */
function sidecarOf(pod: Pod): { revision: string; image: string } | undefined {
  const status = pod.metadata.annotations?.['sidecar.istio.io/status'];
  const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === 'istio-proxy');
  if (!status || !proxy) return undefined;
  return { revision: (JSON.parse(status) as { revision: string }).revision, image: proxy.image ?? '' };
}

/** The Bookinfo Pods kubectl lists that are not being deleted. */
async function bookinfoPods(): Promise<Pod[]> {
  const list = await kubectlJson<{ items: Pod[] }>('get', 'pods', '-n', NS);
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Waits until exactly one live Pod per Bookinfo Deployment exists, every one with `revision`'s sidecar. */
async function waitForBookinfoOn(revision: string, version: string): Promise<Pod[]> {
  let pods: Pod[] = [];
  const ok = await eventually(async () => {
    const all = (await kubectl('get', 'pods', '-n', NS, '-o', 'json'));
    if (all.exitCode !== 0) return false;
    // Old Pods must be gone, not only Terminating: version counts every Pod it lists.
    pods = (JSON.parse(all.stdout) as { items: Pod[] }).items;
    return pods.length === BOOKINFO.length && pods.every((p) => !p.metadata.deletionTimestamp && sidecarOf(p)?.revision === revision);
  }, 90_000);
  expect(ok, JSON.stringify(pods.map((p) => [p.metadata.name, sidecarOf(p), p.metadata.deletionTimestamp ?? '']))).toBe(true);
  expect(pods.map((p) => p.metadata.labels?.app ? `${p.metadata.labels.app}-${p.metadata.labels.version}` : '').sort()).toEqual(BOOKINFO);
  for (const p of pods) expect(sidecarOf(p), p.metadata.name).toEqual({ revision, image: `docker.io/istio/proxyv2:${version}` });
  return pods;
}

/** The comma-separated entries of a `version` line (`1.30.3 (revision canary, tag: prod), ...`), sorted. */
function entries(stdout: string, line: 'control plane version' | 'data plane version'): string[] {
  const found = stdout.split('\n').find((l) => l.startsWith(`${line}: `));
  expect(found, stdout).toBeDefined();
  return found!.slice(line.length + 2).split(/(?<=\)), /).sort();
}

async function namesOf(kind: string, namespace?: string): Promise<string[]> {
  const list = await kubectlJson<{ items: KObject[] }>('get', kind, ...(namespace ? ['-n', namespace] : []));
  return list.items.map((o) => o.metadata.name).sort();
}

describe('canary upgrade from revision stable to canary with the revision tag prod (bin/meshctl + kubectl)', () => {
  beforeAll(async () => {
    cp = await startControlPlane({ readyDelayMs: 0, injection: true });
    dir = await mkdtemp(join(tmpdir(), 'meshctl-canary-'));
    env = { KUBECONFIG: cp.kubeconfigPath, NO_COLOR: '1', HOME: dir, PATH: process.env.PATH ?? '' };
  });
  afterAll(async () => {
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`installs revision stable at Istio ${STABLE_VERSION}`, async () => {
    const r = await meshctl('install', '--set', 'profile=minimal', '-r', 'stable', '--set', `tag=${STABLE_VERSION}`, '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    const istiod = await kubectlJson<KObject>('get', 'deployment', 'istiod-stable', '-n', 'istio-system');
    const containers = (istiod.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
    expect(containers.map((c) => c.image)).toEqual([`docker.io/istio/pilot:${STABLE_VERSION}`]);
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-sidecar-injector-stable']);
  });

  it('runs Bookinfo in a namespace labelled for stable: the API server calls istiod-stable, which injects its sidecar', async () => {
    for (const args of [['create', 'namespace', NS], ['label', 'namespace', NS, 'istio.io/rev=stable']]) {
      const k = await kubectl(...args);
      expect(k.exitCode, k.stderr).toBe(0);
    }
    // The upstream sample as it is: no kube-inject, the webhook injects.
    const applied = await kubectl('apply', '-n', NS, '-f', BOOKINFO_YAML);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const wait = await kubectl('wait', '--for=condition=Available', 'deployment', '--all', '-n', NS, '--timeout=90s');
    expect(wait.exitCode, wait.stderr).toBe(0);
    await waitForBookinfoOn('stable', STABLE_VERSION);
    const creates = cp.admissions.filter((a) => a.kind === 'Pod' && a.namespace === NS);
    expect(creates.length).toBe(BOOKINFO.length);
    for (const a of creates) expect(a, a.name).toMatchObject({ serverName: 'istiod-stable.istio-system.svc', revision: 'stable' });
  });

  it(`installs revision canary at Istio ${CANARY_VERSION} beside it, changing nothing of stable`, async () => {
    const before = await kubectlJson<KObject>('get', 'mutatingwebhookconfiguration', 'istio-sidecar-injector-stable');
    const r = await meshctl('install', '--set', 'profile=minimal', '-r', 'canary', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    // The install says it makes a canary upgrade from stable and what finishes it.
    const note = r.stderr.split('\n').find((l) => l.startsWith(`Warning: revision "canary" gets Istio ${CANARY_VERSION} beside revision "stable" at ${STABLE_VERSION}: a canary upgrade.`));
    expect(note, r.stderr).toBeDefined();
    expect(note).toMatch(/meshctl tag set <tag> -r canary --overwrite.*meshctl uninstall -r stable$/);
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-sidecar-injector-canary', 'istio-sidecar-injector-stable']);
    const after = await kubectlJson<KObject>('get', 'mutatingwebhookconfiguration', 'istio-sidecar-injector-stable');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await namesOf('deployments', 'istio-system'))).toEqual(['istiod-canary', 'istiod-stable']);
    // Bookinfo keeps running on stable.
    await waitForBookinfoOn('stable', STABLE_VERSION);
  });

  it('tags stable as prod and moves the namespace to the tag, still on stable', async () => {
    const r = await meshctl('tag', 'set', 'prod', '-r', 'stable');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Revision tag "prod" created, referencing control plane revision "stable".');
    const tag = await kubectlJson<KObject>('get', 'mutatingwebhookconfiguration', 'istio-revision-tag-prod');
    expect(tag.metadata.labels).toMatchObject({ 'istio.io/tag': 'prod', 'istio.io/rev': 'stable' });
    // The tag's webhooks call the revision's istiod.
    for (const w of (tag as unknown as { webhooks: { clientConfig: { service: { name: string; namespace: string } } }[] }).webhooks) {
      expect(w.clientConfig.service).toMatchObject({ name: 'istiod-stable', namespace: 'istio-system' });
    }
    const label = await kubectl('label', 'namespace', NS, 'istio.io/rev=prod', '--overwrite');
    expect(label.exitCode, label.stderr).toBe(0);

    const list = await meshctl('tag', 'list');
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/))).toEqual([['TAG', 'REVISION', 'NAMESPACES'], ['prod', 'stable', NS]]);

    // A Pod created now goes through the tag's webhook to istiod-stable.
    const restart = await kubectl('rollout', 'restart', 'deployment', 'details-v1', '-n', NS);
    expect(restart.exitCode, restart.stderr).toBe(0);
    await waitForBookinfoOn('stable', STABLE_VERSION);
    const details = cp.admissions.filter((a) => a.kind === 'Pod' && a.namespace === NS && a.name.startsWith('details-v1-'));
    expect(details.length).toBe(2);
    expect(details[1]).toMatchObject({ serverName: 'istiod-stable.istio-system.svc', revision: 'stable' });
  });

  it('reports both revisions and the tag while the proxies are on stable', async () => {
    const r = await meshctl('version');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(entries(r.stdout, 'control plane version')).toEqual([`${STABLE_VERSION} (revision stable, tag: prod)`, `${CANARY_VERSION} (revision canary)`]);
    expect(entries(r.stdout, 'data plane version')).toEqual([`${STABLE_VERSION} (6 proxies, revision stable)`]);
  });

  it('warns before stable is uninstalled while Bookinfo still runs on it (dry run: nothing deleted)', async () => {
    const r = await meshctl('uninstall', '-r', 'stable', '--dry-run');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Deployment/istio-system/istiod-stable');
    expect(r.stdout).not.toContain('canary');
    // istioctl's warning about the proxies, then the namespaces that reach stable through the tag, and the tag itself.
    const lines = r.stderr.split('\n');
    const at = lines.indexOf('There are still 6 proxies pointing to the control plane revision stable:');
    expect(at, r.stderr).toBeGreaterThanOrEqual(0);
    expect(lines.slice(at + 1, at + 7).map((l) => /^ {2}bookinfo\/(\S+)-[a-z0-9]+-[a-z0-9]+$/.exec(l)?.[1]).sort()).toEqual(BOOKINFO);
    expect(r.stderr).toContain('Namespaces using revision tag prod, which points at revision stable: bookinfo;');
    expect(r.stderr).toContain('Revision tag prod points at revision stable and will be left dangling: point it at another revision (meshctl tag set <tag> -r <other> --overwrite) or remove it (meshctl tag remove <tag>).');
    expect(r.stderr).toContain('Dry run: nothing was deleted');
    expect(await namesOf('deployments', 'istio-system')).toEqual(['istiod-canary', 'istiod-stable']);
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-revision-tag-prod', 'istio-sidecar-injector-canary', 'istio-sidecar-injector-stable']);
  });

  it('moves the tag to canary with --overwrite; restarted workloads get canary\'s sidecars', async () => {
    const refused = await meshctl('tag', 'set', 'prod', '-r', 'canary');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('revision tag "prod" already exists, and --overwrite is false');
    const r = await meshctl('tag', 'set', 'prod', '-r', 'canary', '--overwrite');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Revision tag "prod" created, referencing control plane revision "canary".');
    const tag = await kubectlJson<KObject>('get', 'mutatingwebhookconfiguration', 'istio-revision-tag-prod');
    expect(tag.metadata.labels?.['istio.io/rev']).toBe('canary');

    // Nothing moves until the workloads restart: Pods are injected when they are created.
    expect((await bookinfoPods()).map((p) => sidecarOf(p)?.revision)).toEqual(BOOKINFO.map(() => 'stable'));
    // analyze says which Pods still run stable while the namespace selects canary through the tag (Info).
    const pending = await meshctl('analyze', '-n', NS);
    expect(pending.exitCode, pending.stderr).toBe(0);
    const mismatches = pending.stdout.split('\n').filter((l) => l.startsWith('Info [MSH0005] (Pod bookinfo/'));
    expect(mismatches.map((l) => /\(Pod bookinfo\/(\S+)-[a-z0-9]+-[a-z0-9]+\)/.exec(l)?.[1]).sort()).toEqual(BOOKINFO);
    for (const l of mismatches) {
      expect(l).toContain('The pod runs the sidecar of revision "stable", but namespace bookinfo selects revision "canary" (istio.io/rev=prod, tag "prod")');
      expect(l).toMatch(/restarting the workload moves it there: kubectl rollout restart deployment\/\S+ -n bookinfo$/);
    }
    expect(pending.stdout.split('\n').filter((l) => /^(Error|Warning|Info) \[/.test(l))).toHaveLength(BOOKINFO.length);
    const seen = cp.admissions.length;
    const restart = await kubectl('rollout', 'restart', 'deployment', '-n', NS);
    expect(restart.exitCode, restart.stderr).toBe(0);
    for (const name of BOOKINFO) {
      const s = await kubectl('rollout', 'status', `deployment/${name}`, '-n', NS, '--timeout=90s');
      expect(s.exitCode, `${name}: ${s.stderr}`).toBe(0);
    }
    await waitForBookinfoOn('canary', CANARY_VERSION);
    const creates = cp.admissions.slice(seen).filter((a) => a.kind === 'Pod' && a.namespace === NS);
    expect(creates.length).toBe(BOOKINFO.length);
    for (const a of creates) expect(a, a.name).toMatchObject({ serverName: 'istiod-canary.istio-system.svc', revision: 'canary' });
  });

  it('version shows the proxies moved to canary, with the tag', async () => {
    const r = await meshctl('version');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(entries(r.stdout, 'control plane version')).toEqual([`${STABLE_VERSION} (revision stable)`, `${CANARY_VERSION} (revision canary, tag: prod)`]);
    expect(entries(r.stdout, 'data plane version')).toEqual([`${CANARY_VERSION} (6 proxies, revision canary)`]);
    const json = JSON.parse((await meshctl('version', '-o', 'json')).stdout) as { dataPlaneVersion: { ID: string; IstioVersion: string; Revision: string }[] };
    expect(json.dataPlaneVersion.map((p) => [p.IstioVersion, p.Revision])).toEqual(BOOKINFO.map(() => [CANARY_VERSION, 'canary']));
  });

  it('analyzes the namespace clean after the move (no Pod left on another revision)', async () => {
    const r = await meshctl('analyze', '-n', NS);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).not.toMatch(/Error|Warning/);
  });

  it('uninstalls stable: only its objects go, nothing is left on it', async () => {
    const r = await meshctl('uninstall', '-r', 'stable', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    // No namespace, proxy or tag was left on stable, so nothing is warned about.
    expect(r.stderr).not.toMatch(/Warning|still/i);
    expect(await eventually(async () => (await namesOf('deployments', 'istio-system')).join() === 'istiod-canary')).toBe(true);
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-revision-tag-prod', 'istio-sidecar-injector-canary']);
    expect((await namesOf('services', 'istio-system')).filter((n) => n.includes('stable'))).toEqual([]);
    expect((await namesOf('configmaps', 'istio-system')).filter((n) => n.includes('stable'))).toEqual([]);
    await waitForBookinfoOn('canary', CANARY_VERSION);
    const v = await meshctl('version');
    expect(entries(v.stdout, 'control plane version')).toEqual([`${CANARY_VERSION} (revision canary, tag: prod)`]);
    expect(entries(v.stdout, 'data plane version')).toEqual([`${CANARY_VERSION} (6 proxies, revision canary)`]);
  });

  it('refuses to remove the tag while the namespace uses it, and removes it with -y', async () => {
    const refused = await meshctl('tag', 'remove', 'prod');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`1 namespace(s) still injected by tag "prod": ${NS}`);
    expect(refused.stderr).toContain('-y');
    expect(await namesOf('mutatingwebhookconfigurations')).toContain('istio-revision-tag-prod');

    const r = await meshctl('tag', 'remove', 'prod', '-y');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Revision tag prod removed');
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-sidecar-injector-canary']);
    expect((await namesOf('services', 'istio-system')).filter((n) => n.includes('revision-tag'))).toEqual([]);
    const list = await meshctl('tag', 'list');
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stderr).toContain('No Istio revision tags found.');
  });

  it('a namespace still labelled for the removed tag gets no sidecar and a warning from analyze; relabelled for canary it is injected again', async () => {
    // No webhook selects istio.io/rev=prod any more: the API server calls none.
    const seen = cp.admissions.length;
    const run = await kubectl('run', 'untagged', '-n', NS, '--image=example.test/untagged:1', '--labels=app=untagged,version=v1');
    expect(run.exitCode, run.stderr).toBe(0);
    const untagged = await kubectlJson<Pod>('get', 'pod', 'untagged', '-n', NS);
    expect(sidecarOf(untagged)).toBeUndefined();
    expect(cp.admissions.slice(seen).filter((a) => a.kind === 'Pod')).toEqual([]);
    // analyze warns about the label, naming what exists and the fix; a Warning fails only at that threshold.
    const dangling = await meshctl('analyze', '-n', NS);
    expect(dangling.exitCode, dangling.stderr).toBe(0);
    expect(dangling.stdout.split('\n').filter((l) => /^(Error|Warning|Info) \[/.test(l))).toEqual([
      'Warning [MSH0004] (Namespace bookinfo) The namespace label istio.io/rev=prod selects "prod", which is neither a control plane revision nor a revision tag (revisions [canary], tags []): pods created in namespace bookinfo start without a sidecar. Point it at one that exists: kubectl label namespace bookinfo istio.io/rev=canary --overwrite',
    ]);
    expect((await meshctl('analyze', '-n', NS, '--failure-threshold', 'Warning')).exitCode).toBe(79);

    const label = await kubectl('label', 'namespace', NS, 'istio.io/rev=canary', '--overwrite');
    expect(label.exitCode, label.stderr).toBe(0);
    const again = await kubectl('run', 'relabelled', '-n', NS, '--image=example.test/relabelled:1', '--labels=app=relabelled,version=v1');
    expect(again.exitCode, again.stderr).toBe(0);
    const relabelled = await kubectlJson<Pod>('get', 'pod', 'relabelled', '-n', NS);
    expect(sidecarOf(relabelled)).toEqual({ revision: 'canary', image: `docker.io/istio/proxyv2:${CANARY_VERSION}` });
    for (const name of ['untagged', 'relabelled']) {
      const d = await kubectl('delete', 'pod', name, '-n', NS, '--wait=true');
      expect(d.exitCode, d.stderr).toBe(0);
    }
  });

  it('ends with canary alone, Bookinfo on it, and a clean analysis', async () => {
    const ns = await kubectlJson<KObject>('get', 'namespace', NS);
    expect(ns.metadata.labels?.['istio.io/rev']).toBe('canary');
    expect(await namesOf('mutatingwebhookconfigurations')).toEqual(['istio-sidecar-injector-canary']);
    expect(await namesOf('deployments', 'istio-system')).toEqual(['istiod-canary']);
    const pods = await waitForBookinfoOn('canary', CANARY_VERSION);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    const v = await meshctl('version');
    expect(v.exitCode, v.stderr).toBe(0);
    expect(entries(v.stdout, 'control plane version')).toEqual([`${CANARY_VERSION} (revision canary)`]);
    expect(entries(v.stdout, 'data plane version')).toEqual([`${CANARY_VERSION} (6 proxies, revision canary)`]);
    const a = await meshctl('analyze', '-n', NS);
    expect(a.exitCode, `${a.stdout}\n${a.stderr}`).toBe(0);
    expect(a.stdout).not.toMatch(/Error|Warning/);
  });
});
