/**
 * The installer behind `meshctl install` and `meshctl upgrade`: applies a rendering to a cluster
 * the way istioctl's installer does (operator/pkg/install/install.go, Istio 1.30.3; reference
 * section 2.4), then prunes what the previous installation had and the new one does not, and
 * records what it installed. All cluster I/O goes through `KubeClient`; everything meant for
 * people goes through an `InstallReporter`, so the engine never touches a terminal.
 */
import { createHash } from 'node:crypto';
import { InterruptedError } from '../errors.js';
import { isObject, type Json, type K8sObject } from '../manifest/objects.js';
import { toJson, toYaml } from '../manifest/serialize.js';
import { ISTIO_VERSION } from '../render/context.js';
import type { MeshConfiguration } from '../render/config.js';
import type { ComponentName, Rendering } from '../render/render.js';
import { diffLive, withoutServerFields, type LiveDiff } from './live-diff.js';
import {
  FIELD_MANAGER, LABEL, ownerLabels, readInstalledState, stateConfigMap, stateConfigMapName,
  type InstalledState, type InventoryEntry,
} from './owner.js';
import { applyEntry, projectFields } from './managed-fields.js';
import { mapLimit } from './map-limit.js';
import { KubeError } from './errors.js';
import { explainUnready, isWaitedKind, readinessOf } from './readiness.js';
import { formatRef, refOf } from './refs.js';
import { compareVersions, minorGap, minorOf } from './mesh-versions.js';
import { readRevisionVersions } from './installed-versions.js';
import { sleep } from './sleep.js';
import { deactivatedWebhook } from '../render/revision-tag.js';
import {
  appliedByIstioctl, findIstioctlLeftovers, findIstioctlObjects, hasDefaultTag, isDefaultRevisionInjector,
  ISTIOCTL_FIELD_MANAGER, releaseIstioctlFields,
} from './takeover.js';
import type { KubeClient, ObjectRef } from './types.js';

export { InterruptedError };

/** Oldest Kubernetes minor version Istio 1.30 supports (`MinK8SVersion`, reference section 0). */
export const MIN_KUBERNETES_MINOR = 32;

/** Default `--readiness-timeout`, ms (istioctl: 300s). */
export const DEFAULT_READINESS_TIMEOUT_MS = 300_000;

/** Default interval between readiness checks, ms (istioctl polls every 2 s). */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Requests in flight at once per component. The API server handles them independently; one at a time is what makes `kubectl apply` slow. */
const APPLY_CONCURRENCY = 16;

/**
 * First readiness re-check after the immediate one, ms; later ones double up to `pollIntervalMs`.
 * A healthy cluster establishes CRDs within milliseconds and the first re-check usually finds
 * them; a real rollout takes seconds, so the doubling reaches the full interval after a few
 * cheap checks.
 */
const FIRST_RECHECK_MS = 10;

/**
 * Longest time a readiness read waits for components that are still applying, ms, so that the
 * reads of components installed side by side (the gateways) go out as one list.
 */
const MAX_READ_HOLD_MS = 20;

/** A component as istioctl reports it (operator/pkg/install/progress.go), with what it waits for first. */
interface ComponentDef {
  name: ComponentName;
  /** Name in progress lines. */
  title: string;
  /** istioctl's emoji suffix of the `✔` line. */
  emoji: string;
  /** Components that must be installed and ready first (istioctl's dependency graph). */
  after: ComponentName[];
}

/**
 * Components with istioctl's dependency graph (operator/pkg/install/install.go, Istio 1.30.3):
 * Base -> {Pilot, Cni}; Pilot -> {IngressGateways, EgressGateways}; Cni -> Ztunnel. Components
 * whose dependencies are done run concurrently; their `✔` lines come in this table's order.
 * Titles and emoji are istioctl's (operator/pkg/component/component.go).
 */
const COMPONENTS: readonly ComponentDef[] = [
  { name: 'Base', title: 'Istio core', emoji: '⛵️', after: [] },
  { name: 'Pilot', title: 'Istiod', emoji: '🧠', after: ['Base'] },
  { name: 'Cni', title: 'CNI', emoji: '🪢', after: ['Base'] },
  { name: 'Ztunnel', title: 'Ztunnel', emoji: '🔒', after: ['Cni'] },
  { name: 'IngressGateways', title: 'Ingress gateways', emoji: '🛬', after: ['Pilot'] },
  { name: 'EgressGateways', title: 'Egress gateways', emoji: '🛫', after: ['Pilot'] },
];

/** What istioctl prints after installing the `ambient` profile (operator/cmd/mesh/install.go, Istio 1.30.3; that profile only, not openshift-ambient). */
export const AMBIENT_CLOSING_LINE = 'The ambient profile has been installed successfully, enjoy Istio without sidecars!';

/** Where the installer's messages for people go; the CLI draws them (spinner, lines, prompt). */
export interface InstallReporter {
  /** A warning, already phrased (no `Warning:` prefix). */
  warn(text: string): void;
  /** Asks for confirmation; resolves false to cancel. May throw when it cannot ask (no terminal). */
  confirm(question: string): Promise<boolean>;
  /**
   * What is happening now (spinner text), e.g. `Processing resources for Istiod. Waiting for
   * Deployment/istio-system/istiod`; undefined clears it. `waiting` lists the objects waited for
   * (empty while applying), so output without a spinner can log only the waits.
   */
  status(text: string | undefined, waiting?: readonly string[]): void;
  /** A progress line that stays: `✔ Istiod installed`, `✘ ...`, `- Pruning removed resources`. */
  line(text: string): void;
  /** Data for stdout (the dry-run diff). */
  data(text: string): void;
}

/** What to install. */
export interface InstallRequest {
  /** `install` or `upgrade` (upgrade adds the version-skew checks). */
  command: 'install' | 'upgrade';
  config: MeshConfiguration;
  rendering: Rendering;
  /** meshctl's version, recorded in the installed state. */
  clientVersion: string;
}

