/**
 * kube-inject against upstream Istio 1.30.3's own goldens (pkg/kube/inject/inject_test.go,
 * TestInjection and TestInjectionOlderVersion), one test per run listed in
 * ../shared/conformance/istio-1.30.3/inject/cases.json.
 *
 * Each run calls meshctl in-process the way upstream's test builds its injector: the injector
 * configuration rendered with `profile=empty`, `components.pilot.enabled=true` and the chart's test
 * image (`registry.istio.io/testing`, tag `latest`), plus the case's `--set` flags and IstioOperator
 * file. How the other case fields map onto meshctl:
 *
 * - `nativeSidecar: true` → `--native-sidecar` (upstream's fake Nodes run kubelet 1.33/1.34).
 *   `false` → no flag and an empty environment: offline meshctl then injects classic sidecars,
 *   which is what upstream gets from `ENABLE_NATIVE_SIDECARS=false` or from a 1.28 Node.
 * - `meshOverlay` → `--meshConfigFile` with the mesh config the same rendering puts in the `istio`
 *   ConfigMap, changed as upstream's test changes its MeshConfig (see `applyMeshOverlay`).
 * - `setup` (the OpenShift platform) → `--set values.global.platform=openshift`.
 * - `expectedError` → a nonzero exit whose stderr contains the substring (upstream lower-cases
 *   the error before looking; so does this suite).
 *
 * Output and golden are compared as data: parsed YAML documents, the JSON inside
 * `sidecar.istio.io/status` and `proxy.istio.io/overrides` parsed, map key order ignored, list
 * order kept. See `normalize` for what else is set aside and why.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { injectionConfigFromObjects } from '../../src/inject/config.js';
import { injectFile } from '../../src/inject/documents.js';
import { workerPods } from '../../src/cli/inject-workers.js';
import type { PodQueueFactory } from '../../src/inject/pod-queue.js';
import { SUPPLEMENTAL_GROUPS_ANNOTATION, UID_RANGE_ANNOTATION } from '../../src/inject/openshift.js';
import { createInjector } from '../../src/inject/pod.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { run, testDeps } from '../helpers.js';
import { workerScript } from '../inject/worker-script.js';
import { CONFORMANCE_DIR, conformanceAvailable, readConformanceJson, scoreLine, suiteTitle } from './support.js';

/** One run of cases.json (see the data folder's README). */
interface InjectCase {
  input: string;
  golden: string | null;
  set: string[];
  nativeSidecar: boolean;
  operatorFile?: string;
  meshOverlay?: Record<string, unknown> & { appendExtensionProviders?: unknown[] };
  setup?: string;
  expectedError?: string;
  /** Listed under TestInjectionOlderVersion (a 1.28 Node in the cluster). */
  olderNodes?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const TESTDATA = join(CONFORMANCE_DIR, 'inject', 'testdata');
const cases: InjectCase[] = conformanceAvailable ? readConformanceJson<{ cases: InjectCase[] }>('inject/cases.json').cases : [];

/** The flags upstream's getInjectionSettings renders with, before the case's own. */
const BASE_FLAGS = ['--set', 'profile=empty', '--set', 'components.pilot.enabled=true', '--set', 'hub=registry.istio.io/testing', '--set', 'tag=latest'];

/**
 * How an upstream `setup` function maps to meshctl; a setup not listed fails its case. Upstream
 * sets istiod's PLATFORM environment (pkg/platform) to "openshift"; the chart sets PLATFORM from
 * global.platform, which meshctl's rendering hands to the injector. On OpenShift istiod reads the
 * pod's Namespace for the proxy's uid and gid; meshctl does that with --from-cluster, so these runs
 * give the injector the Namespaces of upstream's fake cluster as --from-cluster would read them.
 */
const SETUP_FLAGS: ReadonlyArray<{ pattern: RegExp; flags: string[]; clusterNamespaces?: boolean }> = [
  // The chart's OpenShift platform overlay (applied for global.platform, as istioctl does) also makes multus the
  // CNI provider; upstream's setup sets only istiod's PLATFORM, so the provider stays the default one.
  { pattern: /platform\.OpenShift/, flags: ['--set', 'values.global.platform=openshift', '--set', 'values.pilot.cni.provider=default'], clusterNamespaces: true },
];

/** The Namespace upstream's TestInjection puts in its fake cluster (inject_test.go). */
const UPSTREAM_NAMESPACES: ReadonlyMap<string, Record<string, string>> = new Map([
  ['test-ns', { [UID_RANGE_ANNOTATION]: '1000620000/10000', [SUPPLEMENTAL_GROUPS_ANNOTATION]: '1000620000/10000' }],
]);

/**
 * Runs kube-inject's engine as `kube-inject --from-cluster` runs it, with the injector
 * configuration rendered from `flags` and the cluster's Namespaces given; returns the output.
 */
async function injectWithNamespaces(c: InjectCase, flags: string[], queue?: PodQueueFactory): Promise<string> {
  const assets = await loadAssets(testDeps().deps);
  const sets: string[] = [];
  for (let i = 0; i < flags.length; i += 2) {
    if (flags[i] !== '--set') throw new Error(`unexpected flag ${flags[i]}`);
    sets.push(flags[i + 1]!);
  }
  const config = resolveConfiguration(assets, { sets });
  // As kube-inject renders: only istiod's configuration is read, so components it does not render are left out.
  const objects = renderManifests(config, assets).objects.map((o) => o.object as K8sObject);
  const injector = createInjector(injectionConfigFromObjects(objects, config.revision), { nativeSidecars: c.nativeSidecar, namespaces: UPSTREAM_NAMESPACES });
  return injectFile(injector, readFileSync(join(TESTDATA, c.input), 'utf8'), c.input, queue).output;
}


/**
 * Runs that meshctl knowingly does not match, with the reason. They run with `it.fails`, so one
 * that starts to match shows up as a failure and leaves this list.
 */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

/** Test title of a run: the golden (or the input for an error case); repeats are numbered. */
function titles(list: InjectCase[]): string[] {
  const seen = new Map<string, number>();
  return list.map((c) => {
    let t = c.golden ?? `${c.input} (error "${c.expectedError}")`;
    if (c.olderNodes) t += ' [TestInjectionOlderVersion]';
    const n = (seen.get(t) ?? 0) + 1;
    seen.set(t, n);
    return n > 1 ? `${t} #${n}` : t;
  });
}

/**
 * Returns `base` changed the way upstream's test changes its MeshConfig: each field the overlay
 * names is set; a nested map merges key by key (upstream adds one key to `proxyMetadata` and sets
 * single fields of `defaultConfig`), and an empty map replaces (upstream sets `tracing` to an empty
 * message, which turns tracing off). `appendExtensionProviders` is appended to
 * `extensionProviders`, as the OTel case appends one provider.
 */
function applyMeshOverlay(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (key === 'appendExtensionProviders' && Array.isArray(value)) {
      out.extensionProviders = [...(Array.isArray(out.extensionProviders) ? out.extensionProviders : []), ...value];
      continue;
    }
    const prev = out[key];
    out[key] = isObject(value) && Object.keys(value).length > 0 && isObject(prev) ? applyMeshOverlay(prev, value) : value;
  }
  return out;
}

