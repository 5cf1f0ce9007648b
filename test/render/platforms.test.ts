/**
 * `values.global.platform`: what each platform overlay of Istio 1.30.3's charts (files/profile-platform-*.yaml)
 * changes in what meshctl renders, one test per platform, checked against the charts rendered as istioctl hands
 * them their values. The ambient profile is used so that the istio-cni and ztunnel charts render too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { run, testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function render(sets: string[]): K8sObject[] {
  return renderManifests(resolveConfiguration(assets, { sets }), assets).objects.map((o) => o.object);
}

function find(objects: K8sObject[], kind: string, name: string): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}

const ambientOn = (platform: string) => render(['profile=ambient', `values.global.platform=${platform}`]);

/** The CNI node agent's host paths by volume name. */
function cniHostPaths(objects: K8sObject[]): Record<string, string> {
  const volumes = find(objects, 'DaemonSet', 'istio-cni-node').spec.template.spec.volumes as any[];
  return Object.fromEntries(volumes.filter((v) => v.hostPath).map((v) => [v.name, v.hostPath.path]));
}

function istiodEnv(objects: K8sObject[], name: string): string | undefined {
  const env = find(objects, 'Deployment', 'istiod').spec.template.spec.containers[0].env as any[];
  return env.find((e) => e.name === name)?.value;
}

const kinds = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

/** The host paths without a platform (the istio-cni chart's defaults). */
const DEFAULT_PATHS = {
  'cni-bin-dir': '/opt/cni/bin', 'cni-host-procfs': '/proc', 'cni-ztunnel-sock-dir': '/var/run/ztunnel', 'cni-net-dir': '/etc/cni/net.d',
  'cni-socket-dir': '/var/run/istio-cni', 'cni-netns-dir': '/var/run/netns',
};