/** How to install. */
export interface InstallOptions {
  /** Touch nothing; show what would change (server-side dry run and a diff against live objects). */
  dryRun: boolean;
  /** Skip the confirmation prompt (`-y`). */
  yes: boolean;
  /** Longest wait for one component's resources to become ready, ms. */
  readinessTimeoutMs: number;
  /** Longest interval between readiness checks, ms (first checks come sooner; see `waitReady`). */
  pollIntervalMs: number;
  /** Aborted on Ctrl-C: the installer stops between requests and throws InterruptedError. */
  signal?: AbortSignal;
  /** Add istioctl's emoji to `✔` lines (terminals only; logs stay plain). */
  emoji?: boolean;
  /** Clock, ms since the epoch (injected for tests). Default Date.now. */
  now?: () => number;
}

/** How one object's apply turned out. `unchanged`: its content is what the last install left. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** What an install did, or would do on a dry run. */
export interface InstallResult {
  /** The user answered no at the prompt; nothing was changed. */
  cancelled: boolean;
  /** Objects applied (or, on a dry run, planned), by outcome. */
  counts: Record<ApplyOutcome, number>;
  /** Objects pruned (or that would be). */
  pruned: ObjectRef[];
  /** Dry run only: one entry per object, in apply order, then the prunes. */
  diffs: LiveDiff[];
  /** Dry run only: namespaces that would be created. */
  namespacesToCreate: string[];
}

/** Why a component failed (printed as `✘ <title> encountered an error: <detail>`). */
export class ComponentError extends Error {
  override name = 'ComponentError';
  constructor(readonly component: ComponentName, readonly title: string, readonly detail: string) {
    super(`${title}: ${detail}`);
  }
}

/** An inventory entry with what the installer remembers about the applied object, to tell unchanged objects on the next run. */
interface RecordedEntry extends InventoryEntry {
  /**
   * resourceVersion the apply answered with. Written by earlier releases only: other managers
   * move it (status, caBundle writes), so a record holding it would change on every run.
   */
  resourceVersion?: string;
  /** `fingerprint()` of the apply answer. */
  fingerprint?: string;
}

interface Desired {
  component: ComponentName;
  object: K8sObject;
  key: string;
}

/** `Kind/namespace/name`: identity across apiVersion changes, as istioctl's prune keys objects. */
function keyOf(ref: Pick<ObjectRef, 'kind' | 'name' | 'namespace'>): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/**
 * Returns `obj` with the owner labels merged over its own (only metadata.labels; pod templates keep
 * theirs). A shallow copy: the rest is shared with the rendering, which nothing here modifies.
 */
function withOwnerLabels(obj: K8sObject, component: ComponentName, config: MeshConfiguration): K8sObject {
  const labels = { ...(obj.metadata.labels ?? {}), ...ownerLabels(component, config.revision, config.namespace, ISTIO_VERSION) };
  return { ...obj, metadata: { ...obj.metadata, labels } };
}

/**
 * Returns a short digest of what meshctl's apply holds in an object: the values of the fields
 * meshctl's managedFields entry owns, with that entry's API version and time. Fields other
 * managers own are left out: on a real cluster istiod writes the webhooks' caBundle, the
 * deployment controller a revision annotation and status, and none of that is a change meshctl
 * made. The server updates the entry's time whenever meshctl's apply changes one of its fields,
 * so an apply that takes back a field someone else had changed to the old value still shows. An
 * object without a meshctl entry (a server that does not track managed fields) is digested whole,
 * without server-populated fields.
 */
export function fingerprint(obj: K8sObject): string {
  const entry = applyEntry(obj, FIELD_MANAGER);
  let content: unknown;
  if (entry && isObject(entry.fieldsV1)) {
    content = { apiVersion: entry.apiVersion ?? null, time: entry.time ?? null, owned: projectFields(obj as unknown as Json, entry.fieldsV1) };
  } else {
    // withoutServerFields changes only `status` and `metadata`: strip a copy of the metadata rather
    // than a deep copy of the whole object (a CRD's schema is hundreds of KB). Same digest.
    const { status: _status, ...rest } = obj;
    const metadata = withoutServerFields({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata })!.metadata;
    content = { ...rest, metadata };
  }
  return createHash('sha256').update(toJson(content)).digest('hex').slice(0, 16);
}

/**
 * Returns how an apply turned out, from its response and what the last install recorded: the
 * same fingerprint (meshctl's fields and their values as recorded: a server-side apply that
 * changes nothing leaves them, and meshctl's managedFields entry, as they were) is `unchanged`,
 * whatever other managers wrote since; so is the recorded resourceVersion of an earlier
 * release's record. The server's answers decide the rest: 201 Created is `created`, whatever
 * the record says (someone deleted the object). An object that existed but that no record
 * covers (an interrupted run applied it: the record is written only at the end) is compared with
 * the resourceVersion read just before the apply (`answer.resourceVersionBefore`): a server-side
 * apply that changes nothing is not stored, so the same resourceVersion is `unchanged`, another
 * one `configured`. Without the answer, an object some other manager also wrote to is
 * `configured`, else `created`.
 */
export function classifyApply(response: K8sObject, recorded: Pick<RecordedEntry, 'resourceVersion' | 'fingerprint'> | undefined, answer?: { created: boolean; resourceVersionBefore?: string }): ApplyOutcome {
  if (answer?.created) return 'created';
  if (recorded) {
    if (recorded.resourceVersion && recorded.resourceVersion === response.metadata.resourceVersion) return 'unchanged';
    if (recorded.fingerprint && recorded.fingerprint === fingerprint(response)) return 'unchanged';
    return 'configured';
  }
  const managed = Array.isArray(response.metadata.managedFields) ? response.metadata.managedFields.filter(isObject) : [];
  if (answer) {
    return answer.resourceVersionBefore !== undefined && answer.resourceVersionBefore === response.metadata.resourceVersion ? 'unchanged' : 'configured';
  }
  const others = managed.filter((m) => !m.subresource && m.manager !== FIELD_MANAGER);
  return others.length ? 'configured' : 'created';
}

