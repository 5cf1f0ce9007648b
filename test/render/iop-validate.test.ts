import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPosition } from '../../src/errors.js';
import { parseYamlDocuments } from '../../src/manifest/yaml-docs.js';
import {
  autoscaleReplicaWarnings, legacyPathMessage, validateIstioOperator, validateSpecTree,
} from '../../src/render/iop-validate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = new URL('../../node_modules/.cache/meshctl-iop-validate-test/', import.meta.url);

/** Validates the first document of `text` as file `iop.yaml`; returns [message, file:line:column] pairs. */
function run(text: string): { errors: [string, string][]; warnings: [string, string][] } {
  const [doc] = parseYamlDocuments(text, 'iop.yaml');
  const result = validateIstioOperator(doc!);
  const pairs = (list: typeof result.errors): [string, string][] => list.map((i) => [i.message, formatPosition(i.position)]);
  return { errors: pairs(result.errors), warnings: pairs(result.warnings) };
}

const HEAD = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n';

interface Case {
  name: string;
  yaml: string;
  errors?: [string, string][];
  warnings?: [string, string][];
}

const BIG_VALID = `${HEAD}metadata:
  name: production
  namespace: istio-system
  labels:
    team: mesh
spec:
  profile: default
  hub: docker.io/istio
  tag: 1.30.3
  revision: canary
  meshConfig:
    accessLogFile: /dev/stdout
    enableTracing: true
    defaultConfig:
      proxyMetadata:
        ISTIO_META_DNS_CAPTURE: "true"
  components:
    base:
      enabled: true
    pilot:
      enabled: true
      k8s:
        replicaCount: 2
        resources:
          requests: {cpu: 500m, memory: 2048Mi}
          limits: {cpu: 2, memory: 4Gi}
        hpaSpec:
          minReplicas: 2
          maxReplicas: 5
        env:
        - name: PILOT_TRACE_SAMPLING
          value: "100"
        nodeSelector:
          kubernetes.io/os: linux
        affinity:
          podAntiAffinity:
            preferredDuringSchedulingIgnoredDuringExecution: []
        tolerations:
        - key: dedicated
          operator: Equal
          value: istio
          effect: NoSchedule
        podAnnotations:
          prometheus.io/scrape: "true"
        podDisruptionBudget:
          minAvailable: 1
        priorityClassName: system-cluster-critical
        readinessProbe:
          initialDelaySeconds: 1
        strategy:
          rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}
        securityContext:
          runAsNonRoot: true
        imagePullPolicy: IfNotPresent
        volumes:
        - name: extra
          emptyDir: {}
        volumeMounts:
        - name: extra
          mountPath: /extra
        overlays:
        - apiVersion: apps/v1
          kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers.[name:discovery].args.[100]
            value: --log_output_level=default:debug
    cni:
      enabled: true
      namespace: kube-system
    ztunnel:
      enabled: false
    ingressGateways:
    - name: istio-ingressgateway
      enabled: true
      label:
        istio: ingressgateway
      k8s:
        service:
          type: LoadBalancer
          ports:
          - {name: http2, port: 80, targetPort: 8080}
        serviceAnnotations:
          service.beta.kubernetes.io/aws-load-balancer-type: nlb
        hpaSpec: {minReplicas: 2}
    egressGateways:
    - name: istio-egressgateway
      enabled: true
      k8s:
        resources:
          requests: {cpu: 100m}
  values:
    defaultRevision: canary
    profile: default
    global:
      hub: docker.io/istio
      tag: 1.30.3
      istioNamespace: istio-system
      meshID: mesh1
      network: network1
      multiCluster:
        clusterName: cluster1
      logging:
        level: default:info
      logAsJson: true
      imagePullSecrets: [regcred]
      enableReaderRBAC: false
      resourceScope: all
      proxy:
        autoInject: enabled
        clusterDomain: cluster.local
        logLevel: warning
        componentLogLevel: misc:error
        includeIPRanges: "*"
        excludeIPRanges: ""
        includeInboundPorts: "*"
        excludeOutboundPorts: "15020"
        holdApplicationUntilProxyStarts: true
        privileged: false
        readinessFailureThreshold: 4
        readinessInitialDelaySeconds: 0
        readinessPeriodSeconds: 15
        statusPort: 15020
        tracer: none
        startupProbe: {enabled: true, failureThreshold: 600}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 2000m, memory: 1024Mi}
        lifecycle:
          preStop:
            exec:
              command: [sleep, "5"]
      proxy_init:
        image: proxyv2
      waypoint:
        toleration: []
    pilot:
      autoscaleEnabled: false
      traceSampling: 1.0
      keepaliveMaxServerConnectionAge: 30m
      env:
        PILOT_ENABLE_STATUS: "true"
        ANY_OTHER_VARIABLE: 3
      cni:
        enabled: true
    sidecarInjectorWebhook:
      rewriteAppHTTPProbe: true
      templates:
        custom: |
          metadata: {}
    gateways:
      istio-ingressgateway:
        autoscaleEnabled: true
        runAsRoot: false
        ports:
        - {name: http2, port: 80, targetPort: 8080, protocol: TCP}
      istio-egressgateway:
        enabled: true
        rollingMaxSurge: 100%
      my-ingress:
        enabled: true
        loadBalancerIP: 1.2.3.4
    cni:
      ambient:
        enabled: true
        dnsCapture: true
      resource_quotas:
        enabled: true
        pods: 5000
    meshConfig:
      accessLogEncoding: JSON
    ztunnel:
      anything: goes
  unvalidatedValues:
    custom:
      key: value
`;

