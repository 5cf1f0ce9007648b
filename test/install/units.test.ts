// Pure parts of the installer: readiness rules, version-skew warnings, apply outcomes, the live
// diff, the confirmation prompt and the plain progress output.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/manifest/objects.js';
import { readinessOf } from '../../src/kube/readiness.js';
import { classifyApply, fingerprint, versionWarnings } from '../../src/kube/install.js';
import { istiodVersion } from '../../src/kube/installed-versions.js';
import { diffLive, withoutServerFields } from '../../src/kube/live-diff.js';
import { confirm, ConfirmationRequiredError } from '../../src/cli/prompt.js';
import { createProgress } from '../../src/output/progress.js';
import { testDeps } from '../helpers.js';

function obj(kind: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): K8sObject {
  return { apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: { name: 'x', namespace: 'ns', ...meta }, ...extra } as K8sObject;
}

describe('readinessOf', () => {
  const rows: [string, K8sObject, string | undefined][] = [
    ['CRD without Established', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a' }, status: { conditions: [{ type: 'NamesAccepted', status: 'True' }] } }, 'not established'],
    ['CRD Established', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a' }, status: { conditions: [{ type: 'Established', status: 'True' }] } }, undefined],
    ['Namespace Terminating', obj('Namespace', { status: { phase: 'Terminating' } }), 'namespace is Terminating'],
    ['Namespace Active', obj('Namespace', { status: { phase: 'Active' } }), undefined],
    ['Deployment without status', obj('Deployment', { spec: { replicas: 1 } }, { generation: 1 }), 'waiting for the controller to observe the new generation'],
    ['Deployment not ready', obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 1, updatedReplicas: 2, readyReplicas: 1 } }, { generation: 1 }), '1/2 replicas ready'],
    ['Deployment old generation', obj('Deployment', { spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, readyReplicas: 1 } }, { generation: 2 }), 'waiting for the controller to observe the new generation'],
    ['Deployment ready (replicas default 1)', obj('Deployment', { spec: {}, status: { observedGeneration: 3, updatedReplicas: 1, readyReplicas: 1 } }, { generation: 3 }), undefined],
    ['DaemonSet with nothing scheduled', obj('DaemonSet', { status: { observedGeneration: 1, desiredNumberScheduled: 0 } }, { generation: 1 }), 'no pods scheduled'],
    ['DaemonSet ready', obj('DaemonSet', { status: { observedGeneration: 1, desiredNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1 } }, { generation: 1 }), undefined],
    // istioctl's daemonsetsReady (wait.go, Istio 1.30.3): the generation must be observed exactly, then ready >= desired > 0 and updated == desired.
    ['DaemonSet old generation', obj('DaemonSet', { status: { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 } }, { generation: 2 }), 'waiting for the controller to observe the new generation'],
    ['DaemonSet with a pod not ready', obj('DaemonSet', { status: { observedGeneration: 2, desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2 } }, { generation: 2 }), '1/2 pods ready'],
    ['DaemonSet rolling out', obj('DaemonSet', { spec: { updateStrategy: { type: 'RollingUpdate' } }, status: { observedGeneration: 2, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 1 } }, { generation: 2 }), '1/2 pods updated'],
    ['DaemonSet OnDelete with nothing scheduled', obj('DaemonSet', { spec: { updateStrategy: { type: 'OnDelete' } }, status: { observedGeneration: 1, desiredNumberScheduled: 0 } }, { generation: 1 }), undefined],
    ['DaemonSet OnDelete not updated', obj('DaemonSet', { spec: { updateStrategy: { type: 'OnDelete' } }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 0, updatedNumberScheduled: 1 } }, { generation: 1 }), '1/2 pods updated'],
    ['StatefulSet with a partition', obj('StatefulSet', { spec: { replicas: 3, updateStrategy: { rollingUpdate: { partition: 2 } } }, status: { observedGeneration: 1, updatedReplicas: 1, readyReplicas: 3 } }, { generation: 1 }), undefined],
    ['ConfigMap', obj('ConfigMap'), undefined],
  ];
  it.each(rows)('%s', (_name, o, want) => {
    expect(readinessOf(o)).toBe(want);
  });
});