/** What `versionWarnings` knows about the revisions beside the one being installed. */
export interface VersionContext {
  /** The revision being installed ('' for the default revision). */
  revision: string;
  /** The other revisions in the install namespace and the versions they run (`readRevisionVersions`). */
  others: readonly { revision: string; version: string }[];
}

/** Where Istio documents canary upgrades (the istio-discovery chart's README links it, Istio 1.30.3). */
export const CANARY_UPGRADE_DOCS = 'https://istio.io/latest/docs/setup/upgrade/canary/';

/** Returns the revision name Istio's documentation uses for a version: `1.30.3` → `1-30-3`. */
export function revisionNameFor(version: string): string {
  return version.replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-+|-+$/g, '');
}

/**
 * Returns warnings about moving from the installed Istio version to this one.
 *
 * For every command: istioctl's upgrade/downgrade note. An in-place move (the same revision)
 * that skips a minor version, or goes back across one, gets a warning that says what to do
 * instead: upgrade one minor version at a time (the control plane may be at most one minor
 * version ahead of its proxies, Istio's skew policy), or a canary upgrade with the commands that
 * make one. For `upgrade`, a revision with nothing installed says so. With `context`, each other
 * revision running another version gets a note on the canary upgrade this makes: the skew policy
 * each proxy stays within, Istio's canary upgrade documentation for how far one may span, and the
 * commands that move namespaces and remove the old revision.
 */
export function versionWarnings(
  command: 'install' | 'upgrade', installed: string | undefined, target: string, where: string, context?: VersionContext,
): string[] {
  const out: string[] = [];
  const revision = context?.revision || 'default';
  for (const other of context?.others ?? []) {
    if (other.revision === revision || other.version === target) continue;
    const older = compareVersions(other.version, target) < 0;
    out.push(`revision "${revision}" gets Istio ${target} beside revision "${other.revision}" at ${other.version}: `
      + `${older ? 'a canary upgrade' : `moving workloads to it from "${other.revision}" is a downgrade`}. `
      + 'Each proxy must stay within Istio\'s skew policy against the istiod that serves it (at most one minor version behind, never ahead); '
      + `how many minor versions a canary upgrade may span is stated in ${CANARY_UPGRADE_DOCS}. `
      + `Move namespaces with meshctl tag set <tag> -r ${revision} --overwrite or kubectl label namespace <namespace> istio.io/rev=${revision} --overwrite, `
      + `restart their workloads, then remove the ${older ? 'old control plane' : `revision "${other.revision}"`}: meshctl uninstall -r ${other.revision}`);
  }
  if (!installed) {
    if (command === 'upgrade') out.unshift(`no installation recorded for ${where}; upgrade will install Istio ${target} fresh`);
    return out;
  }
  if (installed === target) return out;
  const gap = minorGap(installed, target);
  const from = minorOf(installed);
  const notes: string[] = [compareVersions(installed, target) < 0 || gap === undefined ? `Istio is being upgraded from ${installed} to ${target}.` : `Istio is being downgraded from ${installed} to ${target}.`];
  if (gap !== undefined && from && gap > 1) {
    const next = revisionNameFor(target);
    const legacy = revision === 'default' ? ' istio-injection-' : '';
    notes.push(`upgrading from ${installed} to ${target} skips ${gap - 1} minor version${gap > 2 ? 's' : ''}: Istio supports in-place upgrades of one minor version at a time, `
      + `and proxies may be at most one minor version behind the control plane. Upgrade to ${from.major}.${from.minor + 1} first, `
      + `or make it a canary upgrade: install ${target} beside the current control plane as a new revision (meshctl install -r ${next}), `
      + `move namespaces to it (meshctl tag set <tag> -r ${next} --overwrite where they use a tag, else kubectl label namespace <namespace> istio.io/rev=${next}${legacy} --overwrite), `
      + `restart their workloads, then remove the old revision (meshctl uninstall -r ${revision}); see ${CANARY_UPGRADE_DOCS}`);
  } else if (gap !== undefined && from && gap < 0) {
    notes.push(`downgrading from ${installed} to ${target} is outside Istio's supported upgrade policy (one minor version forward at a time); `
      + `prefer reinstalling ${installed} with the meshctl release that installed it`);
  }
  return [...notes, ...out];
}


/** A readiness read waiting to go out: the objects to read, and where their live copies go. */
interface QueuedRead {
  objects: readonly K8sObject[];
  resolve: (live: (K8sObject | undefined)[]) => void;
  reject: (err: unknown) => void;
}

/** Installs one rendering; one instance per run (holds the run's progress state). */
class Installer {
  private readonly counts: Record<ApplyOutcome, number> = { created: 0, configured: 0, unchanged: 0 };
  private readonly applied = new Map<ComponentName, number>();
  /** Content digest of each apply answer, by key (for the state record). */
  private readonly fingerprints = new Map<string, string>();
  /** Apply answers whose digest is not taken yet: digests wait for idle time (see digestPending). */
  private readonly undigested: { key: string; response: K8sObject }[] = [];
  /** Per active component: undefined while applying, else the objects waited for. */
  private readonly activity = new Map<ComponentName, string[] | undefined>();
  private readonly now: () => number;
  private readonly recorded = new Map<string, RecordedEntry>();
  /** Components that have applies in flight. */
  private applying = 0;
  /** Called when `applying` drops to 0. */
  private readonly onSettled = new Set<() => void>();
  /** Readiness reads not sent yet; they go out together (see readLive). */
  private readonly reads: QueuedRead[] = [];
  /** Objects an istioctl installation of this revision has that the rendering lacks: pruned with the rest (see announceTakeover). */
  private istioctlLeftovers: ObjectRef[] = [];
  /** Keys of the objects announceTakeover named. */
  private readonly announced = new Set<string>();
  /** Objects istioctl had applied that announceTakeover could not name (recorded ones, not read before): reported after applying. */
  private retaken = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly req: InstallRequest,
    private readonly opts: InstallOptions,
    private readonly out: InstallReporter,
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get stateName(): string {
    return stateConfigMapName(this.req.config.revision);
  }

  private where(): string {
    const rev = this.req.config.revision;
    return `${rev ? `revision "${rev}"` : 'the default revision'} in namespace ${this.req.config.namespace}`;
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw new InterruptedError();
  }

