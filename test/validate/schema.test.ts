/** schemaProblems / hasSchema: coverage of kinds and versions, kubectl-style messages, Secret redaction. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { CrdSchemaSet } from '../../src/render/crds.js';
import { formatFieldPath, hasSchema, schemaProblems, unknownIstioKindMessage } from '../../src/schema/validate-object.js';
import { repoRoot } from '../helpers.js';

const testdata = join(repoRoot, 'test/testdata/validate');
const crdSet = JSON.parse(readFileSync(join(repoRoot, 'manifests/crds/istio-crds.json'), 'utf8')) as CrdSchemaSet;

function load(file: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(join(testdata, file), 'utf8'))
    .map((d) => d.toJS() as Record<string, any> | null)
    .filter((d): d is Record<string, any> => d !== null);
}

const CORE_KINDS = [
  'apps/v1 DaemonSet', 'apps/v1 Deployment', 'apps/v1 ReplicaSet', 'apps/v1 StatefulSet',
  'batch/v1 CronJob', 'batch/v1 Job',
  'v1 ConfigMap', 'v1 Namespace', 'v1 Pod', 'v1 Secret', 'v1 Service', 'v1 ServiceAccount',
];

function messages(object: unknown): string[] | undefined {
  return schemaProblems(object)?.map((p) => p.message).sort();
}

/** Problems ordered by message, so tests do not depend on the order ajv walks the schema. */
function sorted<T extends { message: string }>(problems: T[] | undefined): T[] | undefined {
  return problems && [...problems].sort((a, b) => a.message.localeCompare(b.message));
}

function deployment(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
      ...spec,
    },
    ...extra,
  };
}

describe('core kinds', () => {
  it.each(CORE_KINDS)('%s has a schema', (entry) => {
    const [apiVersion, kind] = entry.split(' ') as [string, string];
    expect(hasSchema(apiVersion, kind)).toBe(true);
  });

  it('has a valid sample of every core kind, and each passes', () => {
    const objects = load('valid/core-kinds.yaml');
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual(CORE_KINDS);
    for (const o of objects) expect({ kind: o.kind, problems: schemaProblems(o) }).toEqual({ kind: o.kind, problems: [] });
  });

  it('knows core kinds only at their GA version, and is case-sensitive', () => {
    expect(hasSchema('extensions/v1beta1', 'Deployment')).toBe(false);
    expect(hasSchema('apps/v1', 'deployment')).toBe(false);
    expect(hasSchema('v1', 'ReplicationController')).toBe(false);
    expect(schemaProblems({ apiVersion: 'apps/v1beta2', kind: 'Deployment', spec: { bogus: 1 } })).toBeUndefined();
  });

  it('returns undefined for non-objects and objects without string apiVersion/kind', () => {
    for (const value of [null, undefined, 'x', 3, [], [{}], {}, { kind: 'Pod' }, { apiVersion: 'v1', kind: 7 }]) {
      expect(schemaProblems(value)).toBeUndefined();
    }
  });
});

