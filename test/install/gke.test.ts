/**
 * Installing on GKE as istioctl 1.30.3 does (operator/pkg/render/manifest.go clusterSpecificSettings): when the
 * cluster's version holds `-gke`, the CNI node agent goes to kube-system, the gke platform overlay applies
 * (ztunnel's ResourceQuota; the istio-cni chart finds GKE's CNI bin dir from the version) and the CNI gets no
 * ResourceQuota of its own. The test control plane answers `/version` with a GKE version through its proxy.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { meshctl } from './support.js';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ version: { major: '1', minor: '35', gitVersion: 'v1.35.0-gke.1200' } });
});
afterAll(async () => {
  await cluster?.close();
});

async function kubectl(args: string[]): Promise<string> {
  const k = await execa(kubectlPath(), args, { env: { KUBECONFIG: cluster.kubeconfigPath }, reject: false });
  expect(k.exitCode, k.stderr).toBe(0);
  return k.stdout;
}

describe('meshctl install --set profile=ambient on GKE', () => {
  it('puts the CNI node agent in kube-system with the GKE bin dir, ztunnel with its quota, and tells istiod the platform', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y']);
    expect(r.code, r.stderr).toBe(0);
    const cni = JSON.parse(await kubectl(['get', 'daemonset', 'istio-cni-node', '-n', 'kube-system', '-o', 'json']));
    const binDir = cni.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'cni-bin-dir');
    expect(binDir.hostPath.path).toBe('/home/kubernetes/bin');
    expect((await kubectl(['get', 'daemonsets', '-n', 'istio-system', '-o', 'name'])).split('\n')).toStrictEqual(['daemonset.apps/ztunnel']);
    expect((await kubectl(['get', 'resourcequotas', '-A', '-o', 'name', '-l', 'app.kubernetes.io/part-of=istio'])).split('\n')).toStrictEqual(['resourcequota/ztunnel']);
    const platform = await kubectl(['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="PLATFORM")].value}']);
    expect(platform).toBe('gke');
  });
});
