/**
 * The stable profile on the real test control plane (test/control-plane/): `meshctl install --set
 * profile=stable -y` installs istiod's ValidatingAdmissionPolicy and its binding (Istio 1.30.3's
 * istio-discovery chart, experimental.stableValidationPolicy), and the real kube-apiserver enforces
 * them: resources and fields outside Istio's stable channel are refused for the revision's objects
 * (labelled istio.io/rev=default), stable ones and unlabelled ones are admitted; switching to the
 * default profile prunes them and `uninstall --purge` removes them. The real kubectl is the client that
 * is refused. One control plane for the file; the steps run in order.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { meshctl } from './support.js';

const POLICY = 'stable-channel-policy-istio-system.istio.io';
const BINDING = 'stable-channel-policy-binding-istio-system.istio.io';

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane();
});
afterAll(async () => {
  await cluster?.close();
});

function kubectl(args: string[], input?: string) {
  return execa(kubectlPath(), args, { env: { KUBECONFIG: cluster.kubeconfigPath }, reject: false, ...(input !== undefined ? { input } : {}) });
}

/** An object of `kind` in namespace default, labelled for the default revision unless `labelled` is false. */
function manifest(apiVersion: string, kind: string, name: string, spec: object, labelled = true): string {
  return JSON.stringify({ apiVersion, kind, metadata: { name, namespace: 'default', ...(labelled ? { labels: { 'istio.io/rev': 'default' } } : {}) }, spec });
}

describe('meshctl install --set profile=stable', () => {
  it('installs the policy and its binding', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=stable', '-y']);
    expect(r.code, r.stderr).toBe(0);
    const policies = await kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']);
    expect(policies.stdout.split('\n')).toContain(`validatingadmissionpolicy.admissionregistration.k8s.io/${POLICY}`);
    const bindings = await kubectl(['get', 'validatingadmissionpolicybindings', BINDING, '-o', 'jsonpath={.spec.policyName} {.spec.validationActions}']);
    expect(bindings.stdout).toBe(`${POLICY} ["Deny"]`);
  });

  it("has the API server refuse the revision's EnvoyFilter, naming the policy", async () => {
    // kube-apiserver enforces a new policy once its admission plugin has loaded the policy and its
    // binding, a moment after they are stored (longer on a loaded machine): server-side dry runs,
    // which go through admission and store nothing, until the policy answers (at most 30 s).
    const probe = manifest('networking.istio.io/v1alpha3', 'EnvoyFilter', 'probe', { configPatches: [] });
    for (let waited = 0; waited < 30_000; waited += 250) {
      if ((await kubectl(['apply', '--dry-run=server', '-f', '-'], probe)).exitCode !== 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const r = await kubectl(['apply', '-f', '-'], manifest('networking.istio.io/v1alpha3', 'EnvoyFilter', 'lua', { configPatches: [] }));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`ValidatingAdmissionPolicy '${POLICY}' with binding '${BINDING}' denied request`);
    expect(r.stderr).toContain('!variables.isEnvoyFilter');
  });

  it('refuses a Telemetry with a non-stable field and admits a stable one', async () => {
    const refused = await kubectl(['apply', '-f', '-'], manifest('telemetry.istio.io/v1', 'Telemetry', 'interval', { metrics: [{ reportingInterval: '10s' }] }));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`ValidatingAdmissionPolicy '${POLICY}'`);
    const admitted = await kubectl(['apply', '-f', '-'], manifest('telemetry.istio.io/v1', 'Telemetry', 'logs', { accessLogging: [{ providers: [{ name: 'envoy' }] }] }));
    expect(admitted.exitCode, admitted.stderr).toBe(0);
  });

  it('admits an EnvoyFilter of another revision or without one: the policy selects its revision only', async () => {
    const unlabelled = await kubectl(['apply', '-f', '-'], manifest('networking.istio.io/v1alpha3', 'EnvoyFilter', 'unlabelled', { configPatches: [] }, false));
    expect(unlabelled.exitCode, unlabelled.stderr).toBe(0);
  });

  it('prunes the policy and binding when the installation switches to the default profile, and brings them back with stable', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=default', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`  ValidatingAdmissionPolicy/${POLICY}\n  ValidatingAdmissionPolicyBinding/${BINDING}\n`);
    expect((await kubectl(['get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-o', 'name'])).stdout).toBe('');
    const back = await meshctl(cluster, ['install', '--set', 'profile=stable', '-y']);
    expect(back.code, back.stderr).toBe(0);
    expect((await kubectl(['get', 'validatingadmissionpolicies', '-o', 'name'])).stdout).toBe(`validatingadmissionpolicy.admissionregistration.k8s.io/${POLICY}`);
  });

  it('uninstall --purge removes them', async () => {
    const r = await meshctl(cluster, ['uninstall', '--purge', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect((await kubectl(['get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-o', 'name'])).stdout).toBe('');
  });
});
