/** The pure parts of the cluster readers: image versions, proxy detection, skew policy, version choice, slimming, native-sidecar detection. */
import { describe, expect, it } from 'vitest';
import {
  chooseResources, MAX_ANNOTATION_CHARS, overlayFiles, REDACTED, slimLiveObject, versionRank,
} from '../../src/kube/live-resources.js';
import {
  clientSkewWarning, compareVersions, controlPlaneOf, countVersions, countVersionsByRevision, danglingTags, meshVersions, parseImage, proxyOf,
  proxyRevision, skewProblems, skewWarning, versionOfImage, type ControlPlaneVersion, type MeshVersions, type ProxyVersion,
} from '../../src/kube/mesh-versions.js';
import { versionLines } from '../../src/cli/version-remote.js';
import { KubeError } from '../../src/kube/errors.js';
import type { KubeClient } from '../../src/kube/types.js';
import {
  kubeletAllowsNativeSidecars, kubeletMinor, nativeSidecarMode, nativeSidecarsOnNodes, NATIVE_SIDECAR_MIN_KUBELET_MINOR,
} from '../../src/inject/native-sidecars.js';
import type { ResourceInfo } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { Resource } from '../../src/analyze/resource.js';

describe('image versions', () => {
  it.each([
    ['docker.io/istio/proxyv2:1.30.3', 'proxyv2', '1.30.3', '1.30.3'],
    ['proxyv2:1.29.1-distroless', 'proxyv2', '1.29.1-distroless', '1.29.1'],
    ['gcr.io/istio-release/pilot:1.31.0-alpha.1', 'pilot', '1.31.0-alpha.1', '1.31.0-alpha.1'],
    ['registry.local:5000/istio/proxyv2', 'proxyv2', undefined, 'unknown'],
    ['registry.local:5000/istio/proxyv2:1.30.3-debug', 'proxyv2', '1.30.3-debug', '1.30.3'],
    ['docker.io/istio/proxyv2@sha256:abcd', 'proxyv2', undefined, 'unknown'],
    ['docker.io/istio/proxyv2:1.30.3@sha256:abcd', 'proxyv2', '1.30.3', '1.30.3'],
    ['auto', 'auto', undefined, 'unknown'],
  ])('%s', (image, name, tag, version) => {
    expect(parseImage(image)).toStrictEqual({ name, tag });
    expect(versionOfImage(image)).toBe(version);
  });

  it('orders versions numerically', () => {
    expect(['1.30.3', '1.9.0', '1.30.10', 'unknown', '1.29.1'].sort(compareVersions)).toStrictEqual(['unknown', '1.9.0', '1.29.1', '1.30.3', '1.30.10']);
  });
});

const running = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
function pod(name: string, spec: object, labels: Record<string, string> = {}, status: object = running) {
  return { metadata: { name, namespace: 'ns', labels }, spec, status };
}