describe('versionWarnings', () => {
  it('says nothing for a fresh install or the same version', () => {
    expect(versionWarnings('install', undefined, '1.30.3', 'x')).toEqual([]);
    expect(versionWarnings('upgrade', '1.30.3', '1.30.3', 'x')).toEqual([]);
    expect(versionWarnings('install', '1.30.3', '1.30.3', 'x', { revision: '', others: [{ revision: 'canary', version: '1.30.3' }] })).toEqual([]);
  });
  it('notes an upgrade and a downgrade like istioctl', () => {
    expect(versionWarnings('install', '1.29.1', '1.30.3', 'x')).toEqual(['Istio is being upgraded from 1.29.1 to 1.30.3.']);
    expect(versionWarnings('install', '1.31.0', '1.30.3', 'x')[0]).toBe('Istio is being downgraded from 1.31.0 to 1.30.3.');
  });
  it('warns when an in-place upgrade (install or upgrade) skips a minor version, naming the canary commands', () => {
    for (const command of ['upgrade', 'install'] as const) {
      const w = versionWarnings(command, '1.28.2', '1.30.3', 'x', { revision: '', others: [] });
      expect(w).toHaveLength(2);
      expect(w[1]).toMatch(/^upgrading from 1\.28\.2 to 1\.30\.3 skips 1 minor version: /);
      expect(w[1]).toMatch(/Upgrade to 1\.29 first/);
      expect(w[1]).toContain('meshctl install -r 1-30-3');
      expect(w[1]).toContain('meshctl tag set <tag> -r 1-30-3 --overwrite');
      expect(w[1]).toContain('kubectl label namespace <namespace> istio.io/rev=1-30-3 istio-injection- --overwrite');
      expect(w[1]).toContain('meshctl uninstall -r default');
    }
    // A named revision upgraded in place: its own name is the one to remove, and no legacy label to drop.
    const w = versionWarnings('upgrade', '1.27.0', '1.30.3', 'x', { revision: 'stable', others: [] });
    expect(w[1]).toMatch(/skips 2 minor versions: .*meshctl uninstall -r stable/);
    expect(w[1]).not.toContain('istio-injection-');
  });
  it('warns across a minor downgrade and, for upgrade, when nothing is installed', () => {
    expect(versionWarnings('upgrade', '1.31.1', '1.30.3', 'x')[1]).toMatch(/outside Istio's supported upgrade policy/);
    expect(versionWarnings('upgrade', undefined, '1.30.3', 'revision "canary"')[0]).toMatch(/no installation recorded for revision "canary"/);
  });
  it('says what a revision installed beside another version makes: a canary upgrade, within the skew policy, with the commands', () => {
    const w = versionWarnings('install', undefined, '1.30.3', 'revision "canary"', { revision: 'canary', others: [{ revision: 'default', version: '1.28.2' }, { revision: 'same', version: '1.30.3' }] });
    expect(w).toEqual(['revision "canary" gets Istio 1.30.3 beside revision "default" at 1.28.2: a canary upgrade. '
      + 'Each proxy must stay within Istio\'s skew policy against the istiod that serves it (at most one minor version behind, never ahead); '
      + 'how many minor versions a canary upgrade may span is stated in https://istio.io/latest/docs/setup/upgrade/canary/. '
      + 'Move namespaces with meshctl tag set <tag> -r canary --overwrite or kubectl label namespace <namespace> istio.io/rev=canary --overwrite, '
      + 'restart their workloads, then remove the old control plane: meshctl uninstall -r default']);
    expect(versionWarnings('install', undefined, '1.30.3', 'x', { revision: 'old', others: [{ revision: 'new', version: '1.31.0' }] })[0])
      .toMatch(/beside revision "new" at 1\.31\.0: moving workloads to it from "new" is a downgrade\. .*then remove the revision "new": meshctl uninstall -r new$/);
  });
});

describe('istiodVersion', () => {
  const istiod = (image: string, labels: Record<string, string> = {}): K8sObject => obj('Deployment', { spec: { template: { spec: { containers: [{ name: 'discovery', image }] } } } }, { labels });
  it('reads the discovery image tag, else the operator.istio.io/version label', () => {
    expect(istiodVersion(istiod('docker.io/istio/pilot:1.29.2-distroless', { 'operator.istio.io/version': '1.28.0' }))).toBe('1.29.2');
    expect(istiodVersion(istiod(`docker.io/istio/pilot@sha256:${'a'.repeat(64)}`, { 'operator.istio.io/version': '1.28.0' }))).toBe('1.28.0');
    expect(istiodVersion(istiod('registry.example:5000/istio/pilot:latest', { 'operator.istio.io/version': '1.28.0' }))).toBe('1.28.0');
    expect(istiodVersion(istiod('docker.io/istio/pilot:latest'))).toBeUndefined();
    expect(istiodVersion(obj('Deployment', { spec: { template: { spec: { containers: [{ name: 'other', image: 'pilot:1.2.3' }] } } } }))).toBeUndefined();
  });
});

describe('classifyApply', () => {
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', resourceVersion: '7' }, data: { a: '1' } } as K8sObject;
  it('is unchanged when the resourceVersion is the recorded one', () => {
    expect(classifyApply(base, { resourceVersion: '7' })).toBe('unchanged');
  });
  it('is unchanged when only server-populated fields moved (status writes bump resourceVersion)', () => {
    const later = { ...base, metadata: { ...base.metadata, resourceVersion: '9' }, status: { phase: 'x' } } as K8sObject;
    expect(classifyApply(later, { resourceVersion: '7', fingerprint: fingerprint(base) })).toBe('unchanged');
  });
  it('is configured when the content differs from the record', () => {
    const changed = { ...base, metadata: { ...base.metadata, resourceVersion: '9' }, data: { a: '2' } } as K8sObject;
    expect(classifyApply(changed, { resourceVersion: '7', fingerprint: fingerprint(base) })).toBe('configured');
  });
  it('without a record: created, or configured when another manager wrote it too', () => {
    expect(classifyApply({ ...base, metadata: { ...base.metadata, managedFields: [{ manager: 'meshctl', operation: 'Apply' }] } } as K8sObject, undefined)).toBe('created');
    expect(classifyApply({ ...base, metadata: { ...base.metadata, managedFields: [{ manager: 'kubectl', operation: 'Apply' }, { manager: 'meshctl', operation: 'Apply' }] } } as K8sObject, undefined)).toBe('configured');
  });
});

describe('diffLive', () => {
  const live = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name: 'd', namespace: 'n', uid: 'u', resourceVersion: '5', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'meshctl' }], annotations: { 'deployment.kubernetes.io/revision': '2' },
    },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'a:1' }] } } },
    status: { readyReplicas: 1 },
  } as unknown as K8sObject;
  it('shows only the changed field, none of the server-populated ones', () => {
    const after = structuredClone(live) as any;
    after.spec.replicas = 2;
    after.metadata.resourceVersion = '6';
    after.metadata.managedFields = [{ manager: 'meshctl', time: 'later' }];
    const d = diffLive(live, after);
    expect(d.change).toBe('change');
    expect(d.key).toBe('Deployment/n/d');
    expect(d.patch).toMatch(/^--- live\/Deployment\/n\/d\n\+\+\+ after\/Deployment\/n\/d\n/);
    const changed = d.patch.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual(['-  replicas: 1', '+  replicas: 2']);
    expect(d.patch).not.toMatch(/managedFields|resourceVersion|readyReplicas|uid|deployment\.kubernetes\.io/);
  });
  it('is unchanged when only server fields differ, and shows creations and prunes whole', () => {
    const after = structuredClone(live) as any;
    after.metadata.resourceVersion = '99';
    after.status = { readyReplicas: 0 };
    expect(diffLive(live, after)).toEqual({ key: 'Deployment/n/d', change: 'unchanged', patch: '' });
    expect(diffLive(undefined, live).patch).toMatch(/^--- \/dev\/null\n\+\+\+ after\/Deployment\/n\/d/);
    expect(diffLive(live, undefined).change).toBe('prune');
  });
  it('drops an annotations map emptied of bookkeeping', () => {
    expect(withoutServerFields(live)!.metadata.annotations).toBeUndefined();
  });
});