  async run(): Promise<InstallResult> {
    const { config, rendering } = this.req;
    const desired: Desired[] = rendering.objects.map(({ component, object }) => {
      const obj = withOwnerLabels(object, component, config);
      return { component, object: obj, key: keyOf(refOf(obj)) };
    });
    try {
      // The server version, the installed state and, when there is nothing to confirm, the
      // namespaces are independent of each other: one round trip for all of them. Creating a
      // namespace changes nothing the state read or the warnings depend on.
      const namespacesFirst = this.opts.yes && !this.opts.dryRun;
      const [kubernetesWarning, previous] = await Promise.all([
        this.kubernetesVersionWarning(),
        readInstalledState(this.client, config.namespace, config.revision),
        namespacesFirst ? this.applyNamespaces(desired) : undefined,
        this.keepTaggedInjectorDeactivated(desired),
      ]);
      if (kubernetesWarning) this.out.warn(kubernetesWarning);
      // Without a record (an istioctl install, a lost record) the revision's istiod Deployment says what runs.
      const running = await readRevisionVersions(this.client, config.namespace);
      const revision = config.revision || 'default';
      const installed = previous?.istioVersion ?? running.find((r) => r.revision === revision)?.version;
      const others = running.filter((r) => r.revision !== revision);
      for (const w of versionWarnings(this.req.command, installed, ISTIO_VERSION, this.where(), { revision: config.revision, others })) this.out.warn(w);
      await this.announceTakeover(desired, previous);
      if (this.opts.dryRun) return await this.dryRun(desired, previous);
      if (!this.opts.yes) {
        const ok = await this.out.confirm(`This will install the Istio ${ISTIO_VERSION} profile "${config.profile}" into the cluster. Proceed? (y/N)`);
        if (!ok) return { cancelled: true, counts: this.counts, pruned: [], diffs: [], namespacesToCreate: [] };
      }
      for (const e of (previous?.inventory ?? []) as RecordedEntry[]) this.recorded.set(keyOf(e), e);
      if (!namespacesFirst) await this.applyNamespaces(desired);
      await this.applyComponents(desired);
      if (this.retaken) this.out.line(`- Took back ${this.retaken} object${this.retaken === 1 ? '' : 's'} istioctl had applied since meshctl's last install (field manager ${ISTIOCTL_FIELD_MANAGER})`);
      const pruned = await this.prune(desired, previous);
      await this.writeState(desired);
      this.out.status(undefined);
      this.out.line('✔ Installation complete');
      this.out.line(this.summary(desired.length, pruned.length));
      if (config.profile === 'ambient') this.out.line(AMBIENT_CLOSING_LINE);
      return { cancelled: false, counts: this.counts, pruned, diffs: [], namespacesToCreate: [] };
    } catch (err) {
      this.out.status(undefined);
      if (err instanceof InterruptedError || this.opts.signal?.aborted) throw this.interrupted(desired);
      throw err;
    }
  }

  /**
   * Says how many objects of the rendering istioctl installed and meshctl has not applied yet
   * (their live copies carry an `istio-operator` Apply entry and no `meshctl` one): the forced
   * applies take them over, as istioctl's own forced applies would, and each object's remaining
   * istioctl fields are released after meshctl's apply (applyOne). Objects of istioctl's
   * installation that the rendering lacks are pruned, as istioctl's own prune would on the same
   * switch (looked for when taking over, and whenever the revision has no installed-state record).
   * Objects the installed-state record covers are meshctl's already and are not read.
   */
  private async announceTakeover(desired: readonly Desired[], previous: InstalledState | undefined): Promise<void> {
    const recorded = new Set((previous?.inventory ?? []).map((e) => keyOf(e)));
    const { revision, namespace } = this.req.config;
    const leftovers = () => findIstioctlLeftovers(this.client, revision, namespace, new Set(desired.map((d) => d.key)), new Set(COMPONENTS.map((c) => c.name)));
    // Without a record of this revision (a first install, or a takeover interrupted before its
    // record was written), istioctl's leftovers are looked for in any case.
    const [taken, early] = await Promise.all([
      findIstioctlObjects(this.client, desired.filter((d) => !recorded.has(d.key)).map((d) => d.object)),
      previous ? undefined : leftovers(),
    ]);
    this.istioctlLeftovers = early ?? (taken.length ? await leftovers() : []);
    if (!taken.length) return;
    for (const r of taken) this.announced.add(keyOf(r));
    const n = `${taken.length} object${taken.length === 1 ? '' : 's'}`;
    this.out.line(this.opts.dryRun
      ? `- Would take over ${n} installed by istioctl (field manager ${ISTIOCTL_FIELD_MANAGER})`
      : `- Taking over ${n} installed by istioctl (field manager ${ISTIOCTL_FIELD_MANAGER}): meshctl's rendering replaces istioctl's, and meshctl manages ${taken.length === 1 ? 'it' : 'them'} from now on`);
  }

  /**
   * While a `default` revision tag exists, applies the default revision's own injector webhook
   * configuration deactivated (see `deactivatedWebhook`), as istioctl's install leaves it: the
   * tag's webhook injects for that revision's namespaces in its place.
   */
  private async keepTaggedInjectorDeactivated(desired: Desired[]): Promise<void> {
    const injectors = desired.filter((d) => isDefaultRevisionInjector(d.object));
    if (!injectors.length || !(await hasDefaultTag(this.client, this.req.config.namespace))) return;
    for (const d of injectors) d.object = deactivatedWebhook(d.object);
  }

  /** Returns a warning (not an error, as istioctl) below Istio's minimum Kubernetes version, else undefined. */
  private async kubernetesVersionWarning(): Promise<string | undefined> {
    const v = await this.client.serverVersion();
    const major = Number(v.major);
    const minor = Number(v.minor);
    if (major === 1 && Number.isFinite(minor) && minor < MIN_KUBERNETES_MINOR) {
      return `Kubernetes ${v.gitVersion} is older than what Istio ${ISTIO_VERSION} supports (1.${MIN_KUBERNETES_MINOR} or newer). `
        + 'meshctl continues, but the mesh may not work as expected; see https://istio.io/latest/docs/releases/supported-releases/ for supported versions.';
    }
    return undefined;
  }