describe('pods', () => {
  it('reads istiod from its discovery container, only when Running and Ready', () => {
    const spec = { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.30.3' }] };
    expect(controlPlaneOf(pod('istiod-1', spec, { istio: 'pilot', 'istio.io/rev': 'canary' })))
      .toStrictEqual({ component: 'pilot', revision: 'canary', version: '1.30.3', pod: 'istiod-1.ns' });
    expect(controlPlaneOf(pod('istiod-1', spec, {}))?.revision).toBe('default');
    expect(controlPlaneOf(pod('istiod-1', spec, {}, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }))).toBeUndefined();
    expect(controlPlaneOf(pod('istiod-1', spec, {}, { phase: 'Pending' }))).toBeUndefined();
    expect(controlPlaneOf(pod('other', { containers: [{ name: 'x', image: 'pilot:1' }] }))).toBeUndefined();
  });

  it('finds sidecars, native sidecars and gateways by their proxyv2 istio-proxy container', () => {
    const proxy = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' };
    expect(proxyOf(pod('app', { containers: [{ name: 'app', image: 'app:1' }, proxy] })))
      .toStrictEqual({ id: 'app.ns', version: '1.30.3', type: 'sidecar', revision: 'default' });
    expect(proxyOf(pod('native', { initContainers: [{ ...proxy, restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'app:1' }] }, { 'istio.io/rev': 'canary' })))
      .toStrictEqual({ id: 'native.ns', version: '1.30.3', type: 'sidecar', revision: 'canary' });
    expect(proxyOf(pod('gw', { containers: [proxy] }, { istio: 'ingressgateway' }))?.type).toBe('gateway');
    expect(proxyOf(pod('egress', { containers: [proxy] }, { istio: 'egressgateway' }))?.type).toBe('gateway');
    // Not a proxy: another image under that name (an uninjected gateway template), or no istio-proxy at all.
    expect(proxyOf(pod('auto', { containers: [{ name: 'istio-proxy', image: 'auto' }] }))).toBeUndefined();
    expect(proxyOf(pod('plain', { containers: [{ name: 'app', image: 'proxyv2:1.30.3' }] }))).toBeUndefined();
    // Not connected: a pod that is not running, or is being deleted.
    expect(proxyOf(pod('pending', { containers: [proxy] }, {}, { phase: 'Pending' }))).toBeUndefined();
    expect(proxyOf({ ...pod('going', { containers: [proxy] }), metadata: { name: 'going', namespace: 'ns', deletionTimestamp: '2026-01-01T00:00:00Z' } })).toBeUndefined();
  });

  it('counts proxies per version, most common first, then newest first', () => {
    const ps = ['1.29.1', '1.30.3', '1.29.1', '1.31.0', '1.30.3', '1.28.0'].map((version) => ({ version }));
    expect(countVersions(ps)).toStrictEqual([
      { version: '1.30.3', count: 2 }, { version: '1.29.1', count: 2 }, { version: '1.31.0', count: 1 }, { version: '1.28.0', count: 1 },
    ]);
  });
});

describe('skew policy', () => {
  const cp = (version: string, revision = 'default'): ControlPlaneVersion => ({ component: 'pilot', revision, version, pod: `istiod-${revision}.istio-system` });
  const px = (id: string, version: string, revision = 'default'): ProxyVersion => ({ id, version, type: 'sidecar', revision });
  const mesh = (controlPlane: ControlPlaneVersion[], dataPlane: ProxyVersion[]): MeshVersions => ({ controlPlane, dataPlane, tags: [] });

  it('allows the control plane one minor version ahead, never behind', () => {
    expect(skewProblems(mesh([cp('1.30.3')], [px('a', '1.30.0'), px('b', '1.29.9'), px('c', 'unknown')]))).toStrictEqual([]);
    expect(skewProblems(mesh([cp('1.30.3')], [px('b', '1.28.2'), px('a', '1.28.2'), px('n', '1.31.0'), px('m', '2.0.0')]))).toStrictEqual([
      { kind: 'older', proxyVersion: '1.28.2', controlPlaneVersion: '1.30.3', revision: 'default', proxies: ['a', 'b'] },
      { kind: 'newer', proxyVersion: '1.31.0', controlPlaneVersion: '1.30.3', revision: 'default', proxies: ['n'] },
      { kind: 'newer', proxyVersion: '2.0.0', controlPlaneVersion: '1.30.3', revision: 'default', proxies: ['m'] },
    ]);
    // Nothing to judge against without a control plane.
    expect(skewProblems(mesh([], [px('a', '1.20.0')]))).toStrictEqual([]);
  });

  it('judges each proxy against its own revision, else the newest control plane', () => {
    const versions = mesh([cp('1.29.0'), cp('1.31.0', 'canary')], [px('a', '1.31.0', 'canary'), px('b', '1.31.0'), px('c', '1.30.0', 'gone')]);
    expect(skewProblems(versions)).toStrictEqual([
      { kind: 'newer', proxyVersion: '1.31.0', controlPlaneVersion: '1.29.0', revision: 'default', proxies: ['b'] },
    ]);
  });

  it('words warnings with what to do, naming at most three proxies', () => {
    const older = skewWarning({ kind: 'older', proxyVersion: '1.28.0', controlPlaneVersion: '1.30.3', revision: 'canary', proxies: ['a', 'b', 'c', 'd', 'e'] });
    expect(older).toBe('5 proxies run 1.28.0 (a, b, c, and 2 more), more than 1 minor version behind the control plane of revision canary (1.30.3); '
      + 'Istio supports the control plane at most one minor version ahead of its proxies. Restart these workloads (kubectl rollout restart deployment -n <namespace> <name>) so they get the current sidecar.');
    expect(skewWarning({ kind: 'newer', proxyVersion: '1.31.2', controlPlaneVersion: '1.30.3', revision: 'default', proxies: ['x'] }))
      .toBe('1 proxy runs 1.31.2 (x), newer than the control plane (1.30.3); Istio does not support proxies ahead of istiod. Upgrade the control plane first, or restart these workloads after pointing them at a 1.31 revision.');
  });

  it('warns when the control plane is more than one minor version from what this client installs', () => {
    expect(clientSkewWarning('1.30.3', [cp('1.29.0'), cp('1.31.1', 'canary')])).toBeUndefined();
    expect(clientSkewWarning('1.30.3', [cp('1.28.0'), cp('1.30.3', 'canary')])).toMatch(/^control plane 1\.28\.0 is more than one minor version away from Istio 1\.30\.3/);
  });
});