describe('confirm', () => {
  it('refuses without a terminal, naming -y', async () => {
    const { deps } = testDeps();
    await expect(confirm(deps, 'Proceed? (y/N)')).rejects.toThrow(ConfirmationRequiredError);
    await expect(confirm(deps, 'Proceed? (y/N)')).rejects.toThrow(/pass -y/);
  });
  it('asks again on unclear answers; y/yes agree, n/empty/end of input decline', async () => {
    const { deps } = testDeps();
    const answers = ['maybe', 'YES'];
    const asked: string[] = [];
    deps.stdinIsTTY = true;
    deps.prompt = async (q) => { asked.push(q); return answers.shift(); };
    expect(await confirm(deps, 'Proceed? (y/N)')).toBe(true);
    expect(asked).toEqual(['Proceed? (y/N) ', 'Proceed? (y/N) ']);
    for (const [a, want] of [['n', false], ['', false], [undefined, false], ['y', true]] as const) {
      deps.prompt = async () => a;
      expect(await confirm(deps, 'q')).toBe(want);
    }
  });
});

describe('progress without a terminal', () => {
  it('prints each new status once as a plain line, no escape codes', () => {
    let text = '';
    const p = createProgress({ write: (s) => { text += s; }, isTTY: false }, { interactive: true, color: true });
    p.status('Processing resources for Istiod.');
    p.status('Processing resources for Istiod.');
    p.status('Processing resources for Istiod. Waiting for Deployment/istio-system/istiod');
    p.line('✔ Istiod installed');
    p.stop();
    expect(text).toBe('- Processing resources for Istiod.\n- Processing resources for Istiod. Waiting for Deployment/istio-system/istiod\n✔ Istiod installed\n');
  });
  it('draws a spinner on a terminal and keeps persistent lines', () => {
    let text = '';
    const p = createProgress({ write: (s) => { text += s; }, isTTY: true }, { interactive: true, color: false });
    p.status('Waiting for Deployment/istio-system/istiod');
    p.line('✔ Istio core installed');
    p.stop();
    expect(text).toContain('Waiting for Deployment/istio-system/istiod');
    expect(text).toContain('✔ Istio core installed\n');
    expect(text).toMatch(/\x1b\[/);
  });
});
