/**
 * verify-install: compares what a configuration renders with what the cluster holds. Every
 * rendered object is read back and checked for being missing, drifted (a field the rendering sets
 * has another live value) or unready (readiness.ts); objects the revision owns that the rendering
 * lacks are extra. istioctl removed its verifier in 1.24; its output lines are kept
 * (`✔ Deployment: istiod.istio-system checked successfully`, reference section 1.1).
 */
import { isObject, type Json, type K8sObject } from '../manifest/objects.js';
import type { RenderedObject } from '../render/render.js';
import { LABEL, stateConfigMapName } from './owner.js';
import { explainUnready, isWaitedKind, readinessOf } from './readiness.js';
import { refKey, refOf } from './refs.js';
import { hasDefaultTag, isDefaultRevisionInjector } from './takeover.js';
import { deactivatedWebhook } from '../render/revision-tag.js';
import type { KubeClient, ObjectRef } from './types.js';
import { PRUNABLE_KINDS, PURGE_ONLY_KINDS, revisionLabel } from './uninstall.js';

/** Result of one object. */
export type CheckStatus = 'ok' | 'missing' | 'drifted' | 'unready' | 'extra';

/** One difference between a rendered field and its live value. */
export interface FieldDrift {
  /** Path as kubectl explain writes it: `spec.template.spec.containers[0].image`. */
  path: string;
  /** Rendered value (JSON). */
  want: Json;
  /** Live value (JSON), undefined when the field is absent. */
  have: Json | undefined;
}

/** The verdict on one object. */
export interface ObjectCheck {
  ref: ObjectRef;
  /** Component of the rendering, or the live object's `operator.istio.io/component` for extra objects. */
  component: string;
  status: CheckStatus;
  /** For drifted objects: the differing fields, in document order. */
  drift?: FieldDrift[];
  /** For unready objects: the readiness reason with pod reasons and recent events. */
  reason?: string;
}

/** Everything verify-install found. */
export interface VerifyReport {
  revision: string;
  namespace: string;
  /** Rendered objects first (install order), then extra objects. */
  objects: ObjectCheck[];
  counts: { customResourceDefinitions: number; deployments: number; daemonSets: number; objects: number };
  /** Number of objects per problem status. */
  problems: { missing: number; drifted: number; unready: number; extra: number };
}