describe('Istio kinds', () => {
  const served = crdSet.crds.flatMap((crd) => crd.versions.filter((v) => v.served).map((v) => ({ crd, version: v.name })));

  it('covers the 15 CRDs of the schema set', () => {
    expect(crdSet.crds).toHaveLength(15);
    expect(served.length).toBeGreaterThanOrEqual(15);
  });

  it.each(served.map(({ crd, version }) => [`${crd.group}/${version}`, crd.kind] as const))('%s %s has a validator', (apiVersion, kind) => {
    expect(hasSchema(apiVersion, kind)).toBe(true);
    // A bare object with only apiVersion and kind: valid unless the CRD requires spec.
    const problems = schemaProblems({ apiVersion, kind, metadata: { name: 'x' } });
    expect(problems).toBeDefined();
    expect(problems!.every((p) => p.message === 'spec: Required value')).toBe(true);
    expect(messages({ apiVersion, kind, metadata: { name: 'x' }, spec: {}, bogus: 1 })).toContain('unknown field "bogus"');
  });

  it('has a valid sample of every Istio kind, valid under every served version', () => {
    const objects = load('valid/istio-kinds.yaml');
    expect(objects.map((o) => o.kind).sort()).toEqual(crdSet.crds.map((c) => c.kind).sort());
    for (const { crd, version } of served) {
      const sample = objects.find((o) => o.kind === crd.kind)!;
      const object = { ...sample, apiVersion: `${crd.group}/${version}` };
      expect({ apiVersion: object.apiVersion, kind: crd.kind, problems: schemaProblems(object) })
        .toEqual({ apiVersion: object.apiVersion, kind: crd.kind, problems: [] });
    }
  });

  it('has no validator for versions a CRD does not serve', () => {
    expect(hasSchema('networking.istio.io/v2', 'VirtualService')).toBe(false);
    expect(hasSchema('networking.istio.io/v1', 'AuthorizationPolicy')).toBe(false);
  });

  it('accepts anything in x-kubernetes-preserve-unknown-fields regions, and only there', () => {
    const filter = {
      apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'f' },
      spec: { configPatches: [{ applyTo: 'HTTP_FILTER', patch: { operation: 'MERGE', value: { any: { thing: [1, { x: null }] } } } }] },
      status: { whatever: { deep: true } },
    };
    expect(schemaProblems(filter)).toEqual([]);
    const wasm = { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'w' }, spec: { url: 'oci://x', pluginConfig: { a: { b: [1, 2] } } } };
    expect(schemaProblems(wasm)).toEqual([]);
    (filter.spec.configPatches[0]!.patch as Record<string, unknown>).valu = {};
    expect(messages(filter)).toEqual(['unknown field "spec.configPatches[0].patch.valu"']);
  });

  it('reports unknown fields at every depth with their path (istio/istio#24860)', () => {
    const vs = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', annotaions: {} },
      spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r', port: { numbr: 1 } }, wieght: 1 }] }] },
    };
    expect(sorted(schemaProblems(vs))).toEqual([
      { path: ['metadata', 'annotaions'], message: 'unknown field "metadata.annotaions"', atKey: true },
      { path: ['spec', 'http', 0, 'route', 0, 'destination', 'port', 'numbr'], message: 'unknown field "spec.http[0].route[0].destination.port.numbr"', atKey: true },
      { path: ['spec', 'http', 0, 'route', 0, 'wieght'], message: 'unknown field "spec.http[0].route[0].wieght"', atKey: true },
    ]);
  });

  it('reports enum, type, range and proto-oneof violations once per node', () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd' },
      spec: {
        host: 'd',
        trafficPolicy: {
          tls: { mode: 'STRICTT' },
          loadBalancer: { consistentHash: { httpHeaderName: 'a', useSourceIp: true, httpQueryParameterName: 'q' } },
          portLevelSettings: [{ port: { number: -1 } }],
        },
      },
    };
    expect(messages(dr)).toEqual([
      'spec.trafficPolicy.loadBalancer.consistentHash.httpQueryParameterName: Forbidden: only one of "httpHeaderName" and "httpQueryParameterName" may be set',
      'spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp: Forbidden: only one of "httpHeaderName" and "useSourceIp" may be set',
      'spec.trafficPolicy.portLevelSettings[0].port.number: Invalid value: -1: spec.trafficPolicy.portLevelSettings[0].port.number in body should be greater than or equal to 0',
      'spec.trafficPolicy.tls.mode: Unsupported value: "STRICTT": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"',
    ]);
  });

  it('words pattern, length, item-count and format errors', () => {
    const wasm = {
      apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'w' },
      spec: { url: 'oci://x', sha256: 'abc', targetRefs: [{ kind: '9Service', name: 'web', group: 'g'.repeat(254) }] },
    };
    expect(messages(wasm)).toEqual([
      'spec.sha256: Invalid value: "abc": spec.sha256 in body should match \'(^$|^[a-f0-9]{64}$)\'',
      'spec.targetRefs[0].group: Too long: may not be longer than 253 characters',
      'spec.targetRefs[0].kind: Invalid value: "9Service": spec.targetRefs[0].kind in body should match \'^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$\'',
    ]);
    const gateway = {
      apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' },
      spec: { servers: [{ hosts: ['*'], port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialNames: ['a', 'b', 'c'] } }] },
    };
    expect(messages(gateway)).toEqual(['spec.servers[0].tls.credentialNames: Too many: 3: must have at most 2 items']);
    gateway.spec.servers[0]!.tls.credentialNames = [];
    expect(messages(gateway)).toEqual([
      'spec.servers[0].tls.credentialNames: Invalid value: "array": spec.servers[0].tls.credentialNames in body should have at least 1 items',
    ]);
  });

  it('treats null as unset, including in oneof groups', () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', labels: null },
      spec: { host: 'd', trafficPolicy: { tls: { mode: null }, loadBalancer: { simple: null, consistentHash: { useSourceIp: true } } } },
    };
    expect(schemaProblems(dr)).toEqual([]);
  });
});

