/**
 * The Istio version each control-plane revision runs, read from its istiod Deployment: what
 * `install`/`upgrade` compare against when no installed-state record says it (an install made by
 * istioctl, or a lost record), and what they compare a new revision with when others run beside it.
 */
import type { K8sObject } from '../manifest/objects.js';
import { minorOf, versionOfImage } from './mesh-versions.js';
import { LABEL } from './owner.js';
import type { KubeClient } from './types.js';

/** One revision's istiod Deployment and the Istio version it runs. */
export interface RevisionVersion {
  /** `default` for the revision installed without `-r`. */
  revision: string;
  /** The Istio version (`1.29.2`). */
  version: string;
  /** Where it was read, for messages: `Deployment istio-system/istiod`. */
  source: string;
}

/** Label istiod Deployments carry (Istio 1.30.3 istio-discovery chart, deployment.yaml). */
const ISTIOD_SELECTOR = 'app=istiod';
/** istiod's container in that chart. */
const DISCOVERY_CONTAINER = 'discovery';

/**
 * Returns the version of an istiod Deployment: the tag of its `discovery` container's image when
 * that is a version (`docker.io/istio/pilot:1.29.2-distroless` → `1.29.2`), else its
 * `operator.istio.io/version` label (istioctl's and meshctl's installers set it), else undefined
 * (a digest-only image or a tag such as `latest`, without the label).
 */
export function istiodVersion(deployment: K8sObject): string | undefined {
  const spec = deployment.spec as { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } | undefined;
  const discovery = (spec?.template?.spec?.containers ?? []).find((c) => c.name === DISCOVERY_CONTAINER);
  const fromImage = discovery?.image ? versionOfImage(discovery.image) : undefined;
  if (fromImage && minorOf(fromImage)) return fromImage;
  const label = deployment.metadata.labels?.[LABEL.version];
  return label && minorOf(label) ? label : undefined;
}

/**
 * Returns the version each revision's istiod Deployment (`app=istiod`) in `namespace` runs, sorted
 * by revision; Deployments being deleted and those whose version cannot be read are left out. The
 * revision is the Deployment's `istio.io/rev` label (`default` when absent). Throws what the client
 * throws.
 */
export async function readRevisionVersions(client: KubeClient, namespace: string): Promise<RevisionVersion[]> {
  const found = new Map<string, RevisionVersion>();
  for await (const d of client.list('apps/v1', 'Deployment', { namespace, labelSelector: ISTIOD_SELECTOR })) {
    if (d.metadata.deletionTimestamp) continue;
    const version = istiodVersion(d);
    if (!version) continue;
    const revision = d.metadata.labels?.[LABEL.revision] || 'default';
    // One istiod per revision; should there be more, the name that sorts first decides, so the answer is stable.
    const source = `Deployment ${namespace}/${d.metadata.name}`;
    const seen = found.get(revision);
    if (!seen || source < seen.source) found.set(revision, { revision, version, source });
  }
  return [...found.values()].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
}
