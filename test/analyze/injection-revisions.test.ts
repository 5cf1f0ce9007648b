/**
 * The revision analyzers' messages and positions (the grid in grid-revisions.ts checks codes and
 * origins): what the user reads must name the label, the revisions and tags that exist, and the
 * command that fixes it.
 */
import { describe, expect, it } from 'vitest';
import { restartCommand } from '../../src/analyze/analyzers/injection-revision-pod.js';
import { friendlyName, type Resource } from '../../src/analyze/resource.js';
import { analyzeTestFiles } from './harness.js';

const FILES = ['injection-revisions-control-plane.yaml', 'injection-revisions.yaml'];

async function findings(files: string[], analyzer: string) {
  const r = await analyzeTestFiles(files, [analyzer]);
  return Object.fromEntries(r.findings.map((f) => [friendlyName(f.resource!), { message: f.message, path: f.path, at: `${f.position?.line}:${f.position?.column}` }]));
}

describe('injection.NamespaceRevisionAnalyzer', () => {
  it('names the label, what exists and the relabel command', async () => {
    const f = await findings(FILES, 'injection.NamespaceRevisionAnalyzer');
    expect(f['Namespace on-gone']).toStrictEqual({
      message: 'The namespace label istio.io/rev=gone selects "gone", which is neither a control plane revision nor a revision tag (revisions [canary stable], tags [prod]): pods created in namespace on-gone start without a sidecar. Point it at one that exists: kubectl label namespace on-gone istio.io/rev=<revision-or-tag> --overwrite',
      path: ['metadata', 'labels', 'istio.io/rev'], at: '25:19',
    });
    expect(f['Namespace legacy-enabled']!.message).toContain('The namespace label istio-injection=enabled selects "default", which is neither');
    expect(f['Namespace legacy-enabled']!.message).toContain('kubectl label namespace legacy-enabled istio-injection- istio.io/rev=<revision-or-tag>, or make the default tag point at a revision: meshctl tag set default --revision <revision>');
  });

  it('names the one existing revision in the command when there is only one', async () => {
    const r = await analyzeTestFiles(['injection-revisions.yaml', 'injection-revisions-default.yaml'], ['injection.NamespaceRevisionAnalyzer']);
    // With only the default revision, stable, canary and the tag prod are missing too.
    expect(r.findings.map((f) => f.message.split('Point it at one that exists: ')[1]).sort()).toStrictEqual([
      'kubectl label namespace on-gone istio.io/rev=default --overwrite',
      'kubectl label namespace on-prod istio.io/rev=default --overwrite',
      'kubectl label namespace on-stable istio.io/rev=default --overwrite',
    ]);
  });
});

describe('injection.PodRevisionAnalyzer', () => {
  it('says which revision the pod runs, which its namespace selects and through what, and how to restart it', async () => {
    const f = await findings(FILES, 'injection.PodRevisionAnalyzer');
    expect(f['Pod on-prod/reviews-v1-7d9f6c8b4-x2x7k']).toStrictEqual({
      message: 'The pod runs the sidecar of revision "stable", but namespace on-prod selects revision "canary" (istio.io/rev=prod, tag "prod"); restarting the workload moves it there: kubectl rollout restart deployment/reviews-v1 -n on-prod',
      path: ['metadata', 'annotations', 'sidecar.istio.io/status'], at: '70:30',
    });
    expect(f['Pod on-stable/db-0']!.path).toStrictEqual(['metadata', 'annotations', 'istio.io/rev']);
    expect(f['Pod on-stable/db-0']!.message).toContain('kubectl rollout restart statefulset/db -n on-stable');
    expect(f['Pod on-stable/bare']!.path).toStrictEqual(['metadata', 'labels', 'istio.io/rev']);
    expect(f['Pod on-stable/bare']!.message).toContain('revision "old", which is no longer installed, but namespace on-stable selects revision "stable" (istio.io/rev=stable)');
    expect(f['Pod on-stable/bare']!.message).toContain('kubectl delete pod bare -n on-stable, then create it again');
  });

  it('names the default revision for istio-injection=enabled without a default tag', async () => {
    const f = await findings(['injection-revisions-default.yaml'], 'injection.PodRevisionAnalyzer');
    expect(f['Pod classic/leftover']!.message).toContain('namespace classic selects revision "default" (istio-injection=enabled, the default revision)');
  });

  it('restarts a Deployment only when the ReplicaSet name ends in the pod-template-hash', () => {
    const pod = (labels: Record<string, string>, ownerReferences: unknown[]): Resource => ({
      key: 'Pod', group: '', version: 'v1', kind: 'Pod', namespace: 'shop', name: 'p',
      object: { metadata: { name: 'p', namespace: 'shop', labels, ownerReferences } },
    });
    expect(restartCommand(pod({ 'pod-template-hash': 'abc' }, [{ kind: 'ReplicaSet', name: 'web-abc', controller: true }]))).toBe('kubectl rollout restart deployment/web -n shop');
    // A ReplicaSet made by hand: deleting the pod lets it create a new one.
    expect(restartCommand(pod({}, [{ kind: 'ReplicaSet', name: 'web', controller: true }]))).toBe('kubectl delete pod p -n shop');
    expect(restartCommand(pod({}, [{ kind: 'Job', name: 'once', controller: true }]))).toBe('kubectl delete pod p -n shop');
    expect(restartCommand(pod({}, []))).toBe('kubectl delete pod p -n shop, then create it again');
  });
});