const cases: Case[] = [
  { name: 'minimal profile selection', yaml: `${HEAD}spec:\n  profile: demo\n` },
  { name: 'no spec at all', yaml: `${HEAD}metadata:\n  name: empty\n` },
  {
    name: 'upstream types.go example',
    yaml: `${HEAD}spec:
  profile: default
  hub: gcr.io/istio-testing
  tag: latest
  revision: 1-8-0
  meshConfig:
    accessLogFile: /dev/stdout
    enableTracing: true
  components:
    egressGateways:
    - name: istio-egressgateway
      enabled: true
`,
  },
  { name: 'egress through values (upstream flag_values_enable_egressgateway)', yaml: `${HEAD}spec:\n  values:\n    gateways:\n      istio-egressgateway:\n        enabled: true\n` },
  { name: 'numeric tag and empty (null) fields count as unset', yaml: `${HEAD}spec:\n  tag: 1.30\n  components:\n    pilot:\n      k8s:\n  values:\n    global:\n` },
  { name: 'big file: k8s fields, values.global.proxy.*, gateways map, cni', yaml: BIG_VALID },
  {
    name: 'unknown k8s field with suggestion',
    yaml: `${HEAD}spec:
  components:
    pilot:
      k8s:
        replicaCont: 2
`,
    errors: [['unknown field "replicaCont" in spec.components.pilot.k8s (did you mean "replicaCount"?)', 'iop.yaml:7:9']],
  },
  {
    name: 'unknown field inside a gateway list item, transposed letters',
    yaml: `${HEAD}spec:
  components:
    ingressGateways:
    - name: istio-ingressgateway
      k8s:
        serivce: {}
`,
    errors: [['unknown field "serivce" in spec.components.ingressGateways[0].k8s (did you mean "service"?)', 'iop.yaml:8:9']],
  },
  {
    name: 'case-insensitive suggestion and no suggestion for a far name',
    yaml: `${HEAD}spec:
  Components: {}
  values:
    global:
      proxy:
        somethingElse: true
`,
    errors: [
      ['unknown field "Components" in spec (did you mean "components"?)', 'iop.yaml:4:3'],
      ['unknown field "somethingElse" in spec.values.global.proxy', 'iop.yaml:8:9'],
    ],
  },
  {
    name: 'unknown field in a custom gateway under values.gateways',
    yaml: `${HEAD}spec:\n  values:\n    gateways:\n      my-gateway:\n        autoscaleEnable: true\n`,
    errors: [['unknown field "autoscaleEnable" in spec.values.gateways.my-gateway (did you mean "autoscaleEnabled"?)', 'iop.yaml:7:9']],
  },
  {
    name: 'wrong types',
    yaml: `${HEAD}spec:
  tag: {}
  components:
    pilot:
      enabled: "yes"
      k8s:
        replicaCount: two
        podAnnotations:
          sidecar.istio.io/inject: false
  values:
    global:
      proxy:
        tracer: jaeger
`,
    errors: [
      ['spec.tag: must be string or number', 'iop.yaml:4:8'],
      ['spec.components.pilot.enabled: must be boolean', 'iop.yaml:7:16'],
      ['spec.components.pilot.k8s.replicaCount: must be integer', 'iop.yaml:9:23'],
      ['spec.components.pilot.k8s.podAnnotations.sidecar\\.istio\\.io/inject: must be string', 'iop.yaml:11:36'],
      ['spec.values.global.proxy.tracer: must be one of: zipkin, lightstep, datadog, stackdriver, openCensusAgent, none', 'iop.yaml:15:17'],
    ],
  },
  {
    name: 'legacy addonComponents.grafana.enabled',
    yaml: `${HEAD}spec:
  addonComponents:
    grafana:
      enabled: true
`,
    errors: [[
      "spec.addonComponents.grafana: addons are no longer installed through IstioOperator (deprecated in Istio 1.7, removed in 1.8); "
        + "install them from the manifests in Istio's samples/addons directory (kubectl apply -f samples/addons) or with each project's own Helm chart",
      'iop.yaml:5:5',
    ]],
  },
  {
    name: 'legacy Mixer, pre-istiod components and values.global.mtls',
    yaml: `${HEAD}spec:
  components:
    telemetry:
      enabled: false
    citadel:
      enabled: false
  values:
    kiali:
      enabled: true
    global:
      mtls:
        auto: true
`,
    errors: [
      ['spec.components.telemetry: Mixer was removed in Istio 1.8; telemetry is built into the proxy and is configured with the Telemetry API (kind Telemetry, group telemetry.istio.io)', 'iop.yaml:5:5'],
      ['spec.components.citadel: merged into istiod in Istio 1.5; configure it under components.pilot and values.pilot', 'iop.yaml:7:5'],
      ['spec.values.kiali: ' + legacyPathMessage(['values', 'kiali'])!, 'iop.yaml:10:5'],
      ['spec.values.global.mtls.auto: was removed; automatic mTLS is meshConfig.enableAutoMtls (true by default)', 'iop.yaml:14:9'],
    ],
  },
  {
    name: 'readerServiceAccount and newer cni.ambient fields are not in Istio 1.30.3',
    yaml: `${HEAD}spec:
  values:
    global:
      enableReaderRBAC: true
      readerServiceAccount:
        name: reader
    cni:
      ambient:
        enabled: true
        shareHostNetworkNamespace: true
        enablementSelectors: []
`,
    errors: [
      ['unknown field "readerServiceAccount" in spec.values.global', 'iop.yaml:7:7'],
      ['unknown field "shareHostNetworkNamespace" in spec.values.cni.ambient', 'iop.yaml:12:9'],
      ['unknown field "enablementSelectors" in spec.values.cni.ambient', 'iop.yaml:13:9'],
    ],
  },
  {
    name: 'unknown top-level key',
    yaml: `${HEAD}spec: {}\nstatus:\n  status: HEALTHY\n`,
    errors: [['unknown field "status" in the document', 'iop.yaml:4:1']],
  },
  {
    name: 'not an IstioOperator',
    yaml: '# a workload, not an overlay\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n',
    errors: [['"iop.yaml" is not an IstioOperator (apiVersion install.istio.io/v1alpha1, kind IstioOperator): found apps/v1/Deployment', 'iop.yaml:2:1']],
  },
  {
    name: 'IstioOperator kind with a wrong apiVersion',
    yaml: 'kind: IstioOperator\nspec: {}\n',
    errors: [['"iop.yaml" is not an IstioOperator (apiVersion install.istio.io/v1alpha1, kind IstioOperator): found (none)/IstioOperator', 'iop.yaml:1:1']],
  },
  {
    name: 'replicaCount with pilot autoscaling warns',
    yaml: `${HEAD}spec:
  components:
    pilot:
      k8s:
        replicaCount: 3
    ingressGateways:
    - name: istio-ingressgateway
      k8s:
        replicaCount: 2
  values:
    pilot:
      autoscaleEnabled: true
    gateways:
      istio-ingressgateway:
        autoscaleEnabled: true
`,
    warnings: [
      ['components.pilot.k8s.replicaCount should not be set when values.pilot.autoscaleEnabled is true', 'iop.yaml:7:9'],
      ['components.ingressGateways[name=istio-ingressgateway].k8s.replicaCount should not be set when values.gateways.istio-ingressgateway.autoscaleEnabled is true', 'iop.yaml:11:9'],
    ],
  },
  {
    name: 'replicaCount 1 with pilot autoscaling does not warn (upstream checks > 1)',
    yaml: `${HEAD}spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: 1\n  values:\n    pilot:\n      autoscaleEnabled: true\n`,
  },
];

