import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../src/manifest/objects.js';
import { crdSchemaYaml, findCrdSchema, renderCrds, writtenCrdSchemas, type CrdSchemaSet } from '../../src/render/crds.js';
import { toYamlStream } from '../../src/manifest/serialize.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const setPath = join(repoRoot, 'manifests/crds/istio-crds.json');
const generator = join(repoRoot, 'scripts/gen-crd-schemas.mjs');
const referencePath = resolve(repoRoot, '../shared/reference/istio-1.30.3-crds.yaml');
const hasReference = existsSync(referencePath);
const noReference = 'the upstream CRD file (../shared/reference) exists only on development machines; CI checks the committed JSON';
/** Names a reference-only test so a skip says why. */
const needsReference = (name: string) => (hasReference ? name : `${name} [skipped: ${noReference}]`);

const set = JSON.parse(readFileSync(setPath, 'utf8')) as CrdSchemaSet;
const labels = { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/part-of': 'istio' };
const rendered = renderCrds(set, labels);

const tmp = mkdtempSync(join(tmpdir(), 'meshctl-crds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the generator; returns the output file's text. */
function generate(input: string, name: string): string {
  const output = join(tmp, name);
  execFileSync(process.execPath, [generator, input, output], { stdio: 'pipe' });
  return readFileSync(output, 'utf8');
}

// Delta §4.2: group, kind, plural/singular, shortNames, versions (* = storage), printer columns, CEL rule count.
const table: [string, string, string, string, string[], string, string, number][] = [
  ['extensions.istio.io', 'TrafficExtension', 'trafficextensions', 'trafficextension', [], 'v1alpha1*', 'Age', 8],
  ['extensions.istio.io', 'WasmPlugin', 'wasmplugins', 'wasmplugin', [], 'v1alpha1*', 'Age', 8],
  ['networking.istio.io', 'DestinationRule', 'destinationrules', 'destinationrule', ['dr'], 'v1* v1alpha3 v1beta1', 'Host=.spec.host Age', 39],
  ['networking.istio.io', 'EnvoyFilter', 'envoyfilters', 'envoyfilter', [], 'v1alpha3*', '', 5],
  ['networking.istio.io', 'Gateway', 'gateways', 'gateway', ['gw'], 'v1* v1alpha3 v1beta1', '', 3],
  ['networking.istio.io', 'ProxyConfig', 'proxyconfigs', 'proxyconfig', [], 'v1beta1*', '', 3],
  ['networking.istio.io', 'ServiceEntry', 'serviceentries', 'serviceentry', ['se'], 'v1* v1alpha3 v1beta1',
    'Hosts=.spec.hosts Location=.spec.location Resolution=.spec.resolution Age', 15],
  ['networking.istio.io', 'Sidecar', 'sidecars', 'sidecar', [], 'v1* v1alpha3 v1beta1', '', 14],
  ['networking.istio.io', 'VirtualService', 'virtualservices', 'virtualservice', ['vs'], 'v1* v1alpha3 v1beta1',
    'Gateways=.spec.gateways Hosts=.spec.hosts Age', 6],
  ['networking.istio.io', 'WorkloadEntry', 'workloadentries', 'workloadentry', ['we'], 'v1* v1alpha3 v1beta1', 'Age Address=.spec.address', 6],
  ['networking.istio.io', 'WorkloadGroup', 'workloadgroups', 'workloadgroup', ['wg'], 'v1* v1alpha3 v1beta1', 'Age', 9],
  ['security.istio.io', 'AuthorizationPolicy', 'authorizationpolicies', 'authorizationpolicy', ['ap'], 'v1* v1beta1', 'Action=.spec.action Age', 7],
  ['security.istio.io', 'PeerAuthentication', 'peerauthentications', 'peerauthentication', ['pa'], 'v1* v1beta1', 'Mode=.spec.mtls.mode Age', 5],
  ['security.istio.io', 'RequestAuthentication', 'requestauthentications', 'requestauthentication', ['ra'], 'v1* v1beta1', '', 10],
  ['telemetry.istio.io', 'Telemetry', 'telemetries', 'telemetry', ['telemetry'], 'v1 v1alpha1*', 'Age', 9],
];

type Node = { [key: string]: unknown };

/** Returns the schema at a dotted field path under the root; `name[]` steps into array items. */
function field(schema: JsonObject, path: string): Node {
  let node: Node = schema;
  for (const step of path.split('.')) {
    const name = step.replace(/\[\]$/, '');
    node = (node.properties as Node)[name] as Node;
    expect(node, `${path}: no field ${name}`).toBeDefined();
    if (step.endsWith('[]')) node = node.items as Node;
  }
  return node;
}

/** Returns every value under `node` (depth first) with its path, for whole-tree assertions. */
function* walk(node: unknown, path = ''): Generator<[string, Node]> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* walk(item, `${path}[${i}]`);
  } else if (node !== null && typeof node === 'object') {
    yield [path, node as Node];
    for (const [key, value] of Object.entries(node)) yield* walk(value, `${path}/${key}`);
  }
}

/** Returns the field paths (`spec.a.b[]`) where a schema sets x-kubernetes-preserve-unknown-fields. */
function preserveUnknownPaths(schema: unknown, path = ''): string[] {
  const node = schema as Node;
  const here = node['x-kubernetes-preserve-unknown-fields'] === true ? [path] : [];
  const props = Object.entries((node.properties ?? {}) as Node)
    .flatMap(([name, child]) => preserveUnknownPaths(child, path ? `${path}.${name}` : name));
  const items = node.items ? preserveUnknownPaths(node.items, `${path}[]`) : [];
  return [...here, ...props, ...items];
}

function celRuleCount(schema: unknown): number {
  let n = 0;
  for (const [, node] of walk(schema)) {
    const rules = node['x-kubernetes-validations'];
    if (Array.isArray(rules)) n += rules.length;
  }
  return n;
}

/** Returns a copy without prose: drops `description` keys except field names inside `properties`. */
function withoutDescriptions(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutDescriptions(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Node = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'description' && parentKey !== 'properties') continue;
    out[key] = withoutDescriptions(child, key);
  }
  return out;
}