  /** The namespaces objects go into, install namespace first. */
  private namespaces(desired: readonly Desired[]): string[] {
    const set = new Set<string>([this.req.config.namespace]);
    for (const d of desired) if (d.object.metadata.namespace) set.add(d.object.metadata.namespace);
    return [...set];
  }

  private namespaceObject(name: string): K8sObject {
    const ns: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    // istioctl labels the install namespace with the network when one is configured (install.go).
    const global = this.req.config.values.global;
    const network = isObject(global) && typeof global.network === 'string' ? global.network : '';
    if (network && name === this.req.config.namespace) ns.metadata.labels = { 'topology.istio.io/network': network };
    return ns;
  }

  /**
   * Creates the namespaces that do not exist and waits until every one is Active. As istioctl
   * does (it creates a missing namespace and leaves an existing one alone), and not by
   * server-side apply: a namespace applied with no field of meshctl's own gets no managedFields
   * entry for meshctl, and the server then records its own fields under `before-first-apply` at
   * the next apply, a write on a run that changes nothing. The install namespace's network label,
   * when configured, is applied (and so owned by meshctl) where it is missing or different.
   */
  private async applyNamespaces(desired: readonly Desired[]): Promise<void> {
    const deadline = this.now() + this.opts.readinessTimeoutMs;
    await mapLimit(this.namespaces(desired), APPLY_CONCURRENCY, this.opts.signal, (ns) => this.ensureNamespace(ns, deadline));
  }

  /**
   * Makes one namespace exist and be Active. A namespace still Terminating from a delete (its
   * contents are being removed, which takes a while on a real cluster) is waited for and created
   * again once it is gone. Throws ComponentError when it is not Active by `deadline`.
   */
  private async ensureNamespace(name: string, deadline: number): Promise<void> {
    const want = this.namespaceObject(name);
    const ref = refOf(want);
    let delay = 0;
    for (;;) {
      this.checkAbort();
      let live = await this.client.get(ref);
      if (!live) {
        try {
          live = await this.client.create(want);
        } catch (err) {
          // Created meanwhile by someone else, or still being deleted: look again.
          if (err instanceof KubeError && err.status === 409) continue;
          throw err;
        }
      }
      if (readinessOf(live) === undefined) {
        const labels = live.metadata.labels ?? {};
        if (Object.entries(want.metadata.labels ?? {}).some(([k, v]) => labels[k] !== v)) await this.client.apply(want, { force: true });
        return;
      }
      const left = deadline - this.now();
      if (left <= 0) throw await this.timeout('Base', 'Istio core', [live]);
      delay = delay === 0 ? Math.min(FIRST_RECHECK_MS, this.opts.pollIntervalMs) : Math.min(delay * 2, this.opts.pollIntervalMs);
      this.out.status(`Waiting for ${formatRef(ref)} (${readinessOf(live)})`, [formatRef(ref)]);
      await sleep(Math.min(delay, left), this.opts.signal);
    }
  }

  /** Applies the components in dependency order, independent ones concurrently; prints their lines in table order. */
  private async applyComponents(desired: readonly Desired[]): Promise<void> {
    const outcome = new Map<ComponentName, Promise<'done' | 'skipped' | 'failed'>>();
    const finished: ('done' | 'skipped' | 'failed' | undefined)[] = COMPONENTS.map(() => undefined);
    const lines: (string | undefined)[] = COMPONENTS.map(() => undefined);
    let printed = 0;
    const flush = () => {
      while (printed < COMPONENTS.length && finished[printed] !== undefined) {
        const line = lines[printed];
        if (line) this.out.line(line);
        printed++;
      }
    };
    const errors: unknown[] = [];
    COMPONENTS.forEach((def, i) => {
      outcome.set(def.name, (async () => {
        const deps = await Promise.all(def.after.map((a) => outcome.get(a)!));
        const items = desired.filter((d) => d.component === def.name);
        let result: 'done' | 'skipped' | 'failed' = 'done';
        if (deps.some((d) => d !== 'done')) result = 'skipped';
        else if (items.length) {
          try {
            await this.installComponent(def, items);
            lines[i] = `✔ ${def.title} installed${this.opts.emoji ? ` ${def.emoji}` : ''}`;
          } catch (err) {
            result = 'failed';
            errors.push(err);
            if (!(err instanceof InterruptedError) && !this.opts.signal?.aborted) {
              const detail = err instanceof ComponentError ? err.detail : err instanceof Error ? err.message : String(err);
              lines[i] = `✘ ${def.title} encountered an error: ${detail}`;
            }
          }
        }
        finished[i] = result;
        this.activity.delete(def.name);
        this.showActivity();
        flush();
        return result;
      })());
    });
    await Promise.all(outcome.values());
    if (errors.length) {
      const interrupted = errors.find((e) => e instanceof InterruptedError);
      if (interrupted || this.opts.signal?.aborted) throw interrupted ?? new InterruptedError();
      const failed = errors.map((e) => (e instanceof ComponentError ? e.title : e instanceof Error ? e.message : String(e)));
      const total = this.totalApplied();
      throw new Error(`installation incomplete: ${failed.join(', ')} failed (see above); ${total} of ${desired.length} objects were applied. `
        + 'Fix the cause and run the same command again: it converges from where it stopped');
    }
  }

  private totalApplied(): number {
    let n = 0;
    for (const v of this.applied.values()) n += v;
    return n;
  }

