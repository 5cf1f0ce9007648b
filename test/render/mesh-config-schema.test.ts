import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshConfigSchema } from '../../src/generated/mesh-config-schema.js';
import { parseYamlDocuments } from '../../src/manifest/yaml-docs.js';
import { formatPosition } from '../../src/errors.js';
import { goDurationNanos, validateMeshConfig, validateMeshConfigDocument } from '../../src/render/mesh-config-schema.js';
import { CONFORMANCE_DIR, conformanceAvailable, readConformanceJson, suiteTitle } from '../conformance/support.js';
import { repoRoot, run } from '../helpers.js';

/** The messages of validateMeshConfig for `meshConfig`. */
function messages(meshConfig: unknown): string[] {
  return validateMeshConfig(meshConfig).map((i) => i.message);
}

const FULL = `
accessLogFile: /dev/stdout
accessLogEncoding: JSON
access_log_format: '[%START_TIME%] %REQ(:METHOD)%'
enableTracing: true
enableAutoMtls: false
enablePrometheusMerge: true
connectTimeout: 10s
protocolDetectionTimeout: 100ms
dnsRefreshRate: 1m30s
hboneIdleTimeout: 1h
ingressControllerMode: 3
ingressClass: istio
h2UpgradePolicy: UPGRADE
rootNamespace: istio-system
trustDomain: cluster.local
trustDomainAliases: [old.example.com, other.example.com]
defaultServiceExportTo: ['*']
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
inboundTrafficPolicy:
  mode: LOCALHOST
tcpKeepalive:
  probes: 3
  time: 10s
  interval: "75s"
localityLbSetting:
  enabled: true
  distribute:
  - from: us-west/zone1/*
    to:
      "us-west/zone1/*": 80
      "us-west/zone2/*": 20
  failover:
  - from: us-east
    to: us-west
  failoverPriority: [topology.kubernetes.io/region]
defaultHttpRetryPolicy:
  attempts: 3
  perTryTimeout: 2s
  retryOn: gateway-error,connect-failure
serviceSettings:
- settings:
    clusterLocal: true
  hosts: ['*.cluster.local']
serviceScopeConfigs:
- namespaceSelector:
    matchLabels: {team: a}
  scope: GLOBAL
certificates:
- secretName: dns.istio-galley-service-account
  dnsNames: [istio-galley.istio-system.svc]
caCertificates:
- pem: "-----BEGIN CERTIFICATE-----"
  certSigners: [clusterissuers.cert-manager.io/istio-ca]
- spiffeBundleUrl: https://example.com/bundle
  trustDomains: [example.com]
ca:
  address: istiod.istio-system.svc:15012
  requestTimeout: 5s
  istiodSide: true
  tlsSettings:
    mode: SIMPLE
meshMTLS:
  minProtocolVersion: TLSV1_3
tlsDefaults:
  ecdhCurves: [P-256]
  cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256]
discoverySelectors:
- matchLabels:
    env: prod
- matchExpressions:
  - key: istio-injection
    operator: In
    values: [enabled]
pathNormalization:
  normalization: MERGE_SLASHES
defaultProviders:
  metrics: [prometheus]
  tracing: [otel-tracing]
  accessLogging: [envoy]
extensionProviders:
- name: otel
  envoyOtelAls:
    service: opentelemetry-collector.observability.svc.cluster.local
    port: 4317
- name: otel-tracing
  opentelemetry:
    port: 4317
    service: opentelemetry-collector.observability.svc.cluster.local
    serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS
    resourceDetectors:
      environment: {}
- name: zipkin
  zipkin:
    service: zipkin.istio-system.svc.cluster.local
    port: 9411
    maxTagLength: 256
    traceContextOption: USE_B3_WITH_W3C_PROPAGATION
- name: ext-authz
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: "8000"
    timeout: 0.5s
    includeRequestHeadersInCheck: [x-ext-authz]
    includeAdditionalHeadersInCheck: {x-extra: value}
- name: file-log
  envoyFileAccessLog:
    path: /dev/stdout
    logFormat:
      labels:
        method: "%REQ(:METHOD)%"
        nested: {any: [shape, 1, true]}
- name: prom
  prometheus: {}
defaultConfig:
  concurrency: "2"
  drainDuration: 45s
  terminationDrainDuration: 5s
  discoveryAddress: istiod.istio-system.svc:15012
  holdApplicationUntilProxyStarts: true
  interceptionMode: TPROXY
  proxyMetadata:
    ISTIO_META_DNS_CAPTURE: "true"
  tracing:
    sampling: 10.5
    zipkin:
      address: zipkin.istio-system:9411
    customTags:
      env:
        environment:
          name: ENV
          defaultValue: dev
  gatewayTopology:
    numTrustedProxies: 2
    forwardClientCertDetails: SANITIZE_SET
  proxyStatsMatcher:
    inclusionPrefixes: [cluster.outbound]
  image:
    imageType: distroless
  readinessProbe:
    httpGet:
      path: /healthz
      port: 15021
    periodSeconds: 5
  proxyHeaders:
    server:
      disabled: true
  meshId: mesh1
  statNameLength: null
`;

