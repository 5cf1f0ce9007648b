/**
 * meshctl's own MSH0003 (service.PortProtocolAnalyzer): Services selecting the same pods that
 * give one port different application protocols, in `analyze` (files) and `validate`, where the
 * finding points, and silence when the protocols agree. Also the URL and version readers of the
 * external control plane and Gateway API CRD analyzers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goUrlHostname, isIpAddress } from '../../src/analyze/analyzers/externalcontrolplane.js';
import { parseLooseVersion } from '../../src/analyze/analyzers/k8sgateway-crd-version.js';
import { servicePortProtocolAnalyzer } from '../../src/analyze/analyzers/service-port-protocol.js';
import { runAnalysis } from '../../src/analyze/engine.js';
import { resourceOf } from '../../src/analyze/sources.js';
import { ResourceStore } from '../../src/analyze/store.js';
import { run } from '../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshctl-port-protocol-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, content: string): string {
  const file = join(scratch, name);
  writeFileSync(file, content);
  return file;
}

/** Pods labelled app=api and two Services on port 9000 whose port names are `first` and `second`. */
function twoServices(first: string, second: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
        version: v1
    spec:
      containers:
      - name: api
        image: example/api:1
---
apiVersion: v1
kind: Service
metadata:
  name: api-one
  namespace: shop
spec:
  selector:
    app: api
  ports:
  - name: ${first}
    port: 9000
---
apiVersion: v1
kind: Service
metadata:
  name: api-two
  namespace: shop
spec:
  selector:
    app: api
  ports:
  - name: ${second}
    port: 9000${extra}
`;
}

interface JsonFinding {
  code: string;
  level: string;
  origin: string;
  message: string;
  line?: number;
  column?: number;
  path?: string;
}

async function analyzeJson(file: string): Promise<{ code: number; findings: JsonFinding[] }> {
  const r = await run(['analyze', '--analyzer', 'service.PortProtocolAnalyzer', '-o', 'json', file]);
  return { code: r.code, findings: JSON.parse(r.stdout) as JsonFinding[] };
}

describe('service.PortProtocolAnalyzer in files', () => {
  it('flags http- and tcp- named ports on one port of the same pods, at each port name', async () => {
    const { code, findings } = await analyzeJson(scratchFile('http-tcp.yaml', twoServices('http-api', 'tcp-api')));
    expect(code).toBe(0); // a Warning is below the default failure threshold
    expect(findings.map((f) => [f.code, f.level, f.origin, f.line, f.column, f.path])).toEqual([
      ['MSH0003', 'Warning', 'Service shop/api-one', 29, 11, 'spec.ports[0].name'],
      ['MSH0003', 'Warning', 'Service shop/api-two', 41, 11, 'spec.ports[0].name'],
    ]);
    for (const f of findings) {
      expect(f.message).toContain('Services [api-one api-two]');
      expect(f.message).toContain('port 9000');
      expect(f.message).toContain('HTTP (api-one), TCP (api-two)');
    }
  });

  it('is silent when the protocols agree, including appProtocol over a port name', async () => {
    expect((await analyzeJson(scratchFile('agree.yaml', twoServices('http-api', 'http-web')))).findings).toEqual([]);
    // appProtocol wins over the name, as Istio decides: `tcp-legacy` with appProtocol http is HTTP.
    expect((await analyzeJson(scratchFile('app-protocol.yaml', twoServices('http-api', 'tcp-legacy', '\n    appProtocol: http')))).findings).toEqual([]);
    // ... and makes a conflict where the names agree.
    const { findings } = await analyzeJson(scratchFile('app-protocol-conflict.yaml', twoServices('http-api', 'http-web', '\n    appProtocol: grpc')));
    expect(findings.map((f) => f.message.includes('HTTP (api-one), GRPC (api-two)'))).toEqual([true, true]);
  });

  it('treats an unnamed or unprefixed port as TCP', async () => {
    const { findings } = await analyzeJson(scratchFile('plain.yaml', twoServices('http-api', 'web')));
    expect(findings.map((f) => f.origin)).toEqual(['Service shop/api-one', 'Service shop/api-two']);
    expect(findings[0]!.message).toContain('HTTP (api-one), TCP (api-two)');
  });

  it('fails at --failure-threshold Warning', async () => {
    const file = scratchFile('threshold.yaml', twoServices('http-api', 'tcp-api'));
    const r = await run(['analyze', '--analyzer', 'service.PortProtocolAnalyzer', '--failure-threshold', 'Warning', file]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('Warning [MSH0003] (Service shop/api-one');
  });
});

describe('service.PortProtocolAnalyzer in validate', () => {
  it('reports the conflict as a warning at the port names and keeps the file valid', async () => {
    const file = scratchFile('validate.yaml', twoServices('http-api', 'tcp-api'));
    const r = await run(['validate', '-f', file]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.includes('[MSH0003]')).map((l) => l.slice(0, l.indexOf(': warning')))).toEqual([
      `${file}:29:11`, `${file}:41:11`,
    ]);
    expect(r.stderr).toContain('Service/shop/api-one: Services [api-one api-two] select the same pods and expose port 9000 with different protocols');
    expect(r.stderr).toContain(`"${file}" has warnings:`);
  });

  it('says nothing when the protocols agree', async () => {
    const r = await run(['validate', '-f', scratchFile('validate-agree.yaml', twoServices('http-api', 'http-web'))]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('MSH0003');
  });
});

describe('service.PortProtocolAnalyzer on live objects', () => {
  /** A live object (no file position) as the cluster source produces it. */
  const live = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown>) =>
    resourceOf({ apiVersion, kind, metadata: { name, namespace: 'shop' }, ...rest }, apiVersion, kind, name, 'shop');
  const template = { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'example/api:1', ports: [{ name: 'serving', containerPort: 8080 }] }] } };
  const svc = (name: string, port: Record<string, unknown>) => live('v1', 'Service', name, { spec: { selector: { app: 'api' }, ports: [port] } });

  it('reads workload templates as well as pods, and reports each Service once however many pods match', () => {
    const resources = [
      live('apps/v1', 'Deployment', 'api', { spec: { template } }),
      live('apps/v1', 'ReplicaSet', 'api-5d9f7c', { spec: { template } }),
      ...['a', 'b', 'c'].map((p) => live('v1', 'Pod', `api-5d9f7c-${p}`, template)),
      svc('api-web', { name: 'http-web', port: 80, targetPort: 8080 }),
      svc('api-raw', { name: 'tcp-raw', port: 9000, targetPort: 'serving' }),
    ];
    // Live mode: templates do not stand in for pods in the store, the analyzer reads them itself.
    const { findings } = runAnalysis(new ResourceStore(resources, false), { analyzers: [servicePortProtocolAnalyzer], istioNamespace: 'istio-system' });
    expect(findings.map((f) => [f.resource?.name, f.path?.join('.'), f.position])).toEqual([
      ['api-raw', 'spec.ports.0.name', undefined],
      ['api-web', 'spec.ports.0.name', undefined],
    ]);
    expect(findings[0]!.message).toContain('expose targetPort 8080 with different protocols: TCP (api-raw), HTTP (api-web)');
    // Only a Deployment, no pods: still found.
    const onlyTemplate = runAnalysis(new ResourceStore([resources[0]!, ...resources.slice(5)], false), { analyzers: [servicePortProtocolAnalyzer], istioNamespace: 'istio-system' });
    expect(onlyTemplate.findings).toHaveLength(2);
  });
});

describe('external control plane webhook URLs', () => {
  it('reads hostnames as Go url.Parse and Hostname do', () => {
    expect(goUrlHostname('https://istiod.example.com:15017/validate')).toBe('istiod.example.com');
    expect(goUrlHostname('https://[2001:db8::1]:15017/inject')).toBe('2001:db8::1');
    expect(goUrlHostname('https://user@198.51.100.1/x?y#z')).toBe('198.51.100.1');
    expect(goUrlHostname('')).toBe('');
    expect(goUrlHostname('istiod.example.com:15017/inject')).toBe(''); // a scheme named istiod.example.com, opaque
  });

  it('refuses what Go refuses', () => {
    for (const bad of ['198.51.100.1:15017/inject', ':443', 'https://host:port/x', 'https://[2001:db8::1/x', 'https://ho st/x', 'https://host/%zz', 'https://host/\u0001']) {
      expect(goUrlHostname(bad), bad).toBeUndefined();
    }
  });

  it('tells IP addresses from names as net.ParseIP does', () => {
    for (const ip of ['198.51.100.1', '::1', '2001:db8::1', '::ffff:198.51.100.1', '1:2:3:4:5:6:7:8']) expect(isIpAddress(ip), ip).toBe(true);
    for (const name of ['istiod.example.com', '198.51.100', '198.51.100.01', '256.1.1.1', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '']) expect(isIpAddress(name), name).toBe(false);
  });
});

describe('Gateway API bundle versions', () => {
  it('reads versions as Masterminds semver does, leniently', () => {
    expect(parseLooseVersion('v1.4.1')).toEqual({ parts: [1, 4, 1], prerelease: '', metadata: '' });
    expect(parseLooseVersion('1.5')).toEqual({ parts: [1, 5, 0], prerelease: '', metadata: '' });
    expect(parseLooseVersion('v1.5.0-rc.1+abc')).toEqual({ parts: [1, 5, 0], prerelease: 'rc.1', metadata: 'abc' });
    for (const bad of ['latest', 'v1.4.1.2', 'v1.4.0-01', '']) expect(parseLooseVersion(bad), bad).toBeUndefined();
  });
});