  /**
   * Applies all of a component's objects at once, then waits until its CRDs are Established and
   * its workloads ready. Nothing within a component needs another of its objects to be ready
   * first (the API server accepts a CRD and a ServiceAccount side by side); what needs the CRDs
   * is the next component, and that starts only after this wait.
   */
  private async installComponent(def: ComponentDef, items: readonly Desired[]): Promise<void> {
    this.activity.set(def.name, undefined);
    this.showActivity();
    let responses: K8sObject[];
    // Started: an interrupted run names it, with the applies confirmed so far (all are in flight at once).
    this.applied.set(def.name, 0);
    this.applying++;
    try {
      responses = await mapLimit(items, APPLY_CONCURRENCY, this.opts.signal, (d) => this.applyOne(d));
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      throw new ComponentError(def.name, def.title, err instanceof Error ? err.message : String(err));
    } finally {
      this.applying--;
      if (this.applying === 0) for (const settled of [...this.onSettled]) settled();
    }
    await this.waitReady(def.name, def.title, responses);
  }

  private async applyOne(d: Desired): Promise<K8sObject> {
    this.checkAbort();
    const recorded = this.recorded.get(d.key);
    // Not in the record (a first install, or objects an interrupted run applied): read it first,
    // so the answer can tell unchanged from configured by its resourceVersion.
    // A failed read only loses that distinction (counted configured); the apply reports real errors.
    const before = recorded ? undefined : await this.client.get(refOf(d.object)).catch((err: unknown) => {
      if (err instanceof InterruptedError) throw err;
      return undefined;
    });
    const versionBefore = before?.metadata.resourceVersion;
    let answer = await this.client.applyWithAnswer(d.object, { force: true });
    let response = answer.object;
    if (response.metadata.deletionTimestamp) {
      // Still being deleted (a prune or uninstall moments ago: foreground deletion waits for the
      // object's dependents, a CRD's for its instances). The server accepts the apply, then
      // removes the object all the same; wait until it is gone and create it anew.
      await this.waitGone(d.object);
      answer = await this.client.applyWithAnswer(d.object, { force: true });
      response = answer.object;
    }
    this.counts[classifyApply(response, recorded, { created: answer.created, ...(typeof versionBefore === 'string' ? { resourceVersionBefore: versionBefore } : {}) })]++;
    // Taken over from istioctl: meshctl now owns what it sets; istioctl gives up the rest.
    if (appliedByIstioctl(response)) {
      if (!this.announced.has(d.key)) this.retaken++;
      response = await releaseIstioctlFields(this.client, d.object);
    }
    this.undigested.push({ key: d.key, response });
    this.applied.set(d.component, (this.applied.get(d.component) ?? 0) + 1);
    return response;
  }

  /** Waits until `obj` no longer exists; throws after `readinessTimeoutMs`, saying what still holds it. */
  private async waitGone(obj: K8sObject): Promise<void> {
    const ref = refOf(obj);
    const deadline = this.now() + this.opts.readinessTimeoutMs;
    let delay = Math.min(FIRST_RECHECK_MS, this.opts.pollIntervalMs);
    while (await this.client.get(ref)) {
      const left = deadline - this.now();
      if (left <= 0) {
        throw new Error(`${formatRef(ref)} is still being deleted after ${formatSeconds(this.opts.readinessTimeoutMs)} (${await explainUnready(this.client, obj)}); `
          + 'once it is gone, run the same command again');
      }
      await sleep(Math.min(delay, left), this.opts.signal);
      delay = Math.min(delay * 2, this.opts.pollIntervalMs);
    }
  }

  private showActivity(): void {
    if (this.activity.size === 0) {
      this.out.status(undefined);
      return;
    }
    const active = COMPONENTS.filter((c) => this.activity.has(c.name));
    const waiting = active.flatMap((c) => this.activity.get(c.name) ?? []);
    const titles = active.map((c) => c.title).join(', ');
    // Base waits for 15 CRDs at once; name a few so the line stays readable.
    const shown = waiting.length > 3 ? `${waiting.slice(0, 2).join(', ')} and ${waiting.length - 2} more` : waiting.join(', ');
    this.out.status(`Processing resources for ${titles}.${waiting.length ? ` Waiting for ${shown}` : ''}`, waiting);
  }

  /**
   * Waits until every object of a kind with a readiness rule is ready, or throws ComponentError
   * after `readinessTimeoutMs` (counted from the start of this wait, so slow applies do not eat
   * into it) naming each unready object with its pods' waiting reasons and recent events.
   * The apply answers give the first verdict and the first read follows at once (istioctl also
   * checks once right away); re-checks come after 10 ms, doubling up to `pollIntervalMs`, so a
   * healthy cluster is done in a few milliseconds and a slow rollout costs a few extra cheap
   * reads before istioctl's 2 s rhythm.
   */
  private async waitReady(component: ComponentName, title: string, objects: readonly K8sObject[]): Promise<void> {
    const deadline = this.now() + this.opts.readinessTimeoutMs;
    let pending = objects.filter((o) => isWaitedKind(o.kind) && readinessOf(o) !== undefined);
    let delay = 0;
    while (pending.length) {
      this.checkAbort();
      if (this.activity.has(component)) {
        this.activity.set(component, pending.map((o) => formatRef(refOf(o))));
        this.showActivity();
      }
      const left = deadline - this.now();
      if (left <= 0) throw await this.timeout(component, title, pending);
      if (delay > 0) await sleep(Math.min(delay, left), this.opts.signal);
      delay = delay === 0 ? Math.min(FIRST_RECHECK_MS, this.opts.pollIntervalMs) : Math.min(delay * 2, this.opts.pollIntervalMs);
      const live = await this.readLive(pending);
      pending = pending.filter((_, i) => {
        const l = live[i];
        return !l || readinessOf(l) !== undefined;
      });
    }
  }

  /**
   * Takes the digests of the apply answers not digested yet. Hashing a large CRD takes
   * milliseconds; done while a readiness read is on the wire, it costs no wall time, where done
   * as each answer arrives it would hold up the answers behind it.
   */
  private digestPending(): void {
    for (const { key, response } of this.undigested.splice(0)) this.fingerprints.set(key, fingerprint(response));
  }

  /**
   * Returns live copies of `objects`, in order (undefined for one that is gone). Reads asked for
   * while components are still applying wait for them (at most MAX_READ_HOLD_MS), and all reads
   * waiting go out together: components installed side by side share their lists.
   */
  private readLive(objects: readonly K8sObject[]): Promise<(K8sObject | undefined)[]> {
    return new Promise((resolve, reject) => {
      this.reads.push({ objects, resolve, reject });
      if (this.reads.length === 1) void this.whenSettled().then(() => this.flushReads());
    });
  }

