/**
 * kube-inject / kube-uninject over the corpus in test/testdata/inject/input: goldens per case,
 * the byte-level promises (untouched documents byte for byte, re-injection a no-op,
 * uninject(inject(x)) == x), the Istio 1.30.3 facts the output must show, and bad input.
 * Adding a case means dropping a file into input/ (and running `vitest -u` once for its golden).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { injectFile, uninjectFile } from '../../src/inject/documents.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { repoRoot, run, testDeps } from '../helpers.js';
import { defaultInjector } from './injector.js';

const inputDir = join(repoRoot, 'test/testdata/inject/input');
const badDir = join(repoRoot, 'test/testdata/inject/bad');
const goldenDir = '../testdata/inject/golden';
const corpus = readdirSync(inputDir).sort();

const injector = await defaultInjector();
const nativeInjector = await defaultInjector([], true);
const read = (name: string) => readFileSync(join(inputDir, name), 'utf8');

/**
 * What kube-uninject gives back where it cannot be byte-exact: the input, except that a probe's
 * named port comes back as the number ISTIO_KUBE_APP_PROBERS recorded.
 */
function uninjectExpected(name: string, input: string): string {
  return name === 'probes.yaml' ? input.replace('port: admin', 'port: 9090') : input;
}

/** Documents of a YAML text as plain data, for semantic comparisons. */
function data(text: string): unknown[] {
  if (/^\s*[{[]/.test(text)) return [JSON.parse(text)];
  return parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null);
}

type Obj = Record<string, any>;
function podTemplates(text: string): { kind: string; name: string; meta: Obj; spec: Obj }[] {
  const out: { kind: string; name: string; meta: Obj; spec: Obj }[] = [];
  const visit = (o: Obj) => {
    if (!o || typeof o !== 'object') return;
    if (o.kind === 'List') return (o.items as Obj[]).forEach(visit);
    if (o.kind === 'Pod') out.push({ kind: o.kind, name: o.metadata.name, meta: o.metadata, spec: o.spec });
    else if (o.kind === 'CronJob') out.push({ kind: o.kind, name: o.metadata.name, meta: o.spec.jobTemplate.metadata ?? {}, spec: o.spec.jobTemplate.spec.template.spec });
    else if (o.spec?.template?.spec) out.push({ kind: o.kind, name: o.metadata.name, meta: o.spec.template.metadata ?? {}, spec: o.spec.template.spec });
  };
  data(text).forEach((d) => visit(d as Obj));
  return out;
}

describe('kube-inject corpus', () => {
  for (const name of corpus) {
    describe(name, () => {
      const input = read(name);
      const classic = injectFile(injector, input, name);
      const native = injectFile(nativeInjector, input, name);

      it('matches its golden files (classic and native layouts)', async () => {
        await expect(classic.output).toMatchFileSnapshot(`${goldenDir}/${name}`);
        await expect(native.output).toMatchFileSnapshot(`${goldenDir}/native/${name}`);
      });

      it('re-injecting is a no-op, byte for byte', () => {
        expect(injectFile(injector, classic.output, name).output).toBe(classic.output);
        expect(injectFile(nativeInjector, native.output, name).output).toBe(native.output);
      });

      it('kube-uninject gives back the input byte for byte, or says why not and gives it back in meaning', () => {
        for (const injected of [classic.output, native.output]) {
          const back = uninjectFile(injected, name);
          if (back.workloads.some((w) => w.notes.length)) expect(data(back.output)).toEqual(data(uninjectExpected(name, input)));
          else expect(back.output).toBe(input);
        }
      });

      it('leaves documents without workloads byte for byte', () => {
        if (name.endsWith('.json')) return;
        const docsIn = parseAllDocuments(input);
        const docsOut = parseAllDocuments(classic.output);
        expect(docsOut).toHaveLength(docsIn.length);
        docsIn.forEach((doc, i) => {
          const kind = (doc.toJS() as Obj | null)?.kind as string | undefined;
          const injected = classic.workloads.length > 0 && ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet', 'Job', 'CronJob', 'Pod', 'ReplicationController', 'DeploymentConfig', 'List'].includes(kind ?? '');
          if (!injected) {
            const a = input.slice(doc.range[0], doc.range[2]);
            const b = classic.output.slice(docsOut[i]!.range[0], docsOut[i]!.range[2]);
            expect(b).toBe(a);
          }
        });
      });

      it('only adds or changes: every line of the input survives in order, apart from rewritten probes and prometheus annotations', () => {
        if (name.endsWith('.json')) return; // JSON is printed anew: a new key adds a comma to the line before it
        const outLines = classic.output.split('\n');
        let at = 0;
        const missing: string[] = [];
        for (const line of input.split('\n')) {
          const found = outLines.indexOf(line, at);
          if (found < 0) missing.push(line);
          else at = found + 1;
        }
        // Lines injection may legitimately rewrite: probe handlers and the prometheus.io annotations it takes over.
        const rewritable = /^\s*(path|port|scheme|tcpSocket|grpc|httpGet|prometheus\.io\/\w+):|^\s*port: \d+$/;
        expect(missing.filter((l) => !rewritable.test(l))).toEqual([]);
      });
    });
  }
});

describe('what the injection adds (Istio 1.30.3 facts)', () => {
  const bookinfo = injectFile(injector, read('bookinfo.yaml'), 'bookinfo.yaml');
  const templates = podTemplates(bookinfo.output);

  it('injects all six Bookinfo Deployments and reports each', () => {
    expect(bookinfo.workloads.map((w) => `${w.kind} "${w.name}" ${w.action}`)).toEqual([
      'deployment "default/details-v1" injected',
      'deployment "default/ratings-v1" injected',
      'deployment "default/reviews-v1" injected',
      'deployment "default/reviews-v2" injected',
      'deployment "default/reviews-v3" injected',
      'deployment "default/productpage-v1" injected',
    ]);
    expect(templates).toHaveLength(6);
  });

  it('adds istio-init first and istio-proxy last (classic layout) with the status annotation in upstream shape', () => {
    for (const t of templates) {
      expect(t.spec.initContainers.map((c: Obj) => c.name)).toEqual(['istio-init']);
      expect(t.spec.containers.at(-1).name).toBe('istio-proxy');
      expect(t.meta.annotations['sidecar.istio.io/status']).toBe(
        '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert","istio-ca-crl"],"imagePullSecrets":null,"revision":"default"}');
    }
  });

  it('sets the labels and annotations istiod sets', () => {
    const reviews = templates.find((t) => t.name === 'reviews-v2')!;
    expect(reviews.meta.labels).toMatchObject({
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'reviews',
      'service.istio.io/canonical-revision': 'v2',
    });
    expect(reviews.meta.annotations).toMatchObject({
      'istio.io/rev': 'default',
      'kubectl.kubernetes.io/default-container': 'reviews',
      'kubectl.kubernetes.io/default-logs-container': 'reviews',
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/port': '15020',
      'prometheus.io/scrape': 'true',
    });
  });

  it('builds istio-init with the iptables arguments and istio-proxy with its env in order', () => {
    const t = templates.find((x) => x.name === 'productpage-v1')!;
    const init = t.spec.initContainers[0];
    expect(init.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(init.args).toEqual(['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info']);
    const proxy = t.spec.containers.at(-1);
    expect(proxy.env.map((e: Obj) => e.name)).toEqual([
      'PILOT_CERT_PROVIDER', 'CA_ADDR', 'POD_NAME', 'POD_NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'HOST_IP', 'ISTIO_CPU_LIMIT',
      'PROXY_CONFIG', 'ISTIO_META_POD_PORTS', 'ISTIO_META_APP_CONTAINERS', 'GOMEMLIMIT', 'GOMAXPROCS', 'ISTIO_META_CLUSTER_ID',
      'ISTIO_META_NODE_NAME', 'ISTIO_META_INTERCEPTION_MODE', 'ISTIO_META_WORKLOAD_NAME', 'ISTIO_META_OWNER', 'ISTIO_META_MESH_ID', 'TRUST_DOMAIN',
      // productpage carries prometheus.io annotations: they move here (metrics merge).
      'ISTIO_PROMETHEUS_ANNOTATIONS',
    ]);
    const env = Object.fromEntries(proxy.env.map((e: Obj) => [e.name, e.value]));
    expect(env.PROXY_CONFIG).toBe('{}\n');
    expect(env.ISTIO_PROMETHEUS_ANNOTATIONS).toBe('{"scrape":"true","path":"/metrics","port":"9080"}');
    expect(env.ISTIO_META_POD_PORTS).toBe('[\n    {"containerPort":9080}\n]');
    expect(env.ISTIO_META_OWNER).toBe('kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1');
    expect(proxy.resources).toEqual({ limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(proxy.startupProbe).toEqual({ httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 });
  });

  it('rewrites HTTP, TCP and gRPC probes to the agent and records the originals', () => {
    const out = injectFile(injector, read('probes.yaml'), 'probes.yaml');
    const [t] = podTemplates(out.output);
    const [http, tcp, exec] = t!.spec.containers;
    expect(http.readinessProbe).toEqual({ httpGet: { path: '/app-health/http-app/readyz', port: 15020 }, timeoutSeconds: 2 });
    expect(http.livenessProbe.httpGet).toEqual({ path: '/app-health/http-app/livez', port: 15020, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] });
    expect(http.lifecycle.preStop.httpGet).toEqual({ path: '/app-lifecycle/http-app/prestopz', port: 15020 });
    expect(tcp.readinessProbe).toEqual({ initialDelaySeconds: 5, httpGet: { path: '/app-health/tcp-app/readyz', port: 15020 } });
    expect(tcp.livenessProbe).toEqual({ httpGet: { path: '/app-health/tcp-app/livez', port: 15020 } });
    expect(exec.livenessProbe).toEqual({ exec: { command: ['cat', '/tmp/healthy'] } });
    const proxy = t!.spec.containers.at(-1);
    const probers = JSON.parse(proxy.env.find((e: Obj) => e.name === 'ISTIO_KUBE_APP_PROBERS').value);
    expect(Object.keys(probers)).toEqual([...Object.keys(probers)].sort());
    expect(probers['/app-health/http-app/livez']).toEqual({ httpGet: { path: '/live', port: 9090, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] } });
    expect(probers['/app-health/http-app/readyz']).toEqual({ httpGet: { path: '/ready', port: 8080 }, timeoutSeconds: 2 });
    expect(probers['/app-health/tcp-app/readyz']).toEqual({ tcpSocket: { port: 5000 } });
    expect(probers['/app-health/tcp-app/livez']).toEqual({ grpc: { port: 5001, service: null } });
    expect(probers['/app-lifecycle/http-app/prestopz']).toEqual({ httpGet: { path: '/shutdown', port: 8080 } });
    // The named port cannot come back by name: the record holds the number, and uninject says so.
    const back = uninjectFile(out.output, 'probes.yaml');
    expect(data(back.output)).toEqual(data(uninjectExpected('probes.yaml', read('probes.yaml'))));
    expect(back.workloads[0]!.notes).toEqual([
      'tcp-app readinessProbe: tcpSocket restored from ISTIO_KUBE_APP_PROBERS',
      'tcp-app livenessProbe: grpc restored from ISTIO_KUBE_APP_PROBERS',
    ]);
  });

  it('applies the proxy resource annotations, merges Prometheus settings and keeps the user\'s default container', () => {
    const out = injectFile(injector, read('annotations.yaml'), 'annotations.yaml');
    const [t] = podTemplates(out.output);
    const proxy = t!.spec.containers.at(-1);
    expect(proxy.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    const env = Object.fromEntries(proxy.env.map((e: Obj) => [e.name, e.value]));
    expect(env.ISTIO_PROMETHEUS_ANNOTATIONS).toBe('{"scrape":"true","path":"/metrics","port":"9102"}');
    expect(t!.meta.annotations['kubectl.kubernetes.io/default-container']).toBe('payments');
    expect(t!.meta.labels['service.istio.io/canonical-name']).toBe('tuned');
    expect(t!.meta.labels['service.istio.io/canonical-revision']).toBe('3.1');
    const init = t!.spec.initContainers[0];
    expect(init.args.slice(init.args.indexOf('-i'), init.args.indexOf('-i') + 2)).toEqual(['-i', '10.0.0.0/8,172.16.0.0/12']);
    expect(init.args).toContain('15090,15021,9901,15020');
    expect(init.args.slice(init.args.indexOf('-o'), init.args.indexOf('-o') + 2)).toEqual(['-o', '5432,6379']);
    expect(t!.meta.annotations['sidecar.istio.io/status']).toContain('"imagePullSecrets":null');
  });

  it('uses the native layout for --native-sidecar and for the pod annotation', () => {
    const [bookinfoNative] = podTemplates(injectFile(nativeInjector, read('bookinfo.yaml'), 'b').output);
    expect(bookinfoNative!.spec.initContainers.map((c: Obj) => c.name)).toEqual(['istio-init', 'istio-proxy']);
    const proxy = bookinfoNative!.spec.initContainers[1];
    expect(proxy.restartPolicy).toBe('Always');
    expect(proxy.lifecycle.preStop.exec.command).toEqual(['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain']);
    expect(bookinfoNative!.meta.annotations['sidecar.istio.io/status']).toContain('"initContainers":["istio-init","istio-proxy"],"containers":null');
    const job = injectFile(injector, read('native.yaml'), 'native.yaml');
    const [t] = podTemplates(job.output);
    expect(t!.spec.initContainers.map((c: Obj) => c.name)).toEqual(['istio-init', 'istio-proxy', 'prepare']);
    expect(job.workloads[0]!.warnings).toEqual([]);
  });

  it('warns that a Job with a classic sidecar never completes', () => {
    const out = injectFile(injector, read('kinds.yaml'), 'kinds.yaml');
    const job = out.workloads.find((w) => w.kind === 'job')!;
    expect(job.warnings.join('\n')).toMatch(/never completes.*--native-sidecar/);
    expect(out.workloads.find((w) => w.kind === 'cronjob')!.warnings).toHaveLength(1);
    expect(out.workloads.find((w) => w.kind === 'deployment')).toBeUndefined();
  });

  it('injects every registered kind, whatever its apiVersion', () => {
    const out = injectFile(injector, read('kinds.yaml'), 'kinds.yaml');
    expect(out.workloads.map((w) => `${w.kind}/${w.action}`)).toEqual([
      'pod/injected', 'daemonset/injected', 'replicaset/injected', 'statefulset/injected', 'job/injected', 'cronjob/injected',
      'replicationcontroller/injected', 'deploymentconfig/injected', 'cronjob/injected',
    ]);
    const owner = (t: { spec: Obj }) => t.spec.containers.at(-1).env.find((e: Obj) => e.name === 'ISTIO_META_OWNER').value;
    const templates = podTemplates(out.output);
    expect(owner(templates[0]!)).toBe('kubernetes://apis/v1/namespaces/default/pods/debug');
    // istioctl labels a CronJob's job template, not its pod template.
    const cron = (data(out.output) as Obj[]).find((d) => d.kind === 'CronJob' && d.apiVersion === 'batch/v1')!;
    expect(cron.spec.jobTemplate.metadata.labels['service.istio.io/canonical-name']).toBe('report');
    // istioctl decodes by kind alone: an older version is injected and keeps its apiVersion.
    const old = (data(out.output) as Obj[]).find((d) => d.metadata.name === 'old-cron')!;
    expect(old.apiVersion).toBe('batch/v1beta1');
    expect(old.spec.jobTemplate.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['old', 'istio-proxy']);
    expect(owner(templates.find((t) => t.name === 'old-cron')!)).toBe('kubernetes://apis/batch/v1beta1/namespaces/default/cronjobs/old-cron');
  });

  it('runs the proxyless gRPC templates as Istio 1.30.3 does', () => {
    const pod = (template: string, annotations = '') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: g\n  annotations:\n    inject.istio.io/templates: ${template}\n${annotations}spec:\n  containers:\n  - name: app\n    image: app\n    readinessProbe:\n      httpGet:\n        port: 8080\n`;
    const injected = (text: string) => podTemplates(injectFile(injector, text, 'g.yaml').output)[0]!;
    const agent = injected(pod('grpc-agent'));
    const [app, proxy] = agent.spec.containers as Obj[];
    expect(app!.env).toEqual([{ name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' }, { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' }]);
    // No Envoy to answer rewritten probes: the template turns the rewrite off.
    expect(app!.readinessProbe).toEqual({ httpGet: { port: 8080 } });
    expect(agent.meta.annotations['sidecar.istio.io/rewriteAppHTTPProbers']).toBe('false');
    expect(proxy!.env.find((e: Obj) => e.name === 'DISABLE_ENVOY')).toEqual({ name: 'DISABLE_ENVOY', value: 'true' });
    expect(proxy!.readinessProbe.httpGet).toEqual({ path: '/healthz/ready', port: 15020 });
    // With the status port off, the agent gets no probe, resources or mounts at all.
    const quiet = injected(pod('grpc-agent', '    status.sidecar.istio.io/port: "0"\n')).spec.containers.find((c: Obj) => c.name === 'istio-proxy');
    expect([quiet.readinessProbe, quiet.resources, quiet.volumeMounts]).toEqual([undefined, undefined, undefined]);

    const simple = injected(pod('grpc-simple'));
    expect(simple.spec.initContainers.map((c: Obj) => c.name)).toEqual(['grpc-bootstrap-init']);
    expect(simple.spec.initContainers[0].env.at(-1)).toEqual({ name: 'ISTIO_NAMESPACE', value: 'istio-system\n' });
    expect(simple.spec.containers.map((c: Obj) => c.name)).toEqual(['app']);
    expect(simple.spec.volumes).toEqual([{ name: 'grpc-io-proxyless-bootstrap', emptyDir: {} }]);
  });

  it('keeps the optional CRL volume whatever the certificate provider; only istiod\'s is mounted', async () => {
    const k8sCerts = await defaultInjector(['values.global.pilotCertProvider=kubernetes']);
    const [t] = podTemplates(injectFile(k8sCerts, read('deployment-comments.yaml'), 'deployment-comments.yaml').output);
    const volumes = t!.spec.volumes.map((v: Obj) => v.name);
    expect(volumes).toContain('istio-ca-crl');
    expect(volumes).not.toContain('istiod-ca-cert');
    const proxy = t!.spec.containers.find((c: Obj) => c.name === 'istio-proxy');
    expect(proxy.volumeMounts.map((m: Obj) => m.name)).not.toContain('istio-ca-crl');
  });

  it('takes a Pod\'s workload from its controller, as istiod does', () => {
    const pod = (meta: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n${meta}spec:\n  containers:\n  - name: app\n    image: app\n`;
    const env = (text: string) => {
      const proxy = podTemplates(injectFile(injector, text, 'pod.yaml').output)[0]!.spec.containers.at(-1);
      const get = (name: string) => proxy.env.find((e: Obj) => e.name === name)?.value;
      return [get('ISTIO_META_WORKLOAD_NAME'), get('ISTIO_META_OWNER')];
    };
    const owned = (kind: string, apiVersion: string, name: string, extra = '', controller = 'true') =>
      `  name: p-1\n  generateName: p-\n${extra}  ownerReferences:\n  - apiVersion: ${apiVersion}\n    kind: ${kind}\n    name: ${name}\n    uid: u\n    controller: ${controller}\n`;
    expect(env(pod(owned('ReplicaSet', 'apps/v1', 'web-5d9f', '  labels:\n    pod-template-hash: 5d9f\n'))))
      .toEqual(['web', 'kubernetes://apis/apps/v1/namespaces/default/deployments/web']);
    expect(env(pod(owned('ReplicaSet', 'apps/v1', 'web-5d9f'))))
      .toEqual(['web-5d9f', 'kubernetes://apis/apps/v1/namespaces/default/replicasets/web-5d9f']);
    expect(env(pod(owned('Job', 'batch/v1', 'nightly-28512345'))))
      .toEqual(['nightly', 'kubernetes://apis/batch/v1/namespaces/default/cronjobs/nightly']);
    expect(env(pod(owned('ReplicationController', 'v1', 'shop-3', '  labels:\n    deploymentconfig: shop\n'))))
      .toEqual(['shop', 'kubernetes://apis/v1/namespaces/default/deploymentconfigs/shop']);
    expect(env(pod(owned('Bar', 'foo/v1', 'custom-owner'))))
      .toEqual(['custom-owner', 'kubernetes://apis/foo/v1/namespaces/default/bars/custom-owner']);
    // Only a controller reference counts, and only for a Pod whose name was generated.
    expect(env(pod(owned('Bar', 'foo/v1', 'custom-owner', '', 'false'))))
      .toEqual(['p-1', 'kubernetes://apis/v1/namespaces/default/pods/p-1']);
    expect(env(pod(owned('Bar', 'foo/v1', 'custom-owner').replace('  generateName: p-\n', ''))))
      .toEqual(['p-1', 'kubernetes://apis/v1/namespaces/default/pods/p-1']);
  });

  it('follows the skip rules and reports the reason', () => {
    const out = injectFile(injector, read('skip.yaml'), 'skip.yaml');
    expect(out.workloads.map((w) => `${w.name} ${w.action}${w.reason ? `: ${w.reason}` : ''}`)).toEqual([
      'default/host-net skipped: host networking enabled',
      'default/opted-out skipped: sidecar injection disabled (label sidecar.istio.io/inject: "false")',
      'default/annotated-out skipped: sidecar injection disabled (annotation sidecar.istio.io/inject: "false")',
      'default/label-wins injected',
      'default/system skipped: system namespace (kube-system)',
    ]);
  });

  it('injects Lists recursively', () => {
    const out = injectFile(injector, read('list.yaml'), 'list.yaml');
    expect(out.workloads.map((w) => w.name)).toEqual(['default/api', 'default/worker']);
    expect(podTemplates(out.output).every((t) => t.spec.containers.at(-1).name === 'istio-proxy')).toBe(true);
  });

  it('keeps JSON input JSON', () => {
    const out = injectFile(injector, read('deployment.json'), 'deployment.json');
    expect(() => JSON.parse(out.output)).not.toThrow();
    expect(out.output.endsWith('}\n')).toBe(true);
  });

  it('keeps JSON on stdin JSON, and reads flow-style YAML that starts with a brace as YAML', () => {
    const json = injectFile(injector, read('deployment.json'), '<stdin>');
    expect(() => JSON.parse(json.output)).not.toThrow();
    const flow = '{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}},'
      + ' template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}}\n';
    const out = injectFile(injector, flow, 'flow.yaml');
    expect(out.workloads.map((w) => w.name)).toEqual(['default/web']);
    expect(() => JSON.parse(out.output)).toThrow();
    const injected = parseAllDocuments(out.output)[0]!.toJS() as Obj;
    expect(injected.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['web', 'istio-proxy']);
  });

  it('matches the golden for a canary revision with hold-application and pull secrets', async () => {
    const canary = await defaultInjector(['revision=canary', 'values.global.proxy.holdApplicationUntilProxyStarts=true', 'values.global.imagePullSecrets[0]=regcred']);
    const out = injectFile(canary, read('deployment-comments.yaml'), 'deployment-comments.yaml').output;
    await expect(out).toMatchFileSnapshot(`${goldenDir}/canary-hold/deployment-comments.yaml`);
    const [t] = podTemplates(out);
    expect(t!.spec.containers[0].name).toBe('istio-proxy');
    expect(t!.spec.containers[0].lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
    expect(uninjectFile(out, 'x').output).toBe(read('deployment-comments.yaml'));
  });

  it('honours --set, revisions and image pull secrets from the values', async () => {
    const custom = await defaultInjector(['values.global.proxy.resources.requests.cpu=50m', 'revision=canary', 'values.global.imagePullSecrets[0]=regcred']);
    const [t] = podTemplates(injectFile(custom, read('bookinfo.yaml'), 'b').output);
    const proxy = t!.spec.containers.at(-1);
    expect(proxy.resources.requests.cpu).toBe('50m');
    expect(t!.meta.annotations['istio.io/rev']).toBe('canary');
    expect(proxy.env.find((e: Obj) => e.name === 'CA_ADDR').value).toBe('istiod-canary.istio-system.svc:15012');
    expect(t!.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(t!.meta.annotations['sidecar.istio.io/status']).toContain('"imagePullSecrets":["regcred"],"revision":"canary"');
  });
});

describe('bad input', () => {
  const cases: Record<string, RegExp> = {
    'traffic-annotations-bad-includeipranges.yaml': /bad\/traffic-annotations-bad-includeipranges\.yaml:14:59: deployment "bad": invalid value '10\.0\.0\.0\/33' for annotation 'traffic\.sidecar\.istio\.io\/includeOutboundIPRanges': includeIPRanges invalid/,
    'traffic-annotations-bad-excludeipranges.yaml': /excludeIPRanges invalid: failed parsing cidr 'not-a-cidr'/,
    'traffic-annotations-bad-includeinboundports.yaml': /'traffic\.sidecar\.istio\.io\/includeInboundPorts': includeInboundPorts invalid/,
    'traffic-annotations-bad-excludeinboundports.yaml': /excludeInboundPorts invalid: failed parsing port '70000'/,
    'traffic-annotations-bad-excludeoutboundports.yaml': /excludeOutboundPorts invalid/,
    'interception-mode-bad.yaml': /interceptionMode invalid, use REDIRECT,TPROXY,NONE: MAGIC/,
    'foreign-proxy.yaml': /deployment "meshed-elsewhere": the pod already runs Linkerd's proxy \(container "linkerd-proxy"\).*linkerd uninject/,
    'syntax-second-document.yaml': /syntax-second-document\.yaml:23:1: YAML syntax error/,
    'numeric-label.yaml': /:13:18: deployment "numeric": metadata\.labels\["version"\] must be a string/,
    'broken.json': /broken\.json:\d+:\d+: JSON syntax error/,
    // A pod template that is not one: refused where it goes wrong, never injected as an empty pod.
    'workload-spec-string.yaml': /workload-spec-string\.yaml:5:7: deployment "web": spec is a string, but it must be the Deployment spec \(a map\); istioctl cannot decode this Deployment either/,
    'workload-template-null.yaml': /workload-template-null\.yaml:7:13: deployment "web": spec\.template is null, but it must be the pod template/,
    'workload-pod-spec-missing.yaml': /workload-pod-spec-missing\.yaml:7:5: deployment "web": spec\.template\.spec is missing/,
    'workload-containers-null.yaml': /workload-containers-null\.yaml:11:19: deployment "web": spec\.template\.spec\.containers is null: a pod needs at least one container/,
    'workload-containers-string.yaml': /workload-containers-string\.yaml:8:19: deployment "web": spec\.template\.spec\.containers is a string, but it must be a list of containers/,
    'workload-container-number.yaml': /workload-container-number\.yaml:9:9: deployment "web": spec\.template\.spec\.containers\[0\] is a number, but it must be a container/,
    'workload-cronjob-job-template-null.yaml': /workload-cronjob-job-template-null\.yaml:7:16: cronjob "c": spec\.jobTemplate is null/,
    'workload-pod-spec-list.json': /workload-pod-spec-list\.json:5:11: pod "p": spec is a list, but it must be the pod spec/,
  };
  it('has a case for every file in bad/', () => {
    expect(Object.keys(cases).sort()).toEqual(readdirSync(badDir).sort());
  });
  for (const [name, message] of Object.entries(cases)) {
    it(`${name}: exit 65, the position, nothing on stdout`, async () => {
      const r = await run(['kube-inject', '-f', join(badDir, name)]);
      expect(r.code).toBe(65);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('kube-inject command', () => {
  it('writes YAML to stdout and the report to stderr', async () => {
    const r = await run(['kube-inject', '-f', join(inputDir, 'bookinfo.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(injectFile(injector, read('bookinfo.yaml'), 'bookinfo.yaml').output);
    expect(r.stderr.trim().split('\n')).toHaveLength(6);
    expect(r.stderr).toContain('deployment "default/reviews-v1" injected');
  });

  it('injects for Istio CNI, with Multus when values.cni.provider=multus', async () => {
    const pod = (networks?: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${networks ? `  annotations:\n    k8s.v1.cni.cncf.io/networks: '${networks}'\n` : ''}spec:\n  containers:\n  - name: app\n    image: app\n`;
    const inject = async (stdin: string, ...sets: string[]) => {
      const r = await run(['kube-inject', '-f', '-', ...sets.flatMap((s) => ['--set', s])], { stdin });
      expect(r.code, r.stderr).toBe(0);
      return (data(r.stdout)[0] as Obj);
    };
    // With the CNI component the pod needs no privileged istio-init: istio-validation checks the rules instead.
    const cni = await inject(pod(), 'components.cni.enabled=true');
    expect(cni.spec.initContainers.map((c: Obj) => c.name)).toEqual(['istio-validation']);
    expect(cni.metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBeUndefined();
    // Multus: the istio-cni network attachment joins the pod's own, in the form the pod wrote them.
    const multus = ['components.cni.enabled=true', 'values.cni.provider=multus'];
    expect((await inject(pod(), ...multus)).metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBe('default/istio-cni');
    expect((await inject(pod('macvlan'), ...multus)).metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBe('macvlan, default/istio-cni');
    expect((await inject(pod('[{"name": "macvlan"}]'), ...multus)).metadata.annotations['k8s.v1.cni.cncf.io/networks'])
      .toBe('[{"name": "macvlan"}, {"name": "istio-cni", "namespace": "default"}]');
    expect((await inject(pod('[{"name": "istio-cni", "namespace": "default"}]'), ...multus)).metadata.annotations['k8s.v1.cni.cncf.io/networks'])
      .toBe('[{"name": "istio-cni", "namespace": "default"}]');
    // The same flags render an installation with the CNI node agent, whose attachment is the one the pod names.
    const generated = await run(['manifest', 'generate', ...multus.flatMap((s) => ['--set', s])]);
    expect(generated.code, generated.stderr).toBe(0);
    expect(data(generated.stdout).some((o) => (o as Obj).kind === 'NetworkAttachmentDefinition' && (o as Obj).metadata.name === 'istio-cni' && (o as Obj).metadata.namespace === 'default')).toBe(true);
  });

  it('reads stdin and round-trips through kube-uninject', async () => {
    const input = read('deployment-comments.yaml');
    const injected = await run(['kube-inject', '-f', '-'], { stdin: input });
    const back = await run(['kube-uninject', '-f', '-'], { stdin: injected.stdout });
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(input);
    expect(back.stderr).toContain('deployment "shop/web" uninjected');
  });

  it('refuses flag combinations it cannot honour', async () => {
    expect((await run(['kube-inject'])).stderr).toContain('filename not specified (see --filename or -f)');
    const both = await run(['kube-inject', '-f', join(inputDir, 'list.yaml'), '-o', '/tmp/x.yaml', '--in-place']);
    expect(both.code).toBe(64);
    const stdinInPlace = await run(['kube-inject', '-f', '-', '--in-place'], { stdin: read('list.yaml') });
    expect(stdinInPlace.code).toBe(64);
  });

  it('parses the shipped template without error for every profile that has istiod', async () => {
    for (const profile of ['default', 'demo', 'minimal']) {
      const custom = await defaultInjector([`profile=${profile}`]);
      expect(injectFile(custom, read('list.yaml'), 'list.yaml').workloads).toHaveLength(2);
    }
  });

  it('says so when the profile has no injector', async () => {
    const r = await run(['kube-inject', '-f', join(inputDir, 'list.yaml'), '--set', 'profile=empty']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('renders no istio-sidecar-injector ConfigMap');
  });

  it('takes istioctl-style config files', async () => {
    const assets = await loadAssets(testDeps().deps);
    const objects = renderManifests(resolveConfiguration(assets, {}), assets).objects.map((o) => o.object as Obj);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector')!;
    const mesh = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio')!;
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 'meshctl-inject-'));
    writeFileSync(join(dir, 'inject.yaml'), cm.data.config);
    const values = parse(cm.data.values);
    values.global.proxy.resources.requests.cpu = '25m';
    writeFileSync(join(dir, 'values.json'), JSON.stringify(values));
    writeFileSync(join(dir, 'mesh.yaml'), mesh.data.mesh);
    const r = await run(['kube-inject', '-f', join(inputDir, 'list.yaml'), '--injectConfigFile', join(dir, 'inject.yaml'), '--valuesFile', join(dir, 'values.json'), '--meshConfigFile', join(dir, 'mesh.yaml')]);
    expect(r.code).toBe(0);
    expect(podTemplates(r.stdout)[0]!.spec.containers.at(-1).resources.requests.cpu).toBe('25m');
  });
});
