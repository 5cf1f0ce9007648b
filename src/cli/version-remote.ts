/**
 * The part of `meshctl version` that reads and reports a cluster's mesh, loaded by version-impl.ts
 * only once a cluster is connected: without one, `version` loads none of this.
 */
import type { Deps } from '../deps.js';
import { ISTIO_VERSION } from '../render/context.js';
import {
  clientSkewWarning, countVersions, countVersionsByRevision, danglingTags, danglingTagWarning, skewProblems, skewWarning,
  type MeshVersions,
} from '../kube/mesh-versions.js';
import type { VersionInfo } from './version-impl.js';

export { meshVersions } from '../kube/mesh-versions.js';

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

/**
 * Writes to stderr the notes and warnings about the cluster's versions: revision tags that could not
 * be read, a client outside the skew policy of the control plane, proxies outside it, and revision
 * tags pointing at a revision with no running istiod (`istioNamespace` names where to look).
 */
export function printWarnings(deps: Deps, versions: MeshVersions, istioNamespace: string): void {
  if (versions.tagsUnknown) deps.stderr.write(`Note: revision tags not shown: ${versions.tagsUnknown}\n`);
  const clientSkew = clientSkewWarning(ISTIO_VERSION, versions.controlPlane);
  if (clientSkew) deps.stderr.write(`Warning: ${clientSkew}\n`);
  for (const p of skewProblems(versions)) deps.stderr.write(`Warning: ${skewWarning(p)}\n`);
  // Without any istiod, runVersion's note already says the whole mesh is missing.
  if (versions.controlPlane.length > 0) {
    for (const t of danglingTags(versions)) deps.stderr.write(`Warning: ${danglingTagWarning(t, istioNamespace)}\n`);
  }
}

/** Returns the tags pointing at `revision`, in tag order. */
function tagsOf(versions: MeshVersions, revision: string): string[] {
  return versions.tags.filter((t) => t.revision === revision).map((t) => t.tag);
}