describe('Istio 1.30.3 CRD schema set', () => {
  it('has the 15 CRDs of delta §4.2 with their names, versions, storage version and printer columns', () => {
    expect(set.crds.map((c) => c.kind)).toEqual(table.map((row) => row[1]));
    for (const [group, kind, plural, singular, shortNames, versions, columns] of table) {
      const crd = set.crds.find((c) => c.kind === kind)!;
      expect({ group: crd.group, plural: crd.plural, singular: crd.singular, shortNames: crd.shortNames ?? [] }, kind)
        .toEqual({ group, plural, singular, shortNames });
      expect(crd.versions.map((v) => v.name + (v.storage ? '*' : '')).join(' '), kind).toBe(versions);
      expect(crd.versions.every((v) => v.served), kind).toBe(true);
      for (const version of crd.versions) {
        const shown = version.printerColumns.map((c) => (c.name === 'Age' ? 'Age' : `${c.name}=${c.jsonPath}`)).join(' ');
        expect(shown, `${kind} ${version.name}`).toBe(columns);
      }
      // Delta §4.1 facts.
      expect(crd.listKind).toBe(`${kind}List`);
      expect(crd.scope).toBe('Namespaced');
      expect(crd.categories).toEqual(['istio-io', group.replaceAll('.', '-')]);
    }
  });

  it('orders CRDs by group, then kind', () => {
    const keys = set.crds.map((c) => `${c.group} ${c.kind}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('has the CEL rule count of delta §4.2 in every version', () => {
    for (const [, kind, , , , , , cel] of table) {
      for (const version of set.crds.find((c) => c.kind === kind)!.versions) {
        expect(celRuleCount(set.schemas[version.schema]), `${kind} ${version.name}`).toBe(cel);
      }
    }
  });

  it('stores each distinct schema once, every id used', () => {
    const used = new Set(set.crds.flatMap((c) => c.versions.map((v) => v.schema)));
    expect([...used].sort()).toEqual(Object.keys(set.schemas).sort());
    const contents = Object.values(set.schemas).map((s) => JSON.stringify(s));
    expect(new Set(contents).size).toBe(contents.length);
  });

  it('keeps field types, enums and CEL rules (spot checks)', () => {
    const dr = findCrdSchema(set, 'networking.istio.io/v1', 'DestinationRule')!;
    expect(field(dr, 'spec.host')).toEqual({ type: 'string' });
    expect(field(dr, 'spec.trafficPolicy.tls.mode')).toEqual({ type: 'string', enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] });
    expect(field(dr, 'spec.trafficPolicy.connectionPool.tcp.connectTimeout')['x-kubernetes-validations'])
      .toEqual([{ rule: "duration(self) >= duration('1ms')", message: 'must be a valid duration greater than 1ms' }]);
    const vs = findCrdSchema(set, 'networking.istio.io/v1', 'VirtualService')!;
    expect(field(vs, 'spec.http[].route[].weight')).toEqual({ type: 'integer', format: 'int32' });
    expect(field(vs, 'spec.http[].route[]').required).toEqual(['destination']);
  });

  it('sets x-kubernetes-preserve-unknown-fields only on status and the three spec fields of delta §4.2', () => {
    const expected: Record<string, string[]> = {
      TrafficExtension: ['spec.wasm.pluginConfig'],
      WasmPlugin: ['spec.pluginConfig'],
      EnvoyFilter: ['spec.configPatches[].patch.value'],
    };
    for (const crd of set.crds) {
      for (const version of crd.versions) {
        const paths = preserveUnknownPaths(set.schemas[version.schema]);
        expect(paths.filter((p) => p !== 'status'), `${crd.kind} ${version.name}`).toEqual(expected[crd.kind] ?? []);
        expect(field(set.schemas[version.schema]!, 'status').type).toBe('object');
        expect(paths).toContain('status');
      }
    }
  });

  it('lacks the fields master has and 1.30.3 does not (delta §4.3)', () => {
    const dr = findCrdSchema(set, 'networking.istio.io/v1', 'DestinationRule')!;
    expect(field(dr, 'spec.trafficPolicy.loadBalancer').properties).not.toHaveProperty('zoneAwareLbSetting');
    expect(field(dr, 'spec.trafficPolicy.outlierDetection').properties).not.toHaveProperty('outlierDetectionHttpErrorCodes');
    const vs = findCrdSchema(set, 'networking.istio.io/v1', 'VirtualService')!;
    expect(field(vs, 'spec.http[].redirect').properties).not.toHaveProperty('prefixRewrite');
    const ef = findCrdSchema(set, 'networking.istio.io/v1alpha3', 'EnvoyFilter')!;
    expect(field(ef, 'spec.configPatches[].patch.operation').enum).not.toContain('MERGE_AND_REPLACE_LIST');
    const ra = findCrdSchema(set, 'security.istio.io/v1', 'RequestAuthentication')!;
    expect(field(ra, 'spec.jwtRules[]').properties).not.toHaveProperty('presence');
  });

  it('carries no description anywhere', () => {
    expect(readFileSync(setPath, 'utf8')).not.toContain('"description"');
    for (const [path, node] of walk(rendered)) expect(node, path).not.toHaveProperty('description');
  });
});

describe('renderCrds', () => {
  it('renders one apiextensions.k8s.io/v1 CRD per entry, named <plural>.<group>, with the given labels', () => {
    expect(rendered.map((o) => o.metadata.name)).toEqual(table.map(([group, , plural]) => `${plural}.${group}`));
    for (const crd of rendered) {
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(crd.metadata.labels).toEqual(labels);
      expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    }
  });

  it('renders DestinationRule as upstream structures it', () => {
    const dr = rendered.find((o) => o.metadata.name === 'destinationrules.networking.istio.io')!;
    const spec = dr.spec as Node;
    expect(spec.names).toEqual({
      categories: ['istio-io', 'networking-istio-io'], kind: 'DestinationRule', listKind: 'DestinationRuleList',
      plural: 'destinationrules', shortNames: ['dr'], singular: 'destinationrule',
    });
    const versions = spec.versions as Node[];
    expect(versions.map((v) => Object.keys(v))).toEqual(Array(3).fill(
      ['name', 'served', 'storage', 'additionalPrinterColumns', 'schema', 'subresources']));
    expect(versions[0]!.additionalPrinterColumns).toEqual([
      { jsonPath: '.spec.host', name: 'Host', type: 'string' },
      { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
    ]);
    expect(versions[0]!.subresources).toEqual({ status: {} });
  });

  it('omits additionalPrinterColumns and shortNames where upstream has none', () => {
    const ef = rendered.find((o) => o.metadata.name === 'envoyfilters.networking.istio.io')!;
    const spec = ef.spec as Node;
    expect(spec.names).not.toHaveProperty('shortNames');
    expect((spec.versions as Node[])[0]).not.toHaveProperty('additionalPrinterColumns');
  });

  it('returns copies: editing the output leaves the set alone', () => {
    const [first] = renderCrds(set, {});
    const schema = ((first!.spec as Node).versions as Node[])[0]!.schema as { openAPIV3Schema: Node };
    schema.openAPIV3Schema.type = 'changed';
    expect(set.schemas['trafficextensions.extensions.istio.io']!.type).toBe('object');
  });

  it('shares the set\'s schemas when asked, and makes everything else new', () => {
    const [first, second] = renderCrds(set, labels, 'share');
    expect(renderCrds(set, labels, 'share')).toStrictEqual(rendered);
    const version = ((first!.spec as Node).versions as Node[])[0]!;
    expect((version.schema as { openAPIV3Schema: Node }).openAPIV3Schema).toBe(set.schemas['trafficextensions.extensions.istio.io']);
    expect(first!.metadata.labels).not.toBe(second!.metadata.labels);
    expect((first!.spec as Node).names).not.toBe((renderCrds(set, labels, 'share')[0]!.spec as Node).names);
  });

  it('prints the schemas from crdSchemaYaml as emitting them prints them', () => {
    const yaml = crdSchemaYaml(set);
    expect(Object.keys(yaml)).toEqual(Object.keys(set.schemas));
    const written = writtenCrdSchemas(set, yaml);
    expect(written.size).toBe(Object.keys(set.schemas).length);
    const shared = renderCrds(set, labels, 'share');
    expect(toYamlStream(shared, written)).toBe(toYamlStream(rendered));
    // Copies are not the set's objects, so they are emitted.
    expect(toYamlStream(rendered, new Map([...written.keys()].map((schema) => [schema, 'stand: in\n'] as const)))).toBe(toYamlStream(rendered));
    // The text is what is printed (not emitted again): a stand-in shows where it lands.
    const [first] = shared;
    const id = ((first!.spec as Node).versions as Node[]).map((v) => v.name);
    const standIn = new Map([...written.keys()].map((schema) => [schema, 'stand: in\n'] as const));
    const text = toYamlStream([first], standIn);
    expect(text.match(/^ {8}stand: in$/gm)).toHaveLength(id.length);
    expect(text).not.toContain('x-kubernetes-validations');
    expect(writtenCrdSchemas(set, undefined).size).toBe(0);
  });

  it('throws naming the CRD when a version refers to a missing schema', () => {
    const broken: CrdSchemaSet = { ...set, schemas: {} };
    expect(() => renderCrds(broken, {})).toThrow(/trafficextensions\.extensions\.istio\.io v1alpha1: unknown schema id/);
  });

  it.skipIf(!hasReference)(needsReference('equals the upstream CRDs minus descriptions and static labels'), () => {
    const upstream = parseAllDocuments(readFileSync(referencePath, 'utf8')).map((d) => d.toJS() as Node);
    expect(upstream).toHaveLength(15);
    const strip = (crd: unknown) => {
      const copy = withoutDescriptions(crd) as { metadata: Node };
      delete copy.metadata.labels;
      return copy;
    };
    const byName = new Map(rendered.map((o) => [o.metadata.name, o]));
    for (const crd of upstream) {
      const name = (crd.metadata as Node).name as string;
      expect(strip(byName.get(name)), name).toEqual(strip(crd));
    }
  });
});

describe('findCrdSchema', () => {
  it('returns the shared schema of any served version', () => {
    const v1 = findCrdSchema(set, 'networking.istio.io/v1', 'VirtualService');
    expect(v1).toBe(set.schemas['virtualservices.networking.istio.io']);
    expect(findCrdSchema(set, 'networking.istio.io/v1alpha3', 'VirtualService')).toBe(v1);
    expect(findCrdSchema(set, 'telemetry.istio.io/v1', 'Telemetry')).toBe(set.schemas['telemetries.telemetry.istio.io']);
  });

  it.each([
    ['networking.istio.io/v2', 'VirtualService'],
    ['security.istio.io/v1', 'VirtualService'],
    ['networking.istio.io/v1', 'virtualservice'],
    ['v1', 'Service'],
    ['gateway.networking.k8s.io/v1', 'Gateway'],
  ])('returns undefined for %s %s', (apiVersion, kind) => {
    expect(findCrdSchema(set, apiVersion, kind)).toBeUndefined();
  });
});

describe('scripts/gen-crd-schemas.mjs', () => {
  const fixture = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  labels: {app: istio-pilot}
  name: widgets.example.istio.io
spec:
  group: example.istio.io
  names: {categories: [istio-io], kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - additionalPrinterColumns:
    - {description: prose, jsonPath: .spec.size, name: Size, type: string}
    name: v1
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            description: prose
            type: object
            properties:
              description: {type: string, description: a field named description stays}
              size: {type: integer, format: int32, x-kubernetes-validations: [{rule: self > 0, message: must be positive}]}
    served: true
    storage: true
    subresources: {status: {}}
  - name: v1beta1
    schema:
      openAPIV3Schema:
        properties:
          spec:
            properties:
              size: {description: other prose, x-kubernetes-validations: [{message: must be positive, rule: self > 0}], format: int32, type: integer}
              description: {description: different prose, type: string}
            type: object
            description: more prose
        type: object
    served: true
    storage: false
    subresources: {status: {}}
  - name: v1alpha1
    schema:
      openAPIV3Schema: {type: object}
    served: false
    storage: false
    subresources: {status: {}}
`;

  it('drops prose, keeps a field named description, and stores equal schemas once', () => {
    const input = join(tmp, 'fixture.yaml');
    writeFileSync(input, fixture);
    const out = JSON.parse(generate(input, 'fixture.json')) as CrdSchemaSet;
    expect(out.crds[0]!.versions.map((v) => [v.name, v.schema])).toEqual([
      ['v1', 'widgets.example.istio.io'],
      ['v1beta1', 'widgets.example.istio.io'],
      ['v1alpha1', 'widgets.example.istio.io/v1alpha1'],
    ]);
    expect(out.crds[0]!.versions[0]!.printerColumns).toEqual([{ jsonPath: '.spec.size', name: 'Size', type: 'string' }]);
    expect(out.schemas['widgets.example.istio.io']).toEqual({
      type: 'object',
      properties: { spec: { type: 'object', properties: {
        description: { type: 'string' },
        size: { type: 'integer', format: 'int32', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'must be positive' }] },
      } } },
    });
    expect(findCrdSchema(out, 'example.istio.io/v1alpha1', 'Widget')).toBeUndefined();
  });

  it('fails on a schema keyword it does not know, naming where', () => {
    const input = join(tmp, 'unknown.yaml');
    writeFileSync(input, fixture.replace('size: {type: integer,', 'size: {x-new-thing: 1, type: integer,'));
    expect(() => generate(input, 'unknown.json')).toThrow(/widgets\.example\.istio\.io.*unsupported schema keyword "x-new-thing"/s);
  });

  it.skipIf(!hasReference)(needsReference('reproduces the committed manifests/crds/istio-crds.json byte for byte'), () => {
    expect(generate(referencePath, 'istio-crds.json')).toBe(readFileSync(setPath, 'utf8'));
  });
});