describe('values.global.platform', () => {
  it('none: the charts\' default paths, no resource quotas, an empty PLATFORM for istiod', () => {
    const objects = render(['profile=ambient']);
    expect(cniHostPaths(objects)).toStrictEqual(DEFAULT_PATHS);
    expect(kinds(objects, 'ResourceQuota')).toStrictEqual([]);
    expect(istiodEnv(objects, 'PLATFORM')).toBe('');
  });

  it('gke: resource quotas for the CNI node agent and ztunnel; the bin dir is left to detection (no cluster: /opt/cni/bin)', () => {
    const objects = ambientOn('gke');
    expect(kinds(objects, 'ResourceQuota').sort()).toStrictEqual(['istio-system/istio-cni-resource-quota', 'istio-system/ztunnel']);
    expect(cniHostPaths(objects)).toStrictEqual(DEFAULT_PATHS);
    expect(istiodEnv(objects, 'PLATFORM')).toBe('gke');
  });

  it('k3d: k3s\'s CNI config dir and /bin', () => {
    const objects = ambientOn('k3d');
    expect(cniHostPaths(objects)).toStrictEqual({ ...DEFAULT_PATHS, 'cni-bin-dir': '/bin', 'cni-net-dir': '/var/lib/rancher/k3s/agent/etc/cni/net.d' });
    expect(istiodEnv(objects, 'PLATFORM')).toBe('k3d');
  });

  it("k3s: k3s's CNI config and bin dirs", () => {
    const objects = ambientOn('k3s');
    expect(cniHostPaths(objects)).toStrictEqual({ ...DEFAULT_PATHS, 'cni-bin-dir': '/var/lib/rancher/k3s/data/cni', 'cni-net-dir': '/var/lib/rancher/k3s/agent/etc/cni/net.d' });
    expect(istiodEnv(objects, 'PLATFORM')).toBe('k3s');
  });

  it("microk8s: the snap's CNI dirs", () => {
    const objects = ambientOn('microk8s');
    expect(cniHostPaths(objects)).toStrictEqual({
      ...DEFAULT_PATHS, 'cni-bin-dir': '/var/snap/microk8s/current/opt/cni/bin', 'cni-net-dir': '/var/snap/microk8s/current/args/cni-network',
    });
    expect(istiodEnv(objects, 'PLATFORM')).toBe('microk8s');
  });

  it("minikube: docker's network namespace dir", () => {
    const objects = ambientOn('minikube');
    expect(cniHostPaths(objects)).toStrictEqual({ ...DEFAULT_PATHS, 'cni-netns-dir': '/var/run/docker/netns' });
    expect(istiodEnv(objects, 'PLATFORM')).toBe('minikube');
  });

  it('openshift: multus paths and attachment, SELinux spc_t for ztunnel, ztunnel trusted in kube-system, multus for the injector', () => {
    const objects = ambientOn('openshift');
    expect(cniHostPaths(objects)).toStrictEqual({ ...DEFAULT_PATHS, 'cni-bin-dir': '/var/lib/cni/bin', 'cni-net-dir': '/etc/cni/multus/net.d' });
    expect(kinds(objects, 'NetworkAttachmentDefinition')).toStrictEqual(['default/istio-cni']);
    const ztunnel = find(objects, 'DaemonSet', 'ztunnel').spec.template.spec.containers[0];
    expect(ztunnel.securityContext.seLinuxOptions).toStrictEqual({ type: 'spc_t' });
    expect(istiodEnv(objects, 'PLATFORM')).toBe('openshift');
    expect(istiodEnv(objects, 'CA_TRUSTED_NODE_ACCOUNTS')).toBe('kube-system/ztunnel');
    const injector = JSON.parse(find(objects, 'ConfigMap', 'istio-sidecar-injector').data.values);
    expect(injector.pilot.cni).toMatchObject({ provider: 'multus', chained: false, enabled: true });
  });

  it("gke detected from the cluster's version, as istioctl does: CNI in kube-system, platform gke, no CNI quota; the user's values win", () => {
    const gke = 'v1.33.5-gke.1201000';
    const config = resolveConfiguration(assets, { sets: ['profile=ambient'], kubernetesGitVersion: gke });
    expect(config.clusterSettings).toStrictEqual({ components: { cni: { namespace: 'kube-system' } }, values: { global: { platform: 'gke' }, cni: { resourceQuotas: { enabled: false } } } });
    const objects = renderManifests(config, assets).objects.map((o) => o.object);
    expect(kinds(objects, 'DaemonSet').sort()).toStrictEqual(['istio-system/ztunnel', 'kube-system/istio-cni-node']);
    expect(kinds(objects, 'ResourceQuota')).toStrictEqual(['istio-system/ztunnel']);
    expect(istiodEnv(objects, 'PLATFORM')).toBe('gke');
    const user = resolveConfiguration(assets, { sets: ['profile=ambient', 'components.cni.namespace=istio-system', 'values.global.platform=k3s'], kubernetesGitVersion: gke });
    expect((user.spec as any).components.cni.namespace).toBe('istio-system');
    expect(istiodEnv(renderManifests(user, assets).objects.map((o) => o.object), 'PLATFORM')).toBe('k3s');
    expect(resolveConfiguration(assets, { sets: ['profile=ambient'], kubernetesGitVersion: 'v1.35.0' }).clusterSettings).toBeUndefined();
  });

  it('eks: refused as the charts refuse a platform they have no overlay for, naming the flag (exit 64)', async () => {
    const r = await run(['manifest', 'generate', '--set', 'values.global.platform=eks']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: --set values.global.platform=eks: unknown platform "eks" in values.global.platform (known: gke, k3d, k3s, microk8s, minikube, openshift)\n');
  });

  it('is checked by the charts that render, as istioctl checks it: with every component off, nothing refuses it', () => {
    expect(render(['profile=empty', 'values.global.platform=eks'])).toStrictEqual([]);
    expect(() => render(['profile=empty', 'components.egressGateways[0].enabled=true', 'values.global.platform=eks'])).toThrow(/unknown platform "eks"/);
  });

  it('an unknown platform in an -f file is refused at its line and column (exit 65)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'meshctl-platform-')), 'iop.yaml');
    writeFileSync(file, 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    global:\n      platform: aks\n');
    const r = await run(['manifest', 'generate', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`Error: ${file}:6:17: unknown platform "aks" in values.global.platform (known: gke, k3d, k3s, microk8s, minikube, openshift)\n`);
  });
});
