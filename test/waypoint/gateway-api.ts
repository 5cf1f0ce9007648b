/**
 * Test helper: the Gateway API CRDs at the version Istio 1.30.3 pins (go.mod: sigs.k8s.io/gateway-api
 * v1.5.1), taken from the Go module itself through the Go module proxy, as the other Go-backed
 * tests get their pins (test/inject/gotemplate, test/control-plane). Installed with the real
 * kubectl, the way istio.io's ambient setup installs the standard channel.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { hasGo } from '../inject/go-template.js';

/** The module and version of the Gateway API that Istio 1.30.3 builds against. */
export const GATEWAY_API_MODULE = 'sigs.k8s.io/gateway-api@v1.5.1';

/** Why the Gateway API tests cannot run here, or undefined when they can. */
export const gatewayApiSkipReason: string | undefined = hasGo()
  ? undefined
  : `needs Go and the Go module proxy to fetch ${GATEWAY_API_MODULE}; CI has both`;

// CI sets MESHCTL_REQUIRE_GO so a missing toolchain fails the run instead of skipping these tests.
if (gatewayApiSkipReason && process.env.MESHCTL_REQUIRE_GO) throw new Error(`MESHCTL_REQUIRE_GO is set but ${gatewayApiSkipReason}`);

let dir: Promise<string> | undefined;

/**
 * Returns the folder of the standard-channel CRDs (`config/crd/standard`) of the module, downloaded
 * once into the Go module cache (`go mod download -json`, outside any module, read-only). Throws
 * with Go's message when the download fails.
 */
export function gatewayApiCrdDir(): Promise<string> {
  dir ??= (async () => {
    const r = await execa('go', ['mod', 'download', '-json', GATEWAY_API_MODULE], { cwd: tmpdir(), env: { GO111MODULE: 'on' }, reject: false });
    const info = (() => { try { return JSON.parse(r.stdout) as { Dir?: string; Error?: string }; } catch { return {}; } })();
    if (r.exitCode !== 0 || !info.Dir) throw new Error(`go mod download ${GATEWAY_API_MODULE} failed: ${info.Error ?? r.stderr}`);
    return join(info.Dir, 'config', 'crd', 'standard');
  })();
  return dir;
}

/**
 * Installs the standard-channel CRDs with kubectl (server-side apply, as istio.io's instructions
 * do) and waits until the Gateway CRD is Established. Throws with kubectl's message.
 */
export async function installGatewayApi(kubectl: string, kubeconfig: string): Promise<void> {
  const crds = await gatewayApiCrdDir();
  const env = { KUBECONFIG: kubeconfig };
  const applied = await execa(kubectl, ['apply', '--server-side', '-f', crds], { env, reject: false });
  if (applied.exitCode !== 0) throw new Error(`kubectl apply of the Gateway API CRDs failed: ${applied.stderr}`);
  const waited = await execa(kubectl, ['wait', '--for', 'condition=Established', '--timeout=60s', 'crd/gateways.gateway.networking.k8s.io'], { env, reject: false });
  if (waited.exitCode !== 0) throw new Error(`the Gateway CRD did not become Established: ${waited.stderr}`);
}