describe('validateIstioOperator', () => {
  it.each(cases)('$name', (c) => {
    const got = run(c.yaml);
    expect(got.errors).toEqual(c.errors ?? []);
    expect(got.warnings).toEqual(c.warnings ?? []);
  });

  it('returns paths as arrays with list indices as numbers', () => {
    const [doc] = parseYamlDocuments(`${HEAD}spec:\n  components:\n    egressGateways:\n    - k8s: {replicaCount: -1}\n`, 'x.yaml');
    const { errors } = validateIstioOperator(doc!);
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      [['spec', 'components', 'egressGateways', 0, 'k8s', 'replicaCount'], 'spec.components.egressGateways[0].k8s.replicaCount: must be at least 0, found -1'],
    ]);
  });
});

describe('validateSpecTree (--set overlays, paths relative to spec)', () => {
  it('reports unknown fields, types and legacy paths without positions', () => {
    const issues = validateSpecTree({
      components: { pilot: { k8s: { replicaCont: 2 } } },
      values: { global: { readerServiceAccount: { name: 'r' }, proxy: { statusPort: 'x' } } },
      addonComponents: { kiali: { enabled: true } },
    });
    expect(issues).toEqual([
      { message: 'unknown field "replicaCont" in components.pilot.k8s (did you mean "replicaCount"?)', path: ['components', 'pilot', 'k8s', 'replicaCont'] },
      { message: 'unknown field "readerServiceAccount" in values.global', path: ['values', 'global', 'readerServiceAccount'] },
      { message: 'values.global.proxy.statusPort: must be integer', path: ['values', 'global', 'proxy', 'statusPort'] },
      { message: `addonComponents.kiali: ${legacyPathMessage(['addonComponents', 'kiali'])}`, path: ['addonComponents', 'kiali'] },
    ]);
  });

  it('accepts a valid tree, an empty tree and rejects a non-object spec', () => {
    expect(validateSpecTree({ profile: 'demo', values: { gateways: { 'istio-egressgateway': { enabled: true } } } })).toEqual([]);
    expect(validateSpecTree(undefined)).toEqual([]);
    expect(validateSpecTree('demo')).toEqual([{ message: 'spec: must be object', path: [] }]);
  });

  it('reports unknown top-level spec fields relative to spec', () => {
    expect(validateSpecTree({ profiel: 'demo' })).toEqual([
      { message: 'unknown field "profiel" in spec (did you mean "profile"?)', path: ['profiel'] },
    ]);
  });
});

