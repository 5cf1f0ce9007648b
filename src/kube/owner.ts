/**
 * Ownership of installed objects: the labels meshctl puts on everything it applies, and the
 * installed-state record it keeps in the cluster so that later commands (upgrade prune,
 * uninstall, verify-install, version) know what an installation consists of without listing
 * every kind in every namespace.
 */
import type { K8sObject } from '../manifest/objects.js';
import type { ComponentName } from '../render/render.js';
import { KubeError } from './errors.js';
import type { KubeClient, ObjectRef } from './types.js';

/** Field manager of every server-side apply meshctl sends. */
export const FIELD_MANAGER = 'meshctl';

/** Owner label keys, as istioctl's installer sets them (operator/pkg/install, Istio 1.30.3). */
export const LABEL = {
  component: 'operator.istio.io/component',
  managed: 'operator.istio.io/managed',
  version: 'operator.istio.io/version',
  owningResource: 'install.operator.istio.io/owning-resource',
  owningResourceNamespace: 'install.operator.istio.io/owning-resource-namespace',
  notPruned: 'install.operator.istio.io/owning-resource-not-pruned',
  revision: 'istio.io/rev',
} as const;

/** Value of `operator.istio.io/managed` on applied objects. */
export const MANAGED_VALUE = 'Reconcile';

/** Name of the installed-state ConfigMap of a revision in the install namespace. */
export function stateConfigMapName(revision: string): string {
  return revision ? `meshctl-installed-state-${revision}` : 'meshctl-installed-state';
}

/**
 * Returns the owner labels for an object of `component` in the installation of `revision` ('' for
 * default) into `namespace`, at Istio version `istioVersion`.
 */
export function ownerLabels(component: ComponentName, revision: string, namespace: string, istioVersion: string): Record<string, string> {
  return {
    [LABEL.component]: component,
    [LABEL.managed]: MANAGED_VALUE,
    [LABEL.version]: istioVersion,
    [LABEL.owningResource]: stateConfigMapName(revision),
    [LABEL.owningResourceNamespace]: namespace,
    [LABEL.revision]: revision || 'default',
  };
}

/** One object of an installation, as recorded in the installed state. */
export interface InventoryEntry extends ObjectRef {
  component: ComponentName;
}

/** What an install stored about itself. */
export interface InstalledState {
  /** Istio version installed (e.g. `1.30.3`). */
  istioVersion: string;
  /** meshctl version that installed it. */
  clientVersion: string;
  profile: string;
  revision: string;
  namespace: string;
  /** The merged IstioOperator spec that was applied, as YAML. */
  configYaml: string;
  /**
   * The user's own spec (files and flags, without the profile and built-in values), as YAML;
   * absent in records of earlier releases. Rendering it over `profile` reproduces the
   * installation, where the merged spec would hold built-in values above the charts' profile
   * overlays (the ambient profile's distroless images, for one).
   */
  userConfigYaml?: string;
  /** Every applied object, in apply order. */
  inventory: InventoryEntry[];
}

/** Returns the ConfigMap that stores `state` (labels let `uninstall --purge` find it). */
export function stateConfigMap(state: InstalledState): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: stateConfigMapName(state.revision),
      namespace: state.namespace,
      labels: { ...ownerLabels('Base', state.revision, state.namespace, state.istioVersion), 'app.kubernetes.io/managed-by': 'meshctl' },
    },
    data: {
      istioVersion: state.istioVersion,
      clientVersion: state.clientVersion,
      profile: state.profile,
      revision: state.revision,
      'config.yaml': state.configYaml,
      ...(state.userConfigYaml !== undefined ? { 'user-config.yaml': state.userConfigYaml } : {}),
      'inventory.json': JSON.stringify(state.inventory),
    },
  };
}

/**
 * Returns the installed state of `revision` in `namespace`, or undefined when there is none.
 * Throws KubeError for API errors other than 404, and when the record is unreadable.
 */
export async function readInstalledState(client: KubeClient, namespace: string, revision: string): Promise<InstalledState | undefined> {
  const cm = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: stateConfigMapName(revision) });
  if (!cm) return undefined;
  const data = (cm.data ?? {}) as Record<string, string>;
  let inventory: InventoryEntry[];
  try {
    inventory = JSON.parse(data['inventory.json'] ?? '[]') as InventoryEntry[];
  } catch {
    throw new KubeError(0, 'Invalid', `ConfigMap ${namespace}/${cm.metadata.name}: inventory.json is not valid JSON; reinstall to rewrite it`);
  }
  return {
    istioVersion: data.istioVersion ?? '',
    clientVersion: data.clientVersion ?? '',
    profile: data.profile ?? '',
    revision: data.revision ?? revision,
    namespace,
    configYaml: data['config.yaml'] ?? '',
    ...(data['user-config.yaml'] !== undefined ? { userConfigYaml: data['user-config.yaml'] } : {}),
    inventory,
  };
}