/** What to compare the cluster with. */
export interface VerifyInput {
  /** The rendering, in install order. */
  rendering: readonly RenderedObject[];
  /** Revision of the rendering ('' for default). */
  revision: string;
  /** Install namespace of the rendering. */
  namespace: string;
  /**
   * Field paths (as `diffRendered` patterns, `[]` for any index) per kind that the rendering
   * cannot reproduce and so are not compared, e.g. `{ ConfigMap: ['data.original-values'] }`
   * when rendering from an installed state, which records the merged configuration but not
   * which part the user gave.
   */
  ignoreFields?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Fields that controllers change after install, so a difference there is not drift: istiod
 * turns its validating webhook's failurePolicy to Fail once it serves, and writes caBundles into
 * every webhook it owns (Istio 1.30.3 webhook controllers). Keyed by kind; paths with `[]` match
 * any index.
 */
const CONTROLLER_OWNED: Record<string, readonly string[]> = {
  ValidatingWebhookConfiguration: ['webhooks[].failurePolicy', 'webhooks[].clientConfig.caBundle'],
  MutatingWebhookConfiguration: ['webhooks[].clientConfig.caBundle'],
};

/** Top-level fields the server owns or fills in. */
const SERVER_FIELDS = new Set(['status']);
const OWNER_LABELS: ReadonlySet<string> = new Set(Object.values(LABEL));
const SERVER_METADATA = new Set(['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers']);

/**
 * Returns the differences between `want` (a rendered object) and `live`, considering only fields
 * present in `want` (fields the server or a controller adds are not drift) and skipping
 * server-populated metadata, `status`, the controller-owned fields above, and `spec.replicas` when
 * `scaledByAutoscaler` (an HPA owns it) and the `alsoIgnore` patterns. Owner labels are skipped
 * too: install sets them over the chart's. Lists are compared element by element and must have the
 * same length. A rendered zero value matches an absent live field (see `isZeroValue`): the API
 * server stores objects through Go types whose `omitempty` fields drop `""`, `0`, `false`, `null`,
 * `{}` and `[]`, so a rendered `- name: PLATFORM` / `value: ""` reads back without `value`. Resource
 * quantities compare by value (`2000m` equals `2`), as the API server canonicalises them.
 *
 * The cost of the zero-value rule: a pointer field (which the server keeps even when zero, such as
 * `automountServiceAccountToken: false`) that someone deleted from the live object is not reported.
 */
export function diffRendered(want: K8sObject, live: K8sObject, scaledByAutoscaler = false, alsoIgnore: readonly string[] = []): FieldDrift[] {
  const ignored = new Set([...CONTROLLER_OWNED[want.kind] ?? [], ...alsoIgnore]);
  if (scaledByAutoscaler) ignored.add('spec.replicas');
  const out: FieldDrift[] = [];
  const walk = (w: Json | undefined, h: Json | undefined, path: string, pattern: string): void => {
    if (ignored.has(pattern)) return;
    if (w === undefined) return;
    if (isZeroValue(w) && (h === undefined || isEmpty(h))) return;
    if (isObject(w)) {
      if (!isObject(h)) {
        out.push({ path, want: w, have: h });
        return;
      }
      for (const [k, v] of Object.entries(w)) {
        const p = path ? `${path}.${k}` : k;
        const pat = pattern ? `${pattern}.${k}` : k;
        if (!path && SERVER_FIELDS.has(k)) continue;
        if (path === 'metadata' && SERVER_METADATA.has(k)) continue;
        // Owner labels are set at install time over the chart's (owning-resource: unknown); ownership is checked as "extra".
        if (path === 'metadata.labels' && OWNER_LABELS.has(k)) continue;
        walk(v, h[k], p, pat);
      }
      return;
    }
    if (Array.isArray(w)) {
      if (!Array.isArray(h) || h.length !== w.length) {
        out.push({ path, want: w, have: h });
        return;
      }
      w.forEach((v, i) => walk(v, h[i], `${path}[${i}]`, `${pattern}[]`));
      return;
    }
    if (!sameScalar(w, h)) out.push({ path, want: w, have: h });
  };
  walk(want as unknown as Json, live as unknown as Json, '', '');
  return out;
}

function isEmpty(v: Json): boolean {
  return v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/**
 * True for a value the API server may leave out when it stores an object: `null`, `""`, `0`,
 * `false`, `[]`, `{}`, and an object all of whose fields are such values (Go's `omitempty` drops
 * each of them, so such an object reads back as `{}` or not at all).
 */
function isZeroValue(v: Json): boolean {
  if (v === '' || v === 0 || v === false || isEmpty(v)) return true;
  return isObject(v) && Object.values(v).every(isZeroValue);
}

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const QUANTITY_FACTOR: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Returns a Kubernetes quantity's value, or undefined for anything else. */
function quantityValue(v: Json | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v);
  return m ? Number(m[1]) * QUANTITY_FACTOR[m[2] ?? '']! : undefined;
}

function sameScalar(w: Json, h: Json | undefined): boolean {
  if (w === h) return true;
  if (typeof w === 'string' && typeof h === 'string' || typeof w === 'number' || typeof h === 'number') {
    const a = quantityValue(w);
    const b = quantityValue(h);
    if (a !== undefined && b !== undefined) return Math.abs(a - b) <= Math.abs(a) * 1e-9;
  }
  return false;
}

/** Returns the names (`namespace/name`) of Deployments an HPA of the rendering scales. */
function autoscaledWorkloads(rendering: readonly RenderedObject[]): Set<string> {
  const out = new Set<string>();
  for (const { object } of rendering) {
    if (object.kind !== 'HorizontalPodAutoscaler') continue;
    const target = (object.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    if (target?.name) out.add(`${target.kind ?? 'Deployment'}/${object.metadata.namespace ?? ''}/${target.name}`);
  }
  return out;
}

/**
 * Compares the rendering with the cluster and returns the verdict on every rendered object
 * (in rendering order) and on every extra object: one the revision owns (labels `istio.io/rev`
 * and `operator.istio.io/component`, over the kinds uninstall lists and CRDs) that the rendering
 * does not contain. Installed-state ConfigMaps, pods and objects labelled
 * `install.operator.istio.io/owning-resource-not-pruned=true` (made on purpose beside the
 * rendering, like revision tags) are never extra. An unready object gets `explainUnready`'s
 * reason. While a `default` revision tag exists, the default revision's injector webhooks are
 * expected deactivated, as install applies them (src/kube/takeover.ts). Throws KubeError /
 * ClusterUnreachableError from the client.
 */
export async function verifyInstallation(client: KubeClient, input: VerifyInput): Promise<VerifyReport> {
  const scaled = autoscaledWorkloads(input.rendering);
  const objects: ObjectCheck[] = [];
  const rendered = new Set<string>();
  // Install keeps the default revision's own injector deactivated while a `default` tag injects in its place.
  const deactivated = input.rendering.some((r) => isDefaultRevisionInjector(r.object)) && await hasDefaultTag(client, input.namespace);
  for (const { component, object: renderedObject } of input.rendering) {
    const object = deactivated && isDefaultRevisionInjector(renderedObject) ? deactivatedWebhook(renderedObject) : renderedObject;
    const ref = refOf(object);
    rendered.add(refKey(ref));
    const live = await client.get(ref);
    if (!live) {
      objects.push({ ref, component, status: 'missing' });
      continue;
    }
    const drift = diffRendered(object, live, scaled.has(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`), input.ignoreFields?.[object.kind]);
    if (drift.length) {
      objects.push({ ref, component, status: 'drifted', drift });
      continue;
    }
    if (isWaitedKind(object.kind) && readinessOf(live) !== undefined) {
      objects.push({ ref, component, status: 'unready', reason: await explainUnready(client, object) });
      continue;
    }
    objects.push({ ref, component, status: 'ok' });
  }
  objects.push(...await findExtra(client, input.revision, rendered));

  const count = (kind: string) => input.rendering.filter((r) => r.object.kind === kind).length;
  const problems = { missing: 0, drifted: 0, unready: 0, extra: 0 };
  for (const o of objects) if (o.status !== 'ok') problems[o.status]++;
  return {
    revision: input.revision,
    namespace: input.namespace,
    objects,
    counts: {
      customResourceDefinitions: count('CustomResourceDefinition'),
      deployments: count('Deployment'),
      daemonSets: count('DaemonSet'),
      objects: input.rendering.length,
    },
    problems,
  };
}

async function findExtra(client: KubeClient, revision: string, rendered: Set<string>): Promise<ObjectCheck[]> {
  const labelSelector = `${LABEL.revision}=${revisionLabel(revision)},${LABEL.component}`;
  const kinds = [...PRUNABLE_KINDS, ...PURGE_ONLY_KINDS].filter((k) => k.kind !== 'Pod');
  const extra: ObjectCheck[] = [];
  const stateName = stateConfigMapName('');
  for (const k of kinds) {
    if (!(await client.resourceFor(k.apiVersion, k.kind))) continue;
    for await (const live of client.list(k.apiVersion, k.kind, { labelSelector })) {
      const ref = refOf({ ...live, apiVersion: k.apiVersion });
      if (rendered.has(refKey(ref))) continue;
      if (live.metadata.labels?.[LABEL.notPruned] === 'true') continue;
      if (k.kind === 'ConfigMap' && (ref.name === stateName || ref.name.startsWith(`${stateName}-`))) continue;
      if (live.metadata.deletionTimestamp) continue;
      extra.push({ ref, component: live.metadata.labels?.[LABEL.component] ?? '', status: 'extra' });
    }
  }
  return extra;
}

/** Returns `name.namespace` (istioctl's form) or `name` for cluster-scoped objects. */
export function dottedName(ref: ObjectRef): string {
  return ref.namespace ? `${ref.name}.${ref.namespace}` : ref.name;
}

/** Returns the one-line problem of a check (`''` for ok), e.g. `drifted: spec.replicas: want 1, have 3`. */
export function describeProblem(check: ObjectCheck, maxFields = 3): string {
  switch (check.status) {
    case 'ok':
      return '';
    case 'missing':
      return 'missing: not found in the cluster';
    case 'extra':
      return `extra: labelled for this revision (component ${check.component || 'unknown'}) but not in the rendering`;
    case 'unready':
      return `not ready: ${check.reason ?? ''}`;
    case 'drifted': {
      const d = check.drift ?? [];
      const shown = d.slice(0, maxFields).map((f) => `${f.path}: want ${short(f.want)}, have ${f.have === undefined ? '(absent)' : short(f.have)}`);
      return `drifted: ${shown.join('; ')}${d.length > maxFields ? `; and ${d.length - maxFields} more field(s)` : ''}`;
    }
  }
}

function short(v: Json): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