describe('revisions of proxies and the version lines', () => {
  const status = (revision: string) => ({ 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'], revision }) });
  const tags = new Map([['prod', 'canary'], ['default', 'stable']]);

  it('takes a proxy\'s revision from its label, else its injection status, else default; a tag label defers to the status', () => {
    expect(proxyRevision({ labels: { 'istio.io/rev': 'stable' }, annotations: status('canary') })).toBe('stable');
    expect(proxyRevision({ annotations: status('canary') })).toBe('canary');
    expect(proxyRevision({ annotations: { 'sidecar.istio.io/status': 'not json', 'istio.io/rev': 'blue' } })).toBe('blue');
    expect(proxyRevision({})).toBe('default');
    // A label naming a tag selected the tag's webhook; the status says who injected.
    expect(proxyRevision({ labels: { 'istio.io/rev': 'prod' }, annotations: status('stable') }, tags)).toBe('stable');
    expect(proxyRevision({ labels: { 'istio.io/rev': 'prod' } }, tags)).toBe('canary');
    // `default` is also the default revision's own label value (its gateways carry it).
    expect(proxyRevision({ labels: { 'istio.io/rev': 'default' } }, tags)).toBe('default');
  });

  const cp = (version: string, revision = 'default'): ControlPlaneVersion => ({ component: 'pilot', revision, version, pod: `istiod-${revision}-${version}.istio-system` });
  const px = (version: string, revision = 'default', id = `${version}-${revision}`): ProxyVersion => ({ id, version, type: 'sidecar', revision });
  const tag = (name: string, revision: string) => ({ tag: name, revision, webhooks: [`istio-revision-tag-${name}`], services: [] });

  it('counts proxies per version and revision, most first, then newest, then by revision', () => {
    expect(countVersionsByRevision([px('1.29.2', 'stable'), px('1.30.3', 'canary'), px('1.30.3', 'canary'), px('1.30.3', 'blue'), px('1.29.2', 'stable')])).toStrictEqual([
      { version: '1.30.3', revision: 'canary', count: 2 }, { version: '1.29.2', revision: 'stable', count: 2 }, { version: '1.30.3', revision: 'blue', count: 1 },
    ]);
  });

  it('keeps the short form for the default revision alone (its own default tag included), lists revisions and tags otherwise', () => {
    const only = versionLines({ controlPlane: [cp('1.30.3'), cp('1.30.3')], dataPlane: [px('1.30.3', 'default', 'a'), px('1.29.1')], tags: [tag('default', 'default')] });
    expect(only).toBe('control plane version: 1.30.3\ndata plane version: 1.30.3 (1 proxy), 1.29.1 (1 proxy)\n');
    const canary: MeshVersions = {
      controlPlane: [cp('1.29.2', 'stable'), cp('1.30.3', 'canary')],
      dataPlane: [...Array(8)].map((_, i) => px('1.30.3', 'canary', `c${i}`)).concat([...Array(3)].map((_, i) => px('1.29.2', 'stable', `s${i}`))),
      tags: [tag('default', 'canary'), tag('prod', 'canary'), tag('old', 'stable')],
    };
    expect(versionLines(canary)).toBe('control plane version: 1.29.2 (revision stable, tag: old), 1.30.3 (revision canary, tags: default, prod)\n'
      + 'data plane version: 1.30.3 (8 proxies, revision canary), 1.29.2 (3 proxies, revision stable)\n');
    // One revision asked for (-r) without tags: short again.
    expect(versionLines({ controlPlane: [cp('1.30.3', 'canary')], dataPlane: [px('1.30.3', 'canary')], tags: [], revision: 'canary' }))
      .toBe('control plane version: 1.30.3\ndata plane version: 1.30.3 (1 proxy)\n');
    // A rolling update inside one revision shows both versions.
    expect(versionLines({ controlPlane: [cp('1.30.3'), cp('1.30.2')], dataPlane: [], tags: [] }))
      .toBe('control plane version: 1.30.3 (revision default), 1.30.2 (revision default)\ndata plane version: none\n');
    expect(danglingTags(canary)).toStrictEqual([]);
    expect(danglingTags({ ...canary, controlPlane: [cp('1.30.3', 'canary')] })).toStrictEqual([{ tag: 'old', revision: 'stable' }]);
  });
});

describe('meshVersions without permission to read webhook configurations', () => {
  it('reports the versions without tags and says why', async () => {
    const istiod: K8sObject = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'istiod-1', namespace: 'istio-system', labels: { app: 'istiod', istio: 'pilot' } },
      spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.30.3' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const client = {
      async *list(_apiVersion: string, kind: string) {
        if (kind === 'MutatingWebhookConfiguration') throw new KubeError(403, 'Forbidden', 'mutatingwebhookconfigurations is forbidden: User "dev" cannot list');
        if (kind === 'Pod') yield istiod;
      },
    } as unknown as KubeClient;
    const versions = await meshVersions(client, { istioNamespace: 'istio-system' });
    expect(versions.controlPlane.map((c) => c.version)).toStrictEqual(['1.30.3']);
    expect(versions.tags).toStrictEqual([]);
    expect(versions.tagsUnknown).toBe('mutatingwebhookconfigurations is forbidden: User "dev" cannot list');
  });
});