  /** Resolves on a later turn of the event loop once no component is applying, or after MAX_READ_HOLD_MS. */
  private whenSettled(): Promise<void> {
    return new Promise((resolve) => {
      if (this.applying === 0) {
        setImmediate(resolve);
        return;
      }
      const settled = () => {
        clearTimeout(timer);
        this.onSettled.delete(settled);
        // Let the component that just finished applying queue its own read first.
        setImmediate(resolve);
      };
      const timer = setTimeout(settled, MAX_READ_HOLD_MS);
      this.onSettled.add(settled);
    });
  }

  private async flushReads(): Promise<void> {
    const batch = this.reads.splice(0);
    try {
      const reading = this.readAll(batch.flatMap((r) => r.objects));
      // The requests are written by the time the check phase comes round; hash while they travel.
      setImmediate(() => this.digestPending());
      const live = await reading;
      let at = 0;
      for (const r of batch) {
        r.resolve(live.slice(at, at + r.objects.length));
        at += r.objects.length;
      }
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }

  /**
   * Reads the objects, in order; undefined for one that is gone. Several objects of one kind in
   * one namespace are read with one list (owner-label selector), a single one with a GET.
   */
  private async readAll(objects: readonly K8sObject[]): Promise<(K8sObject | undefined)[]> {
    const groups = new Map<string, number[]>();
    objects.forEach((o, i) => {
      const g = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
      groups.set(g, [...(groups.get(g) ?? []), i]);
    });
    const result = new Array<K8sObject | undefined>(objects.length);
    await Promise.all([...groups.values()].map(async (idx) => {
      const first = objects[idx[0]!]!;
      if (idx.length > 1 && first.kind !== 'Namespace') {
        const byName = new Map<string, K8sObject>();
        const selector = `${LABEL.owningResource}=${this.stateName}`;
        for await (const o of this.client.list(first.apiVersion, first.kind, { namespace: first.metadata.namespace, labelSelector: selector })) byName.set(o.metadata.name, o);
        for (const i of idx) result[i] = byName.get(objects[i]!.metadata.name);
      }
      // Not listed (a single object, or one whose owner labels someone changed): read it by name.
      await mapLimit(idx.filter((i) => !result[i]), APPLY_CONCURRENCY, this.opts.signal, async (i) => {
        result[i] = await this.client.get(refOf(objects[i]!));
      });
    }));
    return result;
  }

  private async timeout(component: ComponentName, title: string, pending: readonly K8sObject[]): Promise<ComponentError> {
    const details = await mapLimit(pending, APPLY_CONCURRENCY, this.opts.signal, async (o) => `  ${formatRef(refOf(o))} (${await explainUnready(this.client, o)})`);
    const after = formatSeconds(this.opts.readinessTimeoutMs);
    return new ComponentError(component, title, `resources not ready after ${after}:\n${details.join('\n')}`);
  }

  /**
   * Deletes what the previous installation recorded and this rendering no longer has: never
   * CRDs, never objects labelled `install.operator.istio.io/owning-resource-not-pruned=true`,
   * never objects another installation owns now; when taking over, also what istioctl's
   * installation of this revision has and the rendering lacks. Lists them first, then deletes in reverse
   * install order with foreground propagation (as istioctl prunes).
   */
  private async prune(desired: readonly Desired[], previous: InstalledState | undefined): Promise<ObjectRef[]> {
    const doomed = await this.pruneCandidates(desired, previous);
    if (!doomed.length) return [];
    this.out.line('- Pruning removed resources');
    for (const r of doomed) this.out.line(`  ${formatRef(r)}`);
    await mapLimit([...doomed].reverse(), APPLY_CONCURRENCY, this.opts.signal, (r) => this.client.delete(r, { propagationPolicy: 'Foreground' }));
    this.out.line(`✔ Pruned ${doomed.length} object${doomed.length === 1 ? '' : 's'}`);
    return doomed;
  }

  /** Returns the live objects to prune, in the previous install order, with notes for the ones kept. */
  private async pruneCandidates(desired: readonly Desired[], previous: InstalledState | undefined): Promise<ObjectRef[]> {
    const leftovers = this.istioctlLeftovers;
    if (!previous) return [...leftovers];
    const keep = new Set(desired.map((d) => d.key));
    const candidates = previous.inventory.filter((e) => e.kind !== 'CustomResourceDefinition' && !keep.has(keyOf(e)));
    const live = await mapLimit(candidates, APPLY_CONCURRENCY, this.opts.signal, (e) => this.client.get(stripEntry(e)));
    const out: ObjectRef[] = [];
    candidates.forEach((e, i) => {
      const l = live[i];
      if (!l) return;
      const labels = l.metadata.labels ?? {};
      if (labels[LABEL.notPruned] === 'true') this.out.warn(`keeping ${formatRef(stripEntry(e))}: it is labelled ${LABEL.notPruned}=true`);
      else if (labels[LABEL.owningResource] !== this.stateName) this.out.warn(`keeping ${formatRef(stripEntry(e))}: another installation (${labels[LABEL.owningResource] ?? 'none'}) owns it now`);
      else out.push(stripEntry(e));
    });
    const listed = new Set(out.map((r) => keyOf(r)));
    return [...out, ...leftovers.filter((r) => !listed.has(keyOf(r)))];
  }

  /** Writes the installed-state ConfigMap last, so an interrupted run leaves the previous record (and its prune list) in place. */
  private async writeState(desired: readonly Desired[]): Promise<void> {
    const { config } = this.req;
    this.digestPending();
    const inventory: RecordedEntry[] = desired.map((d) => {
      const entry: RecordedEntry = { ...refOf(d.object), component: d.component };
      // Only what meshctl's own apply determines: an unchanged installation then writes an
      // identical record, and applying it changes nothing either.
      const digest = this.fingerprints.get(d.key);
      if (digest) entry.fingerprint = digest;
      return entry;
    });
    const state: InstalledState = {
      istioVersion: ISTIO_VERSION,
      clientVersion: this.req.clientVersion,
      profile: config.profile,
      revision: config.revision,
      namespace: config.namespace,
      configYaml: toYaml(config.spec),
      userConfigYaml: toYaml(config.userSpec),
      inventory,
    };
    this.checkAbort();
    await this.client.apply(stateConfigMap(state), { force: true });
  }

  private summary(total: number, pruned: number): string {
    const { created, configured, unchanged } = this.counts;
    const text = `${total} object${total === 1 ? '' : 's'} applied (${created} created, ${configured} configured, ${unchanged} unchanged), ${pruned} pruned`;
    return created + configured + pruned === 0 ? `${text}: nothing changed.` : `${text}.`;
  }

  /** The error of an interrupted run: what was applied so far, and that a rerun converges. */
  private interrupted(desired: readonly Desired[]): InterruptedError {
    if (this.opts.dryRun) return new InterruptedError('interrupted: the dry run stopped early; nothing in the cluster was changed');
    const parts = COMPONENTS.filter((c) => this.applied.has(c.name)).map((c) => {
      const total = desired.filter((d) => d.component === c.name).length;
      return `${c.title} ${this.applied.get(c.name)}/${total}`;
    });
    const what = parts.length ? `objects applied so far: ${parts.join(', ')}` : 'no objects were applied';
    return new InterruptedError(`interrupted: ${what}; the installed-state record was not updated. Run the same command again to finish: it converges from where it stopped`);
  }

  /**
   * The dry run: the server's dry-run answer for every object (objects in a namespace that does
   * not exist yet, or of a kind the server does not serve yet, are shown as sent), compared with
   * the live objects; plus the prunes. Writes nothing, waits for nothing.
   */
  private async dryRun(desired: readonly Desired[], previous: InstalledState | undefined): Promise<InstallResult> {
    const namespaces = this.namespaces(desired);
    const present = await mapLimit(namespaces, APPLY_CONCURRENCY, this.opts.signal,
      (ns) => this.client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }));
    const missing = new Set(namespaces.filter((_, i) => !present[i]));
    const diffs = await mapLimit(desired, APPLY_CONCURRENCY, this.opts.signal, async (d) => {
      const ns = d.object.metadata.namespace;
      const served = await this.client.resourceFor(d.object.apiVersion, d.object.kind);
      if (!served || (served.namespaced && ns && missing.has(ns))) return diffLive(undefined, d.object);
      const live = await this.client.get(refOf(d.object));
      const after = await this.client.apply(d.object, { force: true, dryRun: true });
      return diffLive(live, after);
    });
    for (const d of diffs) this.counts[d.change === 'create' ? 'created' : d.change === 'change' ? 'configured' : 'unchanged']++;
    const doomed = await this.pruneCandidates(desired, previous);
    const pruneLive = await mapLimit(doomed, APPLY_CONCURRENCY, this.opts.signal, (r) => this.client.get(r));
    for (const l of pruneLive) if (l) diffs.push(diffLive(l, undefined));
    const patches = diffs.filter((d) => d.patch).map((d) => d.patch).join('');
    if (patches) this.out.data(patches);
    const mark = { create: '+', change: '~', unchanged: '=', prune: '-' } as const;
    const verb = { create: 'would be created', change: 'would be changed', unchanged: 'unchanged', prune: 'would be pruned' } as const;
    this.out.line('Dry run: nothing in the cluster was changed.');
    for (const ns of missing) this.out.line(`  + Namespace/${ns} would be created`);
    // Unchanged objects are only counted: on a rerun they are nearly all of them, and they would bury the changes.
    for (const d of diffs) if (d.change !== 'unchanged') this.out.line(`  ${mark[d.change]} ${d.key} ${verb[d.change]}`);
    const { created, configured, unchanged } = this.counts;
    this.out.line(`Dry run: ${desired.length} objects (${created} to create, ${configured} to change, ${unchanged} unchanged), ${doomed.length} to prune`
      + `${missing.size ? `, ${missing.size} namespace${missing.size === 1 ? '' : 's'} to create` : ''}.`);
    return { cancelled: false, counts: this.counts, pruned: doomed, diffs, namespacesToCreate: [...missing] };
  }
}