/** Keys where Go's serializer writes an empty struct (`{}`) that means the same as no field. */
const EMPTY_STRUCT_KEYS = new Set(['metadata', 'resources', 'status', 'strategy', 'updateStrategy']);
/** Annotations whose value is JSON, compared parsed (the README asks for these two). */
const JSON_ANNOTATIONS = new Set(['sidecar.istio.io/status', 'proxy.istio.io/overrides']);

/**
 * Returns a document in comparable form. Set aside, because they carry no meaning:
 * - `null` values: to the Kubernetes API a null field is an absent one; Go writes
 *   `creationTimestamp: null` for a zero time.
 * - `{}` under `metadata`, `resources`, `status`, `strategy` and `updateStrategy`: these are
 *   non-pointer structs in the Go types, which Go's serializer cannot leave out even when empty.
 *   An empty map anywhere else is kept, since there it can mean something (`emptyDir: {}` picks
 *   the volume source).
 * The JSON inside the two JSON annotations is parsed, so its key order does not count.
 */
function normalize(value: Json, key?: string): Json | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => normalize(v) ?? null);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (key === 'annotations' && JSON_ANNOTATIONS.has(k) && typeof v === 'string') {
      try {
        out[k] = normalize(JSON.parse(v) as Json) ?? null;
        continue;
      } catch {
        // not JSON: compared as the string it is
      }
    }
    const n = normalize(v, k);
    if (n !== undefined) out[k] = n;
  }
  if (key !== undefined && EMPTY_STRUCT_KEYS.has(key) && Object.keys(out).length === 0) return undefined;
  return out;
}

/**
 * Workload fields outside the pod template whose zero value Go's serializer writes or drops on its
 * own, by kind (k8s.io/api v0.35, openshift/api apps/v1: the types istioctl 1.30.3 decodes into and
 * writes back). Fields without `omitempty` come out with their zero value when the input has none
 * (a DaemonSet's status counters, a DeploymentConfig's `spec.test`); `omitempty` ones holding
 * their zero value are left out (`paused: false`). meshctl edits the pod template in place and
 * leaves the rest of the document as the user wrote it, so a zero value at one of these paths is
 * set aside on both sides: to the API server it means the same as no field (status is not
 * written through create or apply).
 */
const GO_ZERO_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec.minReadySeconds', 'spec.paused'],
  DaemonSet: ['spec.minReadySeconds', 'status.currentNumberScheduled', 'status.numberMisscheduled', 'status.desiredNumberScheduled', 'status.numberReady'],
  ReplicaSet: ['spec.minReadySeconds', 'status.replicas'],
  ReplicationController: ['spec.minReadySeconds', 'status.replicas'],
  StatefulSet: ['spec.minReadySeconds', 'spec.serviceName', 'status.replicas', 'status.availableReplicas'],
  DeploymentConfig: [
    'spec.minReadySeconds', 'spec.paused', 'spec.test', 'status.latestVersion', 'status.observedGeneration',
    'status.replicas', 'status.updatedReplicas', 'status.availableReplicas', 'status.unavailableReplicas',
  ],
};