describe('validateMeshConfig', () => {
  it('reports an unknown field with the closest known one (--set meshConfig.accessLogFil=x)', () => {
    expect(validateMeshConfig({ accessLogFil: 'x' })).toEqual([{
      message: 'unknown field "accessLogFil" in meshConfig (did you mean "accessLogFile"?)',
      path: ['meshConfig', 'accessLogFil'],
      atKey: true,
    }]);
  });

  it('reports a proxy config integer that is not one (meshConfig.defaultConfig.concurrency=many)', () => {
    expect(messages({ defaultConfig: { concurrency: 'many' } }))
      .toEqual(['meshConfig.defaultConfig.concurrency: must be an integer, found "many"']);
  });

  it('reports a list where a string belongs (accessLogFile: [1, 2])', () => {
    expect(validateMeshConfig({ accessLogFile: [1, 2] })).toEqual([{
      message: 'meshConfig.accessLogFile: must be a string, found a list',
      path: ['meshConfig', 'accessLogFile'],
      atKey: false,
    }]);
  });

  it('reports an enum value that names no value, with a suggestion for a wrong case', () => {
    expect(messages({ outboundTrafficPolicy: { mode: 'ALLOW_ALL' } })).toEqual([
      'meshConfig.outboundTrafficPolicy.mode: must be one of: REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS, found "ALLOW_ALL" (did you mean "ALLOW_ANY"?)',
    ]);
    expect(messages({ outboundTrafficPolicy: { mode: 'registry_only' } })[0]).toMatch(/found "registry_only" \(did you mean "REGISTRY_ONLY"\?\)$/);
    // Numbers are accepted when they name a value (1 is ALLOW_ANY); 2 names none.
    expect(messages({ outboundTrafficPolicy: { mode: 1 } })).toEqual([]);
    expect(messages({ outboundTrafficPolicy: { mode: 2 } })).toEqual([
      'meshConfig.outboundTrafficPolicy.mode: must be one of: REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS, found 2',
    ]);
  });

  it('reports a Duration that is not a Go duration string', () => {
    const wanted = (path: string, found: string) =>
      `meshConfig.${path}: must be a duration such as "10s", "1.5s", "500ms" or "1m30s", found ${found}`;
    expect(messages({ connectTimeout: '10 seconds' })).toEqual([wanted('connectTimeout', '"10 seconds"')]);
    expect(messages({ defaultConfig: { drainDuration: 45 } })).toEqual([wanted('defaultConfig.drainDuration', '45')]);
    expect(messages({ dnsRefreshRate: '5d' })).toEqual([wanted('dnsRefreshRate', '"5d"')]);
    expect(messages({ connectTimeout: '1.5s', dnsRefreshRate: '2h45m', protocolDetectionTimeout: '0' })).toEqual([]);
  });

  it('parses durations as Go time.ParseDuration does', () => {
    expect(goDurationNanos('1.5s')).toBe(1_500_000_000n);
    expect(goDurationNanos('-1m30s')).toBe(-90_000_000_000n);
    expect(goDurationNanos('300ms')).toBe(300_000_000n);
    expect(goDurationNanos('1µs')).toBe(1_000n);
    expect(goDurationNanos('.5h')).toBe(1_800_000_000_000n);
    expect(goDurationNanos('0')).toBe(0n);
    for (const bad of ['', '1', 's', '.s', '1 s', '1d', '3000000h', '-', '1s ', '10S']) expect(goDurationNanos(bad), bad).toBeUndefined();
  });

  it('reports an unknown nested proxy config field with a suggestion', () => {
    expect(validateMeshConfig({ defaultConfig: { holdApplicationUntilProxyStart: true } })).toEqual([{
      message: 'unknown field "holdApplicationUntilProxyStart" in meshConfig.defaultConfig (did you mean "holdApplicationUntilProxyStarts"?)',
      path: ['meshConfig', 'defaultConfig', 'holdApplicationUntilProxyStart'],
      atKey: true,
    }]);
  });

  it('points a field set one level off to where it belongs', () => {
    expect(messages({ concurrency: 2, defaultConfig: { accessLogFile: '/dev/stdout' } })).toEqual([
      'unknown field "concurrency" in meshConfig (did you mean "defaultConfig.concurrency"?)',
      'unknown field "accessLogFile" in meshConfig.defaultConfig (did you mean "meshConfig.accessLogFile"?)',
    ]);
  });

  it('names fields removed from the API and where their successor lives', () => {
    expect(messages({ mixerCheckServer: 'x', terminationDrainDuration: '5s', defaultConfig: { connectTimeout: '1s' } })).toEqual([
      'meshConfig.mixerCheckServer: was removed from MeshConfig (istiod ignores it); delete it',
      'meshConfig.terminationDrainDuration: was removed from MeshConfig; set meshConfig.defaultConfig.terminationDrainDuration instead',
      'meshConfig.defaultConfig.connectTimeout: was removed from ProxyConfig; set meshConfig.connectTimeout instead',
    ]);
  });

  it('reports two members of one oneof set together', () => {
    expect(validateMeshConfig({ extensionProviders: [{ name: 'x', zipkin: { service: 'a' }, datadog: { service: 'b' } }] })).toEqual([{
      message: 'meshConfig.extensionProviders[0].datadog: "zipkin" and "datadog" are alternatives (oneof provider); set only one',
      path: ['meshConfig', 'extensionProviders', 0, 'datadog'],
      atKey: true,
    }]);
  });

  it('checks integers, their range, lists, maps and nested messages', () => {
    expect(messages({
      proxyListenPort: 15001.5,
      defaultConfig: { statusPort: 4294967296, proxyMetadata: { A: 1 }, readinessProbe: { periodSeconds: '-1' } },
      localityLbSetting: { distribute: [{ to: { a: -5 } }], enabled: 'true' },
      trustDomainAliases: 'a.example.com',
      discoverySelectors: [{ matchLabels: ['x'] }],
      extensionProviders: [{ name: 'p', zipkin: { port: 'http' } }],
      serviceSettings: 'x',
      tcpKeepalive: { probes: Number.NaN },
    })).toEqual([
      'meshConfig.proxyListenPort: must be an integer, found 15001.5',
      'meshConfig.defaultConfig.statusPort: must be an integer from -2147483648 to 2147483647, found 4294967296',
      'meshConfig.defaultConfig.proxyMetadata.A: must be a string, found 1',
      'meshConfig.localityLbSetting.distribute[0].to.a: must be an integer from 0 to 4294967295, found -5',
      'meshConfig.localityLbSetting.enabled: must be true or false, found "true"',
      'meshConfig.trustDomainAliases: must be a list of strings, found "a.example.com"',
      'meshConfig.discoverySelectors[0].matchLabels: must be a map of strings, found a list',
      'meshConfig.extensionProviders[0].zipkin.port: must be an integer, found "http"',
      'meshConfig.serviceSettings: must be a list of MeshConfig.ServiceSettings maps, found "x"',
      'meshConfig.tcpKeepalive.probes: must be an integer, found .nan',
    ]);
    // Floats take any number, quoted numbers and the non-finite spellings jsonpb knows.
    expect(messages({ defaultConfig: { tracing: { sampling: 'NaN' } } })).toEqual([]);
    expect(messages({ defaultConfig: { tracing: { sampling: '1e2' } } })).toEqual([]);
    expect(messages({ defaultConfig: { tracing: { sampling: 'high' } } }))
      .toEqual(['meshConfig.defaultConfig.tracing.sampling: must be a number, found "high"']);
  });

  it('accepts a full mesh config: every nested message kind, proto names, quoted integers, enum numbers, nulls', () => {
    expect(messages(parseYaml(FULL))).toEqual([]);
  });

  it('accepts every profile\'s mesh config', () => {
    for (const profile of ['default', 'demo', 'minimal', 'remote', 'empty']) {
      const doc = parseYaml(readFileSync(join(repoRoot, 'profiles', `${profile}.yaml`), 'utf8')) as { spec?: { meshConfig?: unknown; values?: { meshConfig?: unknown } } };
      expect(messages(doc.spec?.meshConfig ?? {}), profile).toEqual([]);
      expect(messages(doc.spec?.values?.meshConfig ?? {}), profile).toEqual([]);
    }
  });

  it('positions the findings of a mesh config file', () => {
    const [doc] = parseYamlDocuments('accessLogFile: /dev/stdout\ndefaultConfig:\n  concurency: 2\n  drainDuration: 45\n', 'mesh.yaml');
    expect(validateMeshConfigDocument(doc!).map((i) => [i.message, formatPosition(i.position)])).toEqual([
      ['unknown field "concurency" in defaultConfig (did you mean "concurrency"?)', 'mesh.yaml:3:3'],
      ['defaultConfig.drainDuration: must be a duration such as "10s", "1.5s", "500ms" or "1m30s", found 45', 'mesh.yaml:4:18'],
    ]);
    const [list] = parseYamlDocuments('- a\n', 'mesh.yaml');
    expect(validateMeshConfigDocument(list!).map((i) => i.message)).toEqual(['the mesh config: must be a map of MeshConfig fields, found a list']);
  });

  it('was generated from the istio/api commit Istio 1.30.3 pins', () => {
    expect(meshConfigSchema.commit).toBe('2e43f07b30b6744bc8252fce39fb58b03f85ff8b');
    expect(meshConfigSchema.messages[meshConfigSchema.root]!.f.defaultConfig!.t).toBe('istio.mesh.v1alpha1.ProxyConfig');
  });
});

