import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/*
 * Test helper: runs an injection template through real Go text/template + sprig with
 * istiod's helper functions (test/inject/gotemplate/main.go), so meshctl's templates and,
 * later, kube-inject can be checked against what istiod would print.
 *
 * The harness is a Go module (test/inject/gotemplate/go.mod: sprig v3.3.0 and yaml.v2 v2.4.0,
 * Istio 1.30.3's pins), built once per source version into the OS temp directory and then
 * executed per call: about 10 ms a run instead of ~3 s for `go run`.
 */

const harnessDir = join(dirname(fileURLToPath(import.meta.url)), 'gotemplate');

/**
 * Environment for building and running the harness: module mode with the pinned go.sum, so a
 * changed dependency fails the build instead of updating it. The harness process sees it on top
 * of the test process's environment, which is what istiod's `env` helper reads there.
 */
export const harnessEnv: Readonly<Record<string, string>> = { GO111MODULE: 'on', GOFLAGS: '-mod=readonly' };

/** Returns whether the Go toolchain is installed, i.e. whether the harness can be built (modules come from the proxy). */
export function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Output of the harness: the template's text as printed, or that text parsed the way istiod parses it (YAML 1.1, to JSON). */
export type GoTemplateOutput = 'raw' | 'json';

let harness: Promise<string> | undefined;

function buildHarness(): Promise<string> {
  harness ??= (async () => {
    const hash = createHash('sha256');
    for (const f of ['main.go', 'gateway.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(harnessDir, f)));
    const digest = hash.digest('hex').slice(0, 16);
    const dir = join(tmpdir(), `meshctl-gotemplate-${digest}`);
    const bin = join(dir, 'gotemplate');
    if (existsSync(bin)) return bin;
    mkdirSync(dir, { recursive: true });
    // Build under a private name and rename, so parallel test workers never run a half-written binary.
    const partial = `${bin}.${process.pid}.partial`;
    await execa('go', ['build', '-o', partial, '.'], { cwd: harnessDir, env: harnessEnv });
    renameSync(partial, bin);
    return bin;
  })();
  return harness;
}

/**
 * Executes an injection template over istiod-shaped template data and returns what it printed.
 *
 * `data` is SidecarTemplateData as JSON: top-level Go field names (TypeMeta, DeploymentMeta,
 * ObjectMeta, Spec, ProxyConfig, MeshConfig, Values, Revision, NativeSidecars, ProxyImage,
 * ProxyUID, ProxyGID, InboundTrafficPolicyMode, CompliancePolicy); Kubernetes JSON for the pod
 * parts, protobuf JSON for ProxyConfig/MeshConfig, the injector values map for Values (see
 * gotemplate/main.go). With `output: 'json'` the printed YAML is parsed as istiod parses it and
 * returned as JSON text. With `kind: 'gateway'`, `data` is instead the gateway deployment
 * controller's template data (GatewayTemplateDataJson of src/inject/gateway-deployment.ts, see
 * gotemplate/gateway.go). Throws with the harness's message when the template does not parse,
 * fails to execute, or prints something that is not YAML.
 */
export async function executeGoTemplate(
  template: string,
  data: unknown,
  options: { output?: GoTemplateOutput; kind?: 'sidecar' | 'gateway' } = {},
): Promise<string> {
  const bin = await buildHarness();
  const result = await execa(bin, {
    input: JSON.stringify({ template, data, output: options.output ?? 'raw', kind: options.kind ?? 'sidecar' }),
    env: harnessEnv,
    reject: false,
    stripFinalNewline: false,
  });
  if (result.exitCode !== 0) {
    throw new Error(`go template: ${result.stderr.trim() || `exit code ${String(result.exitCode)}`}`);
  }
  return result.stdout;
}