/** Returns a document without the zero values GO_ZERO_FIELDS lists (the items of a List too). */
function withoutGoZeroFields(doc: Json): Json {
  if (!isObject(doc)) return doc;
  if (doc.kind === 'List' && Array.isArray(doc.items)) return { ...doc, items: doc.items.map(withoutGoZeroFields) };
  const paths = typeof doc.kind === 'string' ? GO_ZERO_FIELDS[doc.kind] : undefined;
  if (!paths) return doc;
  const out = structuredClone(doc);
  for (const path of paths) {
    const [section, field] = path.split('.') as [string, string];
    const holder = out[section];
    if (isObject(holder) && (holder[field] === 0 || holder[field] === false || holder[field] === '')) delete holder[field];
  }
  return out;
}

/** The documents of a YAML stream in comparable form (empty documents dropped). */
function documents(text: string): Json[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`YAML: ${d.errors[0]!.message}`);
      return d.toJS() as Json;
    })
    .filter((d) => d !== null && d !== undefined)
    .map((d) => normalize(withoutGoZeroFields(d)) ?? null);
}

let workDir: string | undefined;
/** Writes a mesh config file for a run and returns its path. */
async function meshConfigFile(c: InjectCase, flags: string[]): Promise<string> {
  const rendered = await run(['manifest', 'generate', ...flags], { env: {} });
  if (rendered.code !== 0) throw new Error(`manifest generate: ${rendered.stderr}`);
  const cm = documents(rendered.stdout).find((o) => isObject(o) && o.kind === 'ConfigMap' && isObject(o.metadata) && o.metadata.name === 'istio');
  const meshText = isObject(cm) && isObject(cm.data) && typeof cm.data.mesh === 'string' ? cm.data.mesh : '';
  const base = (parseYaml(meshText) ?? {}) as JsonObject;
  workDir ??= mkdtempSync(join(tmpdir(), 'meshctl-inject-conformance-'));
  const path = join(workDir, `${c.golden ?? c.input}.mesh.yaml`);
  writeFileSync(path, stringify(applyMeshOverlay(base, c.meshOverlay as JsonObject)));
  return path;
}

/** The meshctl arguments for a run, apart from the mesh config file, and whether it needs the cluster's Namespaces. */
function renderFlags(c: InjectCase): { flags: string[]; clusterNamespaces: boolean } {
  const flags = [...BASE_FLAGS];
  for (const s of c.set) flags.push('--set', s);
  if (c.operatorFile) flags.push('--operatorFileName', join(TESTDATA, c.operatorFile));
  let clusterNamespaces = false;
  if (c.setup) {
    const known = SETUP_FLAGS.find((s) => s.pattern.test(c.setup!));
    if (!known) throw new Error(`no meshctl equivalent for upstream setup ${c.setup}`);
    flags.push(...known.flags);
    clusterNamespaces = known.clusterNamespaces === true;
  }
  return { flags, clusterNamespaces };
}

const outcomes: boolean[] = [];

describe.skipIf(!conformanceAvailable)(suiteTitle('kube-inject conformance (Istio 1.30.3 goldens)'), () => {
  afterAll(() => {
    console.log(scoreLine('inject', outcomes.filter(Boolean).length, cases.length));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const names = titles(cases);
  cases.forEach((c, i) => {
    const title = names[i]!;
    const known = KNOWN_DIFFERENCES[title];
    const test = known ? it.fails : it;
    test(known ? `${title} — known difference: ${known}` : title, async () => {
      outcomes[i] = false;
      const { flags, clusterNamespaces } = renderFlags(c);
      const args = ['kube-inject', '-f', join(TESTDATA, c.input), ...flags];
      if (c.nativeSidecar) args.push('--native-sidecar');
      if (c.meshOverlay) args.push('--meshConfigFile', await meshConfigFile(c, flags));
      const r = clusterNamespaces
        ? { code: 0, stdout: await injectWithNamespaces(c, flags), stderr: '' }
        : await run(args, { env: {} });
      // The same run with the pods injected on a worker thread (src/cli/inject-workers.ts) gives the same bytes, reports and errors.
      const script = await workerScript();
      const onWorker = clusterNamespaces
        ? { code: 0, stdout: await injectWithNamespaces(c, flags, workerPods({ minSize: 0, script })), stderr: '' }
        : await run(args, { env: { MESHCTL_INJECT_WORKER_MIN_SIZE: '0', MESHCTL_INJECT_WORKER_SCRIPT: script } });
      expect(onWorker).toEqual(r);
      if (c.expectedError !== undefined) {
        expect(r.code, r.stdout).not.toBe(0);
        expect(r.stderr.toLowerCase()).toContain(c.expectedError);
      } else {
        expect(r.code, r.stderr).toBe(0);
        expect(documents(r.stdout)).toEqual(documents(readFileSync(join(TESTDATA, c.golden!), 'utf8')));
      }
      outcomes[i] = true;
    });
  });
});
