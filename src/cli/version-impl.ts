/**
 * What `meshctl version` does, loaded only when it runs: the client's version and the Istio
 * version it installs, then the versions of the control plane (istiod pods) and data plane
 * (proxies) of the current cluster, with a warning when they are outside Istio's skew policy.
 * Facts per Istio 1.30 istioctl/pkg/version and pkg/version/cobra.go (reference istio-1.30.md
 * section 6).
 */
import type { Deps } from '../deps.js';
import { ISTIO_VERSION } from '../render/context.js';
import { toJson, toYaml } from '../manifest/serialize.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { ClusterUnreachableError, KubeConfigError, KubeError } from '../kube/errors.js';
import {
  clientSkewWarning, countVersions, countVersionsByRevision, danglingTags, danglingTagWarning, meshVersions, skewProblems, skewWarning,
  type MeshVersions,
} from '../kube/mesh-versions.js';
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

/** Returns the report with the cluster's versions added in istioctl's JSON shape. */
export function withMeshVersions(info: VersionInfo, versions: MeshVersions): VersionInfo {
  return {
    ...info,
    meshVersion: versions.controlPlane.map((c) => {
      const tags = tagsOf(versions, c.revision);
      return { Component: c.component, Revision: c.revision, Info: { version: c.version }, ...(tags.length ? { Tags: tags } : {}) };
    }),
    dataPlaneVersion: versions.dataPlane.map((p) => ({ ID: p.id, IstioVersion: p.version, Type: p.type, Revision: p.revision })),
  };
}

/** The outcome of the cluster lookup: versions, or why there are none. */
type Remote = { versions: MeshVersions } | { unreachable: string };

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
    const versions = await meshVersions(client, {
      istioNamespace: opts.istioNamespace,
      ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    });
    return { versions };
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
  const report = remote && 'versions' in remote ? withMeshVersions(info, remote.versions) : info;

  if (opts.output === 'json') deps.stdout.write(toJson(report));
  else if (opts.output === 'yaml') deps.stdout.write(toYaml(report));
  else {
    deps.stdout.write(`client version: ${info.clientVersion.version} (Istio ${info.clientVersion.istioVersion})\n`);
    if (remote && 'versions' in remote) deps.stdout.write(versionLines(remote.versions));
  }

  if (!remote) return;
  if ('unreachable' in remote) {
    deps.stderr.write(`control plane version: unknown (${remote.unreachable})\n`);
    return;
  }
  const { versions } = remote;
  if (versions.controlPlane.length === 0) {
    const viaTag = opts.revision && versions.revision && versions.revision !== opts.revision ? ` (tag "${opts.revision}")` : '';
    const which = opts.revision ? ` of revision "${versions.revision ?? opts.revision}"${viaTag}` : '';
    deps.stderr.write(`Istio is not present in the cluster: no running, ready istiod pods${which} in "${opts.istioNamespace}" (another namespace: -i; a revision: -r)\n`);
  }
  if (versions.tagsUnknown) deps.stderr.write(`Note: revision tags not shown: ${versions.tagsUnknown}\n`);
  const clientSkew = clientSkewWarning(ISTIO_VERSION, versions.controlPlane);
  if (clientSkew) deps.stderr.write(`Warning: ${clientSkew}\n`);
  for (const p of skewProblems(versions)) deps.stderr.write(`Warning: ${skewWarning(p)}\n`);
  // Without any istiod the note above already says the whole mesh is missing.
  if (versions.controlPlane.length > 0) {
    for (const t of danglingTags(versions)) deps.stderr.write(`Warning: ${danglingTagWarning(t, opts.istioNamespace)}\n`);
  }
}

/** Returns the tags pointing at `revision`, in tag order. */
function tagsOf(versions: MeshVersions, revision: string): string[] {
  return versions.tags.filter((t) => t.revision === revision).map((t) => t.tag);
}

/**
 * Returns the `control plane version:` and `data plane version:` lines.
 *
 * Short form, as istioctl prints it, when everything is one revision (the default one, or the one
 * `-r` asked for) at one control-plane version with no revision tag beside the `default` tag of the
 * default revision: `control plane version: 1.30.3` and the proxy versions with their counts, most
 * common first: `1.30.3 (10 proxies), 1.29.1 (2 proxies)`, or `none`.
 *
 * Otherwise per revision: `1.30.3 (revision stable, tags: prod), 1.31.0 (revision canary)` and
 * `1.31.0 (8 proxies, revision canary), 1.30.3 (3 proxies, revision stable)`.
 */
export function versionLines(versions: MeshVersions): string {
  const cp = versions.controlPlane;
  const home = versions.revision ?? 'default';
  const revisions = new Set([...cp.map((c) => c.revision), ...versions.dataPlane.map((p) => p.revision)]);
  const tags = versions.tags.filter((t) => !(t.tag === 'default' && t.revision === 'default'));
  const cpVersions = [...new Set(cp.map((c) => c.version))];
  const short = [...revisions].every((r) => r === home) && tags.length === 0 && cpVersions.length <= 1;

  let control: string;
  let data: string;
  const proxies = (n: number) => `${n} ${n === 1 ? 'proxy' : 'proxies'}`;
  if (short) {
    control = cpVersions[0] ?? 'none';
    const counts = countVersions(versions.dataPlane);
    data = counts.length === 0 ? 'none' : counts.map((v) => `${v.version} (${proxies(v.count)})`).join(', ');
  } else {
    const entries = [...new Set(cp.map((c) => `${c.revision}\u0000${c.version}`))].map((key) => {
      const [revision, version] = key.split('\u0000') as [string, string];
      const own = tagsOf(versions, revision);
      return `${version} (revision ${revision}${own.length ? `, tag${own.length === 1 ? '' : 's'}: ${own.join(', ')}` : ''})`;
    });
    control = entries.length === 0 ? 'none' : entries.join(', ');
    const counts = countVersionsByRevision(versions.dataPlane);
    data = counts.length === 0 ? 'none' : counts.map((v) => `${v.version} (${proxies(v.count)}, revision ${v.revision})`).join(', ');
  }
  return `control plane version: ${control}\ndata plane version: ${data}\n`;
}
