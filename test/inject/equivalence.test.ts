/**
 * One definition of what is injected: the injection template in the istio-sidecar-injector
 * ConfigMap. istiod runs it with Go's text/template and sprig; kube-inject runs it with meshctl's
 * engine. Over the whole corpus (test/testdata/inject/input, classic and native layouts, and a
 * few configurations), this test executes every template run kube-inject made with real Go (the
 * harness in ./gotemplate) and checks that
 *   1. Go prints exactly the text meshctl's engine printed for the same data, and
 *   2. what kube-inject added to each pod is what Go's output says, after the documented
 *      post-processing (strategic merge, canonical quantities, zero fields dropped, env appended
 *      by the Prometheus merge and the probe rewrite).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectFile } from '../../src/inject/documents.js';
import { canonicalQuantity } from '../../src/inject/quantity.js';
import { executeGoTemplate, hasGo } from './go-template.js';
import { defaultInjector } from './injector.js';
import { repoRoot } from '../helpers.js';

const inputDir = join(repoRoot, 'test/testdata/inject/input');
const corpus = readdirSync(inputDir).sort();

const goMissing = !hasGo();
const skipReason = 'needs Go 1.25 or newer and the Go module proxy (sprig v3.3.0 comes from test/inject/gotemplate/go.mod); CI has both';
if (goMissing && process.env.MESHCTL_REQUIRE_GO) throw new Error(`MESHCTL_REQUIRE_GO is set but the Go harness cannot run: ${skipReason}`);
const title = (name: string): string => (goMissing ? `${name} [skipped: ${skipReason}]` : name);

type Obj = Record<string, any>;

/** Drops nulls, as the strategic merge does for new content. */
function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)]));
  return v;
}

/** A container as it reads after the round trip through corev1.Container in istiod. */
function roundTrip(c: Obj): Obj {
  const out = stripNulls(structuredClone(c)) as Obj;
  for (const part of ['limits', 'requests']) {
    const q = out.resources?.[part];
    if (q) for (const k of Object.keys(q)) q[k] = canonicalQuantity(String(q[k]));
  }
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const p = out[probe];
    if (p) for (const k of Object.keys(p)) if (p[k] === 0) delete p[k];
  }
  for (const e of out.env ?? []) if (e.value === '') delete e.value;
  return out;
}

function podTemplates(text: string): Map<string, { meta: Obj; spec: Obj }> {
  const out = new Map<string, { meta: Obj; spec: Obj }>();
  const visit = (o: Obj) => {
    if (!o || typeof o !== 'object') return;
    if (o.kind === 'List') return (o.items as Obj[]).forEach(visit);
    if (o.kind === 'Pod') out.set(o.metadata.name, { meta: o.metadata, spec: o.spec });
    else if (o.kind === 'CronJob') out.set(o.metadata.name, { meta: o.spec.jobTemplate.metadata ?? {}, spec: o.spec.jobTemplate.spec.template.spec });
    else if (o.spec?.template?.spec) out.set(o.metadata.name, { meta: o.spec.template.metadata ?? {}, spec: o.spec.template.spec });
  };
  const docs = /^\s*[{[]/.test(text) ? [JSON.parse(text)] : parseAllDocuments(text).map((d) => d.toJS());
  docs.forEach(visit);
  return out;
}

const APPENDED_ENV = new Set(['ISTIO_PROMETHEUS_ANNOTATIONS', 'ISTIO_KUBE_APP_PROBERS']);
const REWRITTEN_ANNOTATIONS = /^prometheus\.io\//;

const configurations: [string, string[], boolean][] = [
  ['default profile, classic', [], false],
  ['default profile, native', [], true],
  ['demo profile, canary revision, custom proxy resources', ['profile=demo', 'revision=canary', 'values.global.proxy.resources.requests.cpu=50m', 'values.global.proxy.holdApplicationUntilProxyStarts=true'], false],
];

describe('kube-inject and Go text/template agree on the shipped injection template', () => {
  for (const [label, sets, native] of configurations) {
    describe(label, () => {
      for (const name of corpus) {
        it.skipIf(goMissing)(title(name), async () => {
          // keepRuns: each template's data and output, which Go executes again below.
          const injector = { ...await defaultInjector(sets, native), keepRuns: true };
          const input = readFileSync(join(inputDir, name), 'utf8');
          const result = injectFile(injector, input, name);
          const pods = podTemplates(result.output);
          const before = podTemplates(input);
          const templates = injector.config.templates;
          expect(result.runs.length).toBe(result.workloads.filter((w) => w.action === 'injected').length);
          await Promise.all(result.runs.map(async (run) => {
            const text = templates[run.template]!;
            // 1. Same text out of Go for the same data.
            expect(await executeGoTemplate(text, run.data)).toBe(run.output);
            // 2. What kube-inject added is what Go printed.
            const fragment = JSON.parse(await executeGoTemplate(text, run.data, { output: 'json' })) as Obj;
            const pod = pods.get(run.data.DeploymentMeta!.Name!)!;
            expect(pod).toBeDefined();
            for (const field of ['containers', 'initContainers']) {
              for (const want of fragment.spec[field] ?? []) {
                const got = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].find((c: Obj) => c.name === want.name);
                expect(got, `${name}: ${want.name as string}`).toBeDefined();
                const own = before.get(run.data.DeploymentMeta!.Name!)?.spec;
                const mine = [...(own?.containers ?? []), ...(own?.initContainers ?? [])].find((c: Obj) => c.name === want.name);
                if (mine && want.name !== 'istio-proxy') {
                  // The pod's own container under a name the template also writes (grpc-agent's app
                  // containers): istiod lays the pod's container back over the merge, so what the
                  // template adds beside the pod's own fields is checked.
                  for (const e of want.env ?? []) expect(got.env).toContainEqual(stripNulls(e));
                  for (const m of want.volumeMounts ?? []) expect(got.volumeMounts).toContainEqual(stripNulls(m));
                  continue;
                }
                const gotCopy = structuredClone(got) as Obj;
                gotCopy.env = (gotCopy.env ?? []).filter((e: Obj) => !APPENDED_ENV.has(e.name));
                if (gotCopy.env.length === 0) delete gotCopy.env;
                expect(gotCopy).toEqual(roundTrip(want));
              }
            }
            for (const volume of fragment.spec.volumes ?? []) {
              expect(pod.spec.volumes.find((v: Obj) => v.name === volume.name)).toEqual(stripNulls(volume));
            }
            for (const [k, v] of Object.entries(fragment.metadata?.labels ?? {})) expect(pod.meta.labels[k]).toBe(v);
            for (const [k, v] of Object.entries(fragment.metadata?.annotations ?? {})) {
              if (!REWRITTEN_ANNOTATIONS.test(k)) expect(pod.meta.annotations[k]).toBe(v);
            }
          }));
        });
      }
    });
  }
});
