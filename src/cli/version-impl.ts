/**
 * What `meshctl version` does, loaded only when it runs: the client's version and the Istio
 * version it installs, then the versions of the control plane (istiod pods) and data plane
 * (proxies) of the current cluster, with a warning when they are outside Istio's skew policy.
 * Facts per Istio 1.30 istioctl/pkg/version and pkg/version/cobra.go (reference istio-1.30.md
 * section 6).
 */
import type { Deps } from '../deps.js';
import { ISTIO_VERSION } from '../istio-version.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { ClusterUnreachableError, KubeConfigError, KubeError } from '../kube/errors.js';
import type { MeshVersions } from '../kube/mesh-versions.js';
import type { VersionOptions } from './version.js';

/**
 * istioctl's `meshVersion` entry (keys capitalised: Go's ServerInfo has no json tags), plus
 * `Tags`: the revision tags pointing at the entry's revision, present only when there are any.
 */
export interface MeshVersionEntry {
  Component: string;
  Revision: string;
  Info: { version: string };
  Tags?: string[];
}

/**
 * istioctl's `dataPlaneVersion` entry (Go's ProxyInfo, keys capitalised), plus `Revision`: the
 * revision whose istiod serves the proxy.
 */
export interface DataPlaneVersionEntry {
  ID: string;
  IstioVersion: string;
  Type: 'sidecar' | 'gateway';
  Revision: string;
}

/**
 * The report `-o json|yaml` prints. `meshVersion` and `dataPlaneVersion` are present only when the
 * cluster was read (empty lists when it runs no istiod or no proxy), absent with `--remote=false`
 * or when the cluster could not be reached.
 */
export interface VersionInfo {
  clientVersion: { version: string; istioVersion: string };
  meshVersion?: MeshVersionEntry[];
  dataPlaneVersion?: DataPlaneVersionEntry[];
}

/** Returns the client part of the version report. */
export function versionInfo(deps: Deps): VersionInfo {
  return { clientVersion: { version: deps.version, istioVersion: ISTIO_VERSION } };
}


/** The outcome of the cluster lookup: versions and the module that reports them, or why there are none. */
type Remote = { versions: MeshVersions; report: typeof import('./version-remote.js') } | { unreachable: string };

/** Errors that mean "no answer about the cluster", reported as a note instead of failing. */
function clusterProblem(e: unknown): string | undefined {
  if (e instanceof KubeConfigError) {
    const text = firstLine(e.message);
    return text.startsWith('no cluster configured') ? text : `no cluster configured: ${text}`;
  }
  if (e instanceof ClusterUnreachableError) return `cluster unreachable: ${firstLine(e.message)}`;
  if (e instanceof KubeError) return `cluster error: ${firstLine(e.message)}`;
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

async function lookUp(deps: Deps, opts: VersionOptions, globals: KubeGlobals): Promise<Remote> {
  try {
    // Two attempts: a lookup asked in passing should not sit through a full retry budget.
    const client = await connectCluster(deps, globals, { retryAttempts: 2 });
    // Reading and reporting the mesh load only once there is a cluster to read.
    const report = await import('./version-remote.js');
    const versions = await report.meshVersions(client, {
      istioNamespace: opts.istioNamespace,
      ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    });
    return { versions, report };
  } catch (e) {
    const problem = clusterProblem(e);
    if (problem === undefined) throw e;
    return { unreachable: problem };
  }
}

/**
 * Prints the version report: data (the version lines, or JSON/YAML) to stdout; notes about an
 * unreachable cluster, a missing control plane and skew warnings to stderr. Never fails because
 * of the cluster: exit 0 whether or not it answered (as istioctl). Throws only what commander
 * or an unexpected programming error would.
 */
export async function runVersion(deps: Deps, opts: VersionOptions, globals: KubeGlobals = {}): Promise<void> {
  const info = versionInfo(deps);
  if (opts.short) {
    deps.stdout.write(`${info.clientVersion.version}\n`);
    return;
  }
  const remote = opts.remote ? await lookUp(deps, opts, globals) : undefined;
  const data = remote && 'versions' in remote ? remote.report.withMeshVersions(info, remote.versions) : info;

  if (opts.output === 'json' || opts.output === 'yaml') {
    const { toJson, toYaml } = await import('../manifest/serialize.js');
    deps.stdout.write(opts.output === 'json' ? toJson(data) : toYaml(data));
  } else {
    deps.stdout.write(`client version: ${info.clientVersion.version} (Istio ${info.clientVersion.istioVersion})\n`);
    if (remote && 'versions' in remote) deps.stdout.write(remote.report.versionLines(remote.versions));
  }

  if (!remote) return;
  if ('unreachable' in remote) {
    deps.stderr.write(`control plane version: unknown (${remote.unreachable})\n`);
    return;
  }
  const { versions, report } = remote;
  if (versions.controlPlane.length === 0) {
    const viaTag = opts.revision && versions.revision && versions.revision !== opts.revision ? ` (tag "${opts.revision}")` : '';
    const which = opts.revision ? ` of revision "${versions.revision ?? opts.revision}"${viaTag}` : '';
    deps.stderr.write(`Istio is not present in the cluster: no running, ready istiod pods${which} in "${opts.istioNamespace}" (another namespace: -i; a revision: -r)\n`);
  }
  report.printWarnings(deps, versions, opts.istioNamespace);
}