describe('messages', () => {
  it('words type, required and int-or-string errors the way the API server does', () => {
    const d = deployment({ replicas: '3' });
    (d.spec as any).template.spec.containers = [{ image: 'x', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: true } } }];
    expect(sorted(schemaProblems(d))).toEqual(sorted([
      {
        path: ['spec', 'replicas'], atKey: false,
        message: 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer',
      },
      {
        path: ['spec', 'template', 'spec', 'containers', 0, 'name'], atKey: false,
        message: 'spec.template.spec.containers[0].name: Required value',
      },
      {
        path: ['spec', 'template', 'spec', 'containers', 0, 'livenessProbe', 'httpGet', 'port'], atKey: false,
        message: 'spec.template.spec.containers[0].livenessProbe.httpGet.port: Invalid value: "boolean": '
          + 'spec.template.spec.containers[0].livenessProbe.httpGet.port in body must be of type integer or string',
      },
    ]));
  });

  it('accepts both spellings of int-or-string and of quantities', () => {
    const d = deployment({ strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } });
    (d.spec as any).template.spec.containers[0].resources = { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '100m', memory: 1073741824 } };
    expect(schemaProblems(d)).toEqual([]);
    (d.spec as any).template.spec.containers[0].resources.limits.cpu = { value: 1 };
    expect(messages(d)).toEqual([
      'spec.template.spec.containers[0].resources.limits.cpu: Invalid value: "object": spec.template.spec.containers[0].resources.limits.cpu in body must be of type string or number',
    ]);
  });

  it('reports an unknown metadata field in core and Istio objects at the key', () => {
    expect(schemaProblems(deployment({}, { metadata: { name: 'web', lables: {} } }))).toEqual([
      { path: ['metadata', 'lables'], message: 'unknown field "metadata.lables"', atKey: true },
    ]);
    expect(messages({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { nmae: 'x' } }))
      .toEqual(['unknown field "metadata.nmae"']);
  });

  it('rejects non-string label values and bad timestamps', () => {
    expect(messages(deployment({}, { metadata: { name: 'web', labels: { version: 1 }, creationTimestamp: 'yesterday' } }))).toEqual([
      'metadata.creationTimestamp: Invalid value: "yesterday": metadata.creationTimestamp in body must be of type date-time',
      'metadata.labels.version: Invalid value: "integer": metadata.labels.version in body must be of type string',
    ]);
  });

  it('rejects integers out of the int32 range', () => {
    expect(messages(deployment({ replicas: 2 ** 31 }))).toEqual([
      'spec.replicas: Invalid value: 2147483648: spec.replicas in body should be less than or equal to 2147483647',
    ]);
  });

  it('formats paths with list indices and bracketed map keys', () => {
    expect(formatFieldPath(['spec', 'ports', 0, 'name'])).toBe('spec.ports[0].name');
    expect(formatFieldPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe('metadata.labels[app.kubernetes.io/name]');
    expect(formatFieldPath([])).toBe('<root>');
  });
});