describe('legacyPathMessage and autoscaleReplicaWarnings', () => {
  it('finds the most specific legacy entry and nothing for valid paths', () => {
    expect(legacyPathMessage(['addonComponents', 'istiocoredns', 'enabled'])).toMatch(/ISTIO_META_DNS_CAPTURE/);
    expect(legacyPathMessage(['values', 'global', 'mtls', 'enabled'])).toMatch(/PeerAuthentication/);
    expect(legacyPathMessage(['values', 'sidecarInjectorWebhook', 'rewriteAppHTTPProbe'])).toBeUndefined();
    expect(legacyPathMessage(['components', 'pilot'])).toBeUndefined();
  });

  it('warns for egress gateways only when egress autoscaling is on', () => {
    const spec = {
      components: { egressGateways: [{ name: 'egress', k8s: { replicaCount: 2 } }] },
      values: { gateways: { 'istio-egressgateway': { autoscaleEnabled: true } } },
    };
    expect(autoscaleReplicaWarnings(spec).map((w) => w.path)).toEqual([['components', 'egressGateways', 0, 'k8s', 'replicaCount']]);
    expect(autoscaleReplicaWarnings({ ...spec, values: {} })).toEqual([]);
  });
});

describe('generated validator', () => {
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('is up to date with the schema and has no require() calls', async () => {
    execFileSync(process.execPath, ['scripts/gen-validators.mjs', '--check'], { cwd: root, stdio: 'pipe' });
    const source = await readFile(new URL('src/generated/iop-validator.js', pathToFileURL(root)), 'utf8');
    expect(source).not.toMatch(/\brequire\(/);
  });

  it('works when bundled by esbuild', async () => {
    const result = await build({
      stdin: { contents: "export { validateSpecTree } from './src/render/iop-validate.ts';", resolveDir: root, loader: 'ts' },
      bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, external: ['yaml'], logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\brequire\(/);
    await mkdir(scratch, { recursive: true });
    const file = new URL('bundle.mjs', scratch);
    await writeFile(file, code);
    const bundled = await import(file.href) as { validateSpecTree: typeof validateSpecTree };
    expect(bundled.validateSpecTree({ components: { pilot: { k8s: { replicaCont: 2 } } } }).map((i) => i.message))
      .toEqual(['unknown field "replicaCont" in components.pilot.k8s (did you mean "replicaCount"?)']);
  });

  it('imports ajv runtime helpers (ucs2length, equal) as ESM, unbundled and bundled', async () => {
    const gen = await import(pathToFileURL(`${root}scripts/gen-validators.mjs`).href) as {
      compileStandalone(schema: object, exportName: string): string;
    };
    const source = gen.compileStandalone({
      $id: 'probe', type: 'object',
      properties: { name: { type: 'string', maxLength: 3 }, list: { type: 'array', uniqueItems: true } },
    }, 'validateProbe');
    expect(source).toContain('ajv/dist/runtime/ucs2length.js');
    expect(source).toContain('ajv/dist/runtime/equal.js');
    expect(source).not.toMatch(/\brequire\(/);
    await mkdir(scratch, { recursive: true });
    const plain = new URL('probe.mjs', scratch);
    await writeFile(plain, source);
    const bundle = await build({ entryPoints: [fileURLToPath(plain)], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent' });
    const bundled = new URL('probe-bundle.mjs', scratch);
    await writeFile(bundled, bundle.outputFiles[0]!.text);
    for (const url of [plain, bundled]) {
      const { validateProbe } = await import(url.href) as { validateProbe: (d: unknown) => boolean };
      expect(validateProbe({ name: 'abc', list: [{ a: 1 }, { a: 2 }] })).toBe(true);
      expect(validateProbe({ name: 'abcd' })).toBe(false);
      expect(validateProbe({ list: [{ a: 1 }, { a: 1 }] })).toBe(false);
    }
  });
});