/** Returns the plain ref of an inventory entry (without the recorded extras). */
function stripEntry(e: InventoryEntry): ObjectRef {
  const ref: ObjectRef = { apiVersion: e.apiVersion, kind: e.kind, name: e.name };
  if (e.namespace) ref.namespace = e.namespace;
  return ref;
}

/** Formats ms like Go's time.Duration for whole seconds (`5m0s`, `2s`), as istioctl's timeout message does. */
function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m ? `${m}m${s % 60}s` : `${s}s`;
}

/**
 * Installs (or upgrades) the rendering into the cluster, per Istio 1.30.3's installer (reference
 * section 2.4): Kubernetes version check (warning only), installed-state and version-skew
 * warnings, a line naming the objects istioctl installed that this run takes over (field manager
 * `istio-operator`; src/kube/takeover.ts), confirmation unless `yes` or `dryRun`, namespaces (created when missing, waited for
 * while Terminating), then components in dependency order by server-side apply (field manager
 * `meshctl`, force, owner labels; a component's objects side by side; an object still being
 * deleted is waited for and created anew) with its CRDs Established and its workloads ready
 * before its dependents start, then prune (deletes are not waited for), then the installed-state
 * record. With `yes`, the namespaces are read in the same round trip as the version and state
 * reads. With `dryRun` nothing is written: the
 * result holds per-object diffs against the live objects.
 *
 * Returns counts of created/configured/unchanged objects and the pruned refs; `cancelled` when
 * the user declined. Throws InterruptedError (signal aborted; the message says what was applied),
 * Error naming the failed components (readiness timeout, apply rejected), and KubeError /
 * ClusterUnreachableError from the client.
 */
export async function runInstallation(client: KubeClient, request: InstallRequest, options: InstallOptions, reporter: InstallReporter): Promise<InstallResult> {
  return new Installer(client, request, options, reporter).run();
}
