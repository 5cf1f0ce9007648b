// Generates manifests/crds/istio-crds.json, the Istio CRD schema set that `renderCrds` turns into
// CustomResourceDefinitions and that `validate` checks Istio resources against.
//
//   node scripts/gen-crd-schemas.mjs [reference.yaml] [output.json]
//
// Defaults: ../shared/reference/istio-1.30.3-crds.yaml and manifests/crds/istio-crds.json, both relative
// to the repository root. The reference file (upstream crd-all.gen.yaml, Apache-2.0) exists only on
// development machines, so the output is committed; this script must stay deterministic (same input,
// same bytes) because a test regenerates it and compares.
//
// Facts carry over (group, names, versions, printer columns, field names, types, enums, formats, bounds,
// required, x-kubernetes-* markers, CEL rules and messages); upstream prose does not: `description`
// (and the other prose keywords title/example/externalDocs) is dropped everywhere. Any CRD or schema key
// this script does not know makes it fail, so a new upstream feature is noticed instead of lost.
// The output shape is documented at the top of src/render/crds.ts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const SOURCE = 'Istio 1.30.3 CRDs';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// JSONSchemaProps keywords (k8s.io/apiextensions-apiserver v1), split by what their value holds.
const PROSE = new Set(['description', 'title', 'example', 'externalDocs']);
const SCHEMA_MAP = new Set(['properties', 'patternProperties', 'definitions']);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_OR_BOOL = new Set(['items', 'not', 'additionalProperties', 'additionalItems']);
const DATA = new Set(['type', 'format', 'default', 'enum', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'maxProperties',
  'minProperties', 'required', 'nullable', 'dependencies', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations']);
const CEL_RULE_KEYS = new Set(['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf']);

const SPEC_KEYS = new Set(['group', 'names', 'scope', 'versions']);
const NAMES_KEYS = new Set(['categories', 'kind', 'listKind', 'plural', 'shortNames', 'singular']);
const VERSION_KEYS = new Set(['additionalPrinterColumns', 'name', 'schema', 'served', 'storage', 'subresources']);
const COLUMN_KEYS = new Set(['description', 'format', 'jsonPath', 'name', 'priority', 'type']);

function fail(where, message) {
  throw new Error(`gen-crd-schemas: ${where}: ${message}`);
}

function checkKeys(obj, allowed, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(where, 'expected a map');
  for (const key of Object.keys(obj)) if (!allowed.has(key)) fail(where, `unsupported key "${key}"`);
}

/** Returns a copy of a structural schema without prose, keys sorted, failing on unknown keywords. */
function stripSchema(node, where) {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) fail(where, 'expected a schema map');
  const out = {};
  for (const key of Object.keys(node).sort()) {
    const value = node[key];
    const at = `${where}.${key}`;
    if (PROSE.has(key)) continue;
    if (SCHEMA_MAP.has(key)) {
      const map = {};
      for (const name of Object.keys(value).sort()) map[name] = stripSchema(value[name], `${at}.${name}`);
      out[key] = map;
    } else if (SCHEMA_LIST.has(key)) {
      out[key] = value.map((s, i) => stripSchema(s, `${at}[${i}]`));
    } else if (SCHEMA_OR_BOOL.has(key)) {
      out[key] = typeof value === 'boolean' ? value : stripSchema(value, at);
    } else if (key === 'x-kubernetes-validations') {
      out[key] = value.map((rule, i) => {
        checkKeys(rule, CEL_RULE_KEYS, `${at}[${i}]`);
        return sortKeys(rule);
      });
    } else if (DATA.has(key)) {
      out[key] = sortKeys(value);
    } else {
      fail(where, `unsupported schema keyword "${key}"`);
    }
  }
  return out;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Returns the schema set (see src/render/crds.ts) for the text of a multi-document CRD YAML file. */
export function buildSchemaSet(yamlText) {
  const schemas = new Map(); // id -> stripped schema
  const idByContent = new Map(); // compact JSON -> id
  const crds = [];
  for (const [index, doc] of parseAllDocuments(yamlText).entries()) {
    if (doc.errors.length > 0) fail(`document ${index + 1}`, doc.errors[0].message);
    const crd = doc.toJS();
    if (crd === null || crd === undefined) continue;
    const where = crd.metadata?.name ?? `document ${index + 1}`;
    if (crd.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition') {
      fail(where, `not an apiextensions.k8s.io/v1 CustomResourceDefinition (${crd.apiVersion} ${crd.kind})`);
    }
    checkKeys(crd.spec, SPEC_KEYS, `${where}.spec`);
    const { group, names, scope, versions } = crd.spec;
    checkKeys(names, NAMES_KEYS, `${where}.spec.names`);
    if (crd.metadata.name !== `${names.plural}.${group}`) fail(where, `name is not <plural>.<group>`);
    const entry = {
      group,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular,
      listKind: names.listKind,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      categories: names.categories ?? [],
      scope,
      versions: versions.map((version) => {
        const at = `${where}.spec.versions[${version.name}]`;
        checkKeys(version, VERSION_KEYS, at);
        // renderCrds always emits the status subresource; refuse input it would misrender.
        if (JSON.stringify(version.subresources) !== '{"status":{}}') fail(at, 'subresources other than {status: {}}');
        checkKeys(version.schema, new Set(['openAPIV3Schema']), `${at}.schema`);
        const schema = stripSchema(version.schema.openAPIV3Schema, `${at}.openAPIV3Schema`);
        const content = JSON.stringify(schema);
        let id = idByContent.get(content);
        if (id === undefined) {
          id = schemas.has(crd.metadata.name) ? `${crd.metadata.name}/${version.name}` : crd.metadata.name;
          schemas.set(id, schema);
          idByContent.set(content, id);
        }
        const printerColumns = (version.additionalPrinterColumns ?? []).map((column, i) => {
          checkKeys(column, COLUMN_KEYS, `${at}.additionalPrinterColumns[${i}]`);
          return sortKeys(Object.fromEntries(Object.entries(column).filter(([key]) => !PROSE.has(key))));
        });
        return { name: version.name, served: version.served, storage: version.storage, schema: id, printerColumns };
      }),
    };
    crds.push(entry);
  }
  crds.sort((a, b) => compare(a.group, b.group) || compare(a.kind, b.kind));
  return { source: SOURCE, crds, schemas: Object.fromEntries(schemas) };
}

/**
 * Returns the file text: the outer structure indented, each CRD entry and each schema on one compact
 * line (small file, readable diffs per CRD), ending in a newline.
 */
export function formatSchemaSet(set, sourceSha256) {
  const crdLines = set.crds.map((crd) => `    ${JSON.stringify(crd)}`);
  const schemaLines = Object.entries(set.schemas).map(([id, schema]) => `    ${JSON.stringify(id)}: ${JSON.stringify(schema)}`);
  return [
    '{',
    `  "source": ${JSON.stringify(set.source)},`,
    `  "sourceSha256": ${JSON.stringify(sourceSha256)},`,
    '  "crds": [',
    crdLines.join(',\n'),
    '  ],',
    '  "schemas": {',
    schemaLines.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n');
}

function main(argv) {
  const input = resolve(repoRoot, argv[2] ?? '../shared/reference/istio-1.30.3-crds.yaml');
  const output = resolve(repoRoot, argv[3] ?? 'manifests/crds/istio-crds.json');
  const bytes = readFileSync(input);
  const set = buildSchemaSet(bytes.toString('utf8'));
  const text = formatSchemaSet(set, createHash('sha256').update(bytes).digest('hex'));
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, text);
  const versions = set.crds.reduce((n, crd) => n + crd.versions.length, 0);
  process.stderr.write(`wrote ${output}: ${set.crds.length} CRDs, ${versions} versions, ` +
    `${Object.keys(set.schemas).length} schemas, ${Buffer.byteLength(text)} bytes\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv);