describe('commands refuse an invalid mesh config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-meshconfig-'));
    await writeFile(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--set meshConfig.accessLogFil=x: usage error naming the flag', async () => {
    const r = await run(['manifest', 'generate', '--set', 'meshConfig.accessLogFil=x']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--set meshConfig.accessLogFil=x: unknown field "accessLogFil" in meshConfig (did you mean "accessLogFile"?)');
  });

  it('--set meshConfig.defaultConfig.concurrency=many: usage error naming the flag', async () => {
    const r = await run(['manifest', 'generate', '--set', 'meshConfig.defaultConfig.concurrency=many']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--set meshConfig.defaultConfig.concurrency=many: meshConfig.defaultConfig.concurrency: must be an integer, found "many"');
  });

  it('accepts valid mesh config flags', async () => {
    const r = await run(['manifest', 'generate', '--set', 'meshConfig.defaultConfig.concurrency=2', '--set', 'meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mode: REGISTRY_ONLY');
  });

  it('an IstioOperator file with accessLogFile: [1, 2]: data error at file:line:column, in every command that resolves it', async () => {
    const file = join(dir, 'iop.yaml');
    await writeFile(file, 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    accessLogFile: [1, 2]\n');
    for (const argv of [['manifest', 'generate', '-f', file], ['profile', 'dump', '-f', file], ['profile', 'diff', 'default', file], ['verify-install', '-f', file],
      ['install', '-y', '-f', file], ['upgrade', '-y', '-f', file], ['kube-inject', '-f', join(dir, 'pod.yaml'), '--operatorFileName', file], ['validate', '-f', file]]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      // validate names the object between position and message (`file:5:20: IstioOperator//: ...`).
      expect(r.stderr, argv.join(' ')).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:20: (IstioOperator//: )?spec\\.meshConfig\\.accessLogFile: must be a string, found a list`));
      if (argv[0] !== 'validate') expect(r.code, argv.join(' ')).toBe(65);
    }
  });

  it('analyze --meshConfigFile and kube-inject --meshConfigFile refuse an invalid file at file:line:column', async () => {
    const mesh = join(dir, 'mesh.yaml');
    await writeFile(mesh, 'defaultConfig:\n  proxyMetadata:\n    A: "1"\n  holdApplicationUntilProxyStart: true\n');
    const workload = join(dir, 'pod.yaml');
    const wanted = `${mesh}:4:3: unknown field "holdApplicationUntilProxyStart" in defaultConfig (did you mean "holdApplicationUntilProxyStarts"?)`;
    const analyze = await run(['analyze', '--use-kube=false', '--meshConfigFile', mesh, workload]);
    expect(analyze.code).toBe(65);
    expect(analyze.stderr).toContain(wanted);
    const inject = await run(['kube-inject', '-f', workload, '--meshConfigFile', mesh]);
    expect(inject.code).toBe(65);
    expect(inject.stdout).toBe('');
    expect(inject.stderr).toContain(wanted);
    expect(await readFile(mesh, 'utf8')).toContain('holdApplicationUntilProxyStart');
    await writeFile(mesh, '- accessLogFile: /dev/stdout\n');
    for (const argv of [['analyze', '--use-kube=false', '--meshConfigFile', mesh, workload], ['kube-inject', '-f', workload, '--meshConfigFile', mesh]]) {
      const r = await run(argv);
      expect(r.code, argv[0]).toBe(65);
      expect(r.stderr, argv[0]).toContain(`${mesh}:1:1: the mesh config: must be a map of MeshConfig fields, found a list`);
    }
  });
});

describe.skipIf(!conformanceAvailable)(suiteTitle('upstream Istio 1.30.3 mesh configs pass'), () => {
  it('the mesh key of every istio ConfigMap istioctl renders', () => {
    for (const profile of ['default', 'demo', 'minimal', 'remote', 'empty']) {
      const docs = parseAllDocuments(readFileSync(join(CONFORMANCE_DIR, 'render', `${profile}.yaml`), 'utf8'));
      for (const doc of docs) {
        const o = doc.toJS() as { kind?: string; data?: { mesh?: string } } | null;
        if (o?.kind !== 'ConfigMap' || typeof o.data?.mesh !== 'string') continue;
        expect(messages(parseYaml(o.data.mesh)), profile).toEqual([]);
      }
    }
  });

  it('the analyzer grid\'s mesh config files and the injection grid\'s mesh overlays', () => {
    const analyze = readConformanceJson<{ cases: { meshConfigFile?: string | null }[] }>('analyze/cases.json');
    const files = [...new Set(analyze.cases.map((c) => c.meshConfigFile).filter((f): f is string => typeof f === 'string'))];
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(messages(parseYaml(readFileSync(join(CONFORMANCE_DIR, 'analyze', f), 'utf8')) ?? {}), f).toEqual([]);
    const inject = readConformanceJson<{ cases: { meshOverlay?: Record<string, unknown> } [] }>('inject/cases.json');
    const overlays = inject.cases.map((c) => c.meshOverlay).filter((m) => m !== undefined && m !== null);
    expect(overlays.length).toBeGreaterThan(0);
    for (const { appendExtensionProviders, ...overlay } of overlays) {
      expect(messages({ ...overlay, ...(appendExtensionProviders ? { extensionProviders: appendExtensionProviders } : {}) })).toEqual([]);
    }
  });
});