describe('Secret redaction', () => {
  const secret = (data: unknown, stringData: unknown): Record<string, unknown> => ({
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data, stringData,
  });

  it('never shows values from data or stringData, whatever their shape', () => {
    // Values that are wrong for their field (not base64, not strings, containers) so every one of them is reported.
    // Strings carry a marker that no path or message text contains, so a leak cannot hide in a field name.
    const secretText = fc.string({ maxLength: 40 }).map((s) => `\u00a7${s}\u00a7`);
    const badValue = fc.oneof(
      secretText,
      fc.integer({ min: 100000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: 1000.5 }),
      fc.boolean(),
      fc.array(secretText, { minLength: 1, maxLength: 3 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), secretText, { minKeys: 1, maxKeys: 3 }),
    );
    fc.assert(fc.property(
      fc.dictionary(fc.constantFrom('password', 'token', 'tls.key'), badValue, { minKeys: 1 }),
      fc.dictionary(fc.constantFrom('apiKey', 'user'), badValue.filter((v) => typeof v !== 'string')),
      (data, stringData) => {
        const problems = schemaProblems(secret(data, stringData))!;
        expect(problems.length).toBeGreaterThanOrEqual(Object.keys(data).length);
        const leaves: string[] = [];
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') Object.values(v).forEach(walk);
          else if (typeof v === 'string') leaves.push(v, JSON.stringify(v).slice(1, -1));
          else if (typeof v === 'number' || typeof v === 'boolean') leaves.push(String(v));
        };
        walk(data);
        walk(stringData);
        for (const p of problems) {
          expect(p.message).toContain('<redacted>');
          expect(p.message).not.toContain('\u00a7');
          for (const leaf of leaves) expect(p.message).not.toContain(leaf);
        }
      },
    ), { numRuns: 200 });
  });

  it('redacts whole data maps of the wrong type, and still names fields outside data', () => {
    expect(messages({ ...secret('c2VjcmV0', undefined), type: 5 })).toEqual([
      'data: Invalid value: <redacted>: data in body must be of type object',
      'type: Invalid value: "integer": type in body must be of type string',
    ]);
  });
});

describe('unknown Istio kinds', () => {
  it('names the served versions, a close kind, or the kinds of the group', () => {
    expect(unknownIstioKindMessage('networking.istio.io/v9', 'Gateway'))
      .toBe('no kind "Gateway" is registered for version "networking.istio.io/v9" (served versions: v1, v1alpha3, v1beta1)');
    expect(unknownIstioKindMessage('networking.istio.io/v1', 'virtualservice'))
      .toBe('no kind "virtualservice" is registered for version "networking.istio.io/v1" (did you mean "VirtualService"?)');
    expect(unknownIstioKindMessage('telemetry.istio.io/v1', 'Metrics'))
      .toBe('no kind "Metrics" is registered for version "telemetry.istio.io/v1" (kinds of telemetry.istio.io: Telemetry)');
    expect(unknownIstioKindMessage('rbac.istio.io/v1alpha1', 'ServiceRole'))
      .toBe('no kind "ServiceRole" is registered for version "rbac.istio.io/v1alpha1" (no Istio API group "rbac.istio.io")');
  });

  it('is silent for known kinds, IstioOperator and other groups', () => {
    expect(unknownIstioKindMessage('networking.istio.io/v1beta1', 'Sidecar')).toBeUndefined();
    expect(unknownIstioKindMessage('install.istio.io/v1alpha1', 'IstioOperator')).toBeUndefined();
    expect(unknownIstioKindMessage('gateway.networking.k8s.io/v1', 'HTTPRoute')).toBeUndefined();
    expect(unknownIstioKindMessage('v1', 'Whatever')).toBeUndefined();
    expect(unknownIstioKindMessage('notistio.io/v1', 'X')).toBeUndefined();
  });
});