describe('live source helpers', () => {
  it('prefers GA over beta over alpha, higher versions first', () => {
    expect(['v1alpha3', 'v1beta1', 'v2', 'v1', 'v2beta1', 'foo'].sort((a, b) => versionRank(a) - versionRank(b)))
      .toStrictEqual(['v2', 'v1', 'v2beta1', 'v1beta1', 'v1alpha3', 'foo']);
  });

  it('chooses one served version per kind and names the kinds not served', () => {
    const info = (apiVersion: string, kind: string, verbs = ['get', 'list']): ResourceInfo => ({ apiVersion, kind, plural: `${kind.toLowerCase()}s`, namespaced: true, verbs });
    const served = [info('networking.istio.io/v1alpha3', 'VirtualService'), info('networking.istio.io/v1', 'VirtualService'),
      info('networking.istio.io/v1beta1', 'VirtualService'), info('v1', 'Service'), info('v1', 'Binding', ['create'])];
    const { chosen, unserved } = chooseResources(served, ['VirtualService.networking.istio.io', 'Service', 'Binding', 'Telemetry.telemetry.istio.io', 'Service']);
    expect([...chosen].map(([k, r]) => `${k}=${r.apiVersion}`)).toStrictEqual(['VirtualService.networking.istio.io=networking.istio.io/v1', 'Service=v1']);
    expect(unserved).toStrictEqual(['Binding', 'Telemetry.telemetry.istio.io']);
  });

  it('slims objects: server bookkeeping, big foreign annotations and secret values go, Istio annotations stay', () => {
    const long = 'y'.repeat(MAX_ANNOTATION_CHARS + 1);
    const secret = slimLiveObject({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 's', managedFields: [{ manager: 'kubectl' }], annotations: { 'example.com/blob': long, 'sidecar.istio.io/status': long, small: 'ok' } },
      data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'c2VjcmV0', cert: 'Y2VydA==', key: '', token: 'dG9rZW4=' }, stringData: { password: 'hunter2', 'tls.crt': 'cert' },
    } as unknown as K8sObject) as any;
    // Certificates stay (analyzers check their validity); any other value is replaced, non-empty stays non-empty.
    expect(secret).toStrictEqual({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 's', annotations: { 'sidecar.istio.io/status': long, small: 'ok' } },
      data: { 'tls.crt': 'Y2VydA==', 'tls.key': REDACTED, cert: 'Y2VydA==', key: '', token: REDACTED }, stringData: { password: REDACTED, 'tls.crt': REDACTED },
    });
    expect(JSON.stringify(secret)).not.toMatch(/c2VjcmV0|dG9rZW4=|hunter2/);
    const crd = slimLiveObject({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: 'tlsroutes.gateway.networking.k8s.io', annotations: { 'gateway.networking.k8s.io/bundle-version': 'v1.4.1' } },
      spec: { group: 'gateway.networking.k8s.io', versions: [{ name: 'v1alpha2', served: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
    } as unknown as K8sObject) as any;
    expect(crd.spec.versions).toStrictEqual([{ name: 'v1alpha2', served: true }]);
    expect(crd.metadata.annotations).toStrictEqual({ 'gateway.networking.k8s.io/bundle-version': 'v1.4.1' });
    // Only core ConfigMaps and Secrets are touched beyond metadata.
    const custom = { apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 'x' }, data: { a: 'kept' } } as unknown as K8sObject;
    expect(slimLiveObject(custom)).toStrictEqual({ apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 'x' }, data: { a: 'kept' } });
  });

  it('lays file resources over live ones by kind, namespace and name', () => {
    const r = (key: string, namespace: string, name: string, from: string): Resource => ({ key, group: '', version: 'v1', kind: key, namespace, name, object: { from } });
    const merged = overlayFiles([r('Service', 'a', 'x', 'live'), r('Service', 'b', 'x', 'live'), r('ConfigMap', 'a', 'x', 'live')], [r('Service', 'a', 'x', 'file'), r('Service', 'a', 'y', 'file')]);
    expect(merged.map((m) => `${m.key}/${m.namespace}/${m.name}=${m.object.from}`)).toStrictEqual([
      'Service/b/x=live', 'ConfigMap/a/x=live', 'Service/a/x=file', 'Service/a/y=file',
    ]);
  });
});

describe('native-sidecar detection (Istio 1.30 DetectNativeSidecar and ENABLE_NATIVE_SIDECARS)', () => {
  it.each([
    [undefined, 'auto'], ['', 'auto'], ['auto', 'auto'], ['true', 'enabled'], ['false', 'disabled'],
  ] as const)('reads ENABLE_NATIVE_SIDECARS=%j as %s', (value, mode) => {
    expect(nativeSidecarMode(value)).toStrictEqual({ mode });
  });

  it('treats any other value as disabled, with a warning, case-sensitively as istiod does', () => {
    for (const value of ['True', 'yes', '1']) {
      const r = nativeSidecarMode(value);
      expect(r.mode).toBe('disabled');
      expect(r.warning).toContain(`ENABLE_NATIVE_SIDECARS="${value}"`);
    }
  });

  it.each([
    ['v1.35.3', 35, true], ['1.33.0', 33, true], ['v1.32.9', 32, false], ['v1.29.4+k3s1', 29, false],
    ['v1.33.1-eks-5e0fdde', 33, true], ['v1.34.0-gke.1000', 34, true], ['v1.33.0-rc.1', 33, true], ['v2.0.0', 0, false],
    ['v1', 0, false], ['', undefined, false], ['unknown', undefined, false], ['v1.x', undefined, false],
  ] as const)('kubelet %j: minor %j, native sidecars %j', (version, minor, allowed) => {
    expect(kubeletMinor(version)).toBe(minor);
    expect(kubeletAllowsNativeSidecars(version)).toBe(allowed);
  });

  it('needs every Node at 1.33 or later, and answers per Node for pods bound to one', () => {
    expect(NATIVE_SIDECAR_MIN_KUBELET_MINOR).toBe(33);
    const mixed = nativeSidecarsOnNodes([{ name: 'new', kubeletVersion: 'v1.35.3' }, { name: 'old', kubeletVersion: 'v1.32.9' }]);
    expect(mixed.all).toBe(false);
    expect([...mixed.byNode]).toStrictEqual([['new', true], ['old', false]]);
    expect(nativeSidecarsOnNodes([{ name: 'a', kubeletVersion: 'v1.33.0' }, { name: 'b', kubeletVersion: 'v1.34.1' }]).all).toBe(true);
    // A Node without a readable version blocks native sidecars; no Nodes at all do not.
    expect(nativeSidecarsOnNodes([{ name: 'a', kubeletVersion: 'v1.35.3' }, { name: 'b', kubeletVersion: '' }]).all).toBe(false);
    expect(nativeSidecarsOnNodes([]).all).toBe(true);
  });
});
