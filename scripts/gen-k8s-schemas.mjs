// Precompiles the schemas `meshctl validate` (and the IST0106 analyzer) checks resources against
// into ajv standalone validators, so no run ever compiles a schema:
//
//   src/generated/k8s-validators.js    core kinds (apps/v1, batch/v1, v1), derived from the model
//                                      metadata of @kubernetes/client-node (Kubernetes 1.34 API)
//   src/generated/istio-validators.js  the 15 Istio 1.30.3 CRDs (manifests/crds/istio-crds.json),
//                                      every served version
//   src/generated/schema-validators.txt  the code of both: ajv's top-level declarations, one a line
//
//   node scripts/gen-k8s-schemas.mjs           write them (and the modules' .d.ts)
//   node scripts/gen-k8s-schemas.mjs --check   exit 1 if any of them is missing or stale
//
// Sizes and cost, measured with Node 20: ~1.4 MB of ajv code, 1.06 MB once the validators ajv
// repeats are stored once (about 85 KB gzipped), and a valid object validates in a few
// microseconds. Compiling the schemas at run time instead would cost over a second. schemaProblems() is synchronous (it runs inside the analyzer loop), so the validators
// must be ready without awaiting anything. Parsing all of that code as module source cost `analyze`
// of a few files ~60 ms of start-up (V8 pre-parses every function of a module it loads), and even
// kept as string literals it was 1.4 MB for V8 to scan on every run; so the modules hold only a
// table of ajv's declarations (name, offset and length in the text file, the declarations each
// names), and src/schema/lazy-validators.ts reads the text on the first validation and compiles
// each declaration when it is first called: a run pays for the parts of the schemas its objects
// reach (the 27 Bookinfo objects: 40 declarations, ~220 KB). scripts/build.mjs copies the text
// into dist/.
//
// The output is deterministic: same inputs and ajv version, same bytes.
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createRequire } from 'node:module';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseJs } from 'acorn';

const root = new URL('../', import.meta.url);
const require = createRequire(import.meta.url);
const crdSetUrl = new URL('manifests/crds/istio-crds.json', root);
const generatedDir = new URL('src/generated/', root);

/** The core kinds meshctl has schemas for: apiVersion, kind and the client-node model that describes them. */
export const CORE_KINDS = [
  { apiVersion: 'apps/v1', kind: 'DaemonSet', model: 'V1DaemonSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment', model: 'V1Deployment' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', model: 'V1ReplicaSet' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', model: 'V1StatefulSet' },
  { apiVersion: 'batch/v1', kind: 'CronJob', model: 'V1CronJob' },
  { apiVersion: 'batch/v1', kind: 'Job', model: 'V1Job' },
  { apiVersion: 'v1', kind: 'ConfigMap', model: 'V1ConfigMap' },
  { apiVersion: 'v1', kind: 'Namespace', model: 'V1Namespace' },
  { apiVersion: 'v1', kind: 'Pod', model: 'V1Pod' },
  { apiVersion: 'v1', kind: 'Secret', model: 'V1Secret' },
  { apiVersion: 'v1', kind: 'Service', model: 'V1Service' },
  { apiVersion: 'v1', kind: 'ServiceAccount', model: 'V1ServiceAccount' },
];

/**
 * Fields of type resource.Quantity. client-node types them as plain strings, but Kubernetes decodes a
 * Quantity from a JSON number too (`cpu: 1`, `memory: 1073741824` are valid), and its OpenAPI v3
 * publishes Quantity as `oneOf: [number, string]`; so these accept both. The generator fails when an
 * entry no longer names a field of its model, so the table cannot rot silently.
 */
const QUANTITY_FIELDS = {
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V1PodSpec: ['overhead'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
  V1ContainerStatus: ['allocatedResources'],
  V1PersistentVolumeClaimStatus: ['allocatedResources', 'capacity'],
};

const INT32 = { minimum: -2147483648, maximum: 2147483647 };

// RFC 3339 date-time (metav1.Time and MicroTime marshal to it), and standard base64 with padding
// ([]byte fields such as Secret.data). Registered as regular expressions so the standalone code
// inlines them and needs no format library at run time.
const FORMATS = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
};

function modelDir() {
  return join(dirname(require.resolve('@kubernetes/client-node/package.json')), 'dist', 'gen', 'models');
}

/**
 * Reads one client-node model: its JSON fields from `attributeTypeMap` (name, baseName, type, format)
 * and which of them are required, from the `.d.ts` (`'port': number;` is required, `'name'?: string;`
 * is not). Returns undefined when there is no such model (a primitive or alias type).
 */
async function readModel(name) {
  const dir = modelDir();
  let js;
  try {
    js = await readFile(join(dir, `${name}.js`), 'utf8');
  } catch {
    return undefined;
  }
  const dts = await readFile(join(dir, `${name}.d.ts`), 'utf8');
  const start = js.indexOf(`${name}.attributeTypeMap = `);
  if (start < 0) throw new Error(`gen-k8s-schemas: ${name}.js has no attributeTypeMap`);
  const open = js.indexOf('[', start);
  const close = js.indexOf('\n];', open);
  const attributes = JSON.parse(js.slice(open, close + 2));
  const required = new Set();
  for (const m of dts.matchAll(/^ {4}'([^']+)'(\?)?:/gm)) if (!m[2]) required.add(m[1]);
  return { attributes, required };
}

/**
 * Returns `{definitions}`: one JSON schema (draft-07 style) per client-node model reachable from
 * CORE_KINDS, keyed by model name. Fixed-field models are closed (`additionalProperties: false`),
 * `{ [key: string]: X; }` maps become `additionalProperties: X`, IntOrString is integer-or-string,
 * Date a date-time string, numbers integers unless their format is double/float, `any` is open.
 */
export async function buildCoreDefinitions() {
  const definitions = {};
  const pending = CORE_KINDS.map((k) => k.model);
  const quantityUsed = new Set();
  const typeSchema = (type, format, owner, field) => {
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: typeSchema(map[1], format, owner, field) };
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: typeSchema(array[1], format, owner, field) };
    switch (type) {
      case 'string':
        if (QUANTITY_FIELDS[owner]?.includes(field)) {
          quantityUsed.add(`${owner}.${field}`);
          return { type: ['string', 'number'] };
        }
        return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        if (format === 'double' || format === 'float') return { type: 'number' };
        return format === 'int32' ? { type: 'integer', ...INT32 } : { type: 'integer' };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { type: ['integer', 'string'] };
      case 'any':
      case 'object':
        return {};
      default:
        if (!/^[A-Z]\w+$/.test(type)) throw new Error(`gen-k8s-schemas: ${owner}.${field}: unhandled type ${type}`);
        pending.push(type);
        return { $ref: `#/definitions/${type}` };
    }
  };
  while (pending.length) {
    const name = pending.shift();
    if (definitions[name]) continue;
    const model = await readModel(name);
    if (!model) throw new Error(`gen-k8s-schemas: no client-node model ${name}`);
    definitions[name] = true; // placeholder: breaks reference cycles (JSONSchemaProps)
    const properties = {};
    for (const a of model.attributes) properties[a.baseName] = typeSchema(a.type, a.format, name, a.name);
    const required = model.attributes.filter((a) => model.required.has(a.name)).map((a) => a.baseName).sort();
    definitions[name] = {
      type: 'object',
      // A model without fields is an empty struct in Go: any field would be unknown.
      additionalProperties: false,
      properties: sortKeys(properties),
      ...(required.length ? { required } : {}),
    };
  }
  for (const [owner, fields] of Object.entries(QUANTITY_FIELDS)) {
    for (const field of fields) {
      if (!quantityUsed.has(`${owner}.${field}`) && definitions[owner]) {
        throw new Error(`gen-k8s-schemas: QUANTITY_FIELDS names ${owner}.${field}, which the model does not have`);
      }
    }
  }
  return { definitions: sortKeys(definitions) };
}

/** Returns the schema of a whole core object: its model with apiVersion and kind fixed and required. */
function coreKindSchema({ apiVersion, kind, model }, definitions) {
  const base = definitions[model];
  return {
    $id: coreId(apiVersion, kind),
    type: 'object',
    additionalProperties: false,
    properties: sortKeys({
      ...Object.fromEntries(Object.entries(base.properties).map(([k, v]) => [k, refToDefs(v)])),
      apiVersion: { type: 'string', const: apiVersion },
      kind: { type: 'string', const: kind },
    }),
    required: ['apiVersion', 'kind', ...(base.required ?? [])].filter((v, i, a) => a.indexOf(v) === i).sort(),
  };
}

// Schema ids are absolute URIs so that references between the schemas resolve without a base.
const DEFS_ID = 'meshctl:k8s-definitions';
const ISTIO_DEFS_ID = 'meshctl:istio-definitions';

function refToDefs(schema) {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/definitions\//g, `"${DEFS_ID}#/definitions/`));
}

function coreId(apiVersion, kind) {
  return `meshctl:k8s/${apiVersion}/${kind}`;
}

/**
 * Turns a CRD openAPIV3Schema into the strict schema ajv checks: structural objects (with
 * `properties`) that neither preserve unknown fields nor declare `additionalProperties` are closed;
 * `x-kubernetes-preserve-unknown-fields` leaves its object open; `x-kubernetes-int-or-string`
 * becomes `type: [integer, string]` (one error instead of anyOf noise); integer `format: int32`
 * becomes its range; other numeric formats are dropped (the API server ignores them).
 * `x-kubernetes-validations` (CEL rules) are dropped: meshctl does not evaluate CEL, so rules such
 * as "wildcard not allowed in label key match" are not checked offline. Other `x-kubernetes-*`
 * markers (list-type, list-map-keys) describe merging, not validity, and are dropped too.
 */
export function structuralSchema(schema) {
  if (Array.isArray(schema)) return schema.map(structuralSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuralSchema(v)]));
    } else if (key === 'enum' || key === 'required') {
      out[key] = value;
    } else if (value && typeof value === 'object') {
      out[key] = structuralSchema(value);
    } else {
      out[key] = value;
    }
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.anyOf;
    out.type = ['integer', 'string'];
  }
  if (out.format === 'int32' && out.type === 'integer') Object.assign(out, INT32);
  if (out.type === 'integer' || out.type === 'number') delete out.format;
  if (out.properties && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return sortKeys(oneOfAsDependencies(out));
}

/**
 * Returns the schema of a whole Istio resource: only apiVersion (one of the CRD's served versions),
 * kind, metadata (Kubernetes ObjectMeta), spec and status, as the API server's structural schema
 * allows them.
 */
function istioKindSchema(crd, openApi) {
  const strict = structuralSchema(openApi);
  const served = crd.versions.filter((v) => v.served).map((v) => `${crd.group}/${v.name}`);
  return {
    $id: istioId(crd),
    type: 'object',
    additionalProperties: false,
    properties: sortKeys({
      ...strict.properties,
      apiVersion: { type: 'string', enum: served },
      kind: { type: 'string', const: crd.kind },
      metadata: { $ref: `${DEFS_ID}#/definitions/V1ObjectMeta` },
    }),
    required: ['apiVersion', 'kind', ...(strict.required ?? [])].sort(),
  };
}

function istioId(crd) {
  return `meshctl:istio/${crd.plural}.${crd.group}`;
}

/**
 * Rewrites Istio's rendering of a proto `oneof`, `oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}},
 * {required: [a]}, {required: [b]}]` ("at most one of a, b"), as `dependencies: {a: {properties: {b: false}}}`.
 * Same meaning, but ajv then reports the conflict at the later field with both names in its schemaPath
 * (`.../dependencies/a/properties/b/false schema`), instead of a bare oneOf failure plus branch noise.
 * Anything else under oneOf is left alone.
 */
function oneOfAsDependencies(schema) {
  const groups = [];
  const rest = [];
  /** Records the field group when `oneOf` has Istio's shape; returns whether it did. */
  const take = (oneOf) => {
    const fields = oneOf.slice(1).map((b) => (Object.keys(b).length === 1 && b.required?.length === 1 ? b.required[0] : undefined));
    const first = oneOf[0];
    const guard = first && Object.keys(first).length === 1 && first.not?.anyOf?.map((b) => b.required?.[0]);
    const matches = fields.every((f) => f !== undefined) && JSON.stringify(guard) === JSON.stringify(fields);
    if (matches) groups.push(fields);
    return matches;
  };
  if (Array.isArray(schema.oneOf) && !take(schema.oneOf)) rest.push({ oneOf: schema.oneOf });
  for (const part of schema.allOf ?? []) {
    if (!(Object.keys(part).length === 1 && Array.isArray(part.oneOf) && take(part.oneOf))) rest.push(part);
  }
  if (!groups.length) return schema;
  const out = { ...schema };
  delete out.oneOf;
  delete out.allOf;
  if (rest.length === 1 && rest[0].oneOf) out.oneOf = rest[0].oneOf;
  else if (rest.length) out.allOf = rest;
  const dependencies = {};
  for (const fields of groups) {
    fields.forEach((field, i) => {
      const later = fields.slice(i + 1);
      if (later.length) dependencies[field] = { properties: Object.fromEntries(later.map((f) => [f, false])) };
    });
  }
  out.dependencies = dependencies;
  return out;
}

/**
 * Moves object schemas that occur more than once (across all CRDs: StringMatch, Destination,
 * TrafficPolicy, the shared status, ...) into one definitions schema and refers to them, so ajv emits
 * one function per shape instead of a copy per occurrence (the Istio module: 1.47 MB -> 0.73 MB).
 * Outermost repeats win; names come from the field of the first occurrence, numbered on clashes.
 * Deterministic: walks the roots in order, keys in sorted order.
 */
function shareRepeated(roots, defsId) {
  const key = (node) => JSON.stringify(node);
  // Only typed object schemas: the `dependencies` subschemas must stay in place (their key names the conflict).
  const shareable = (node) => node && typeof node === 'object' && !Array.isArray(node) && node.type === 'object' && node.properties;
  const counts = new Map();
  const count = (node) => {
    if (Array.isArray(node)) return node.forEach(count);
    if (!node || typeof node !== 'object') return;
    if (shareable(node)) counts.set(key(node), (counts.get(key(node)) ?? 0) + 1);
    for (const [k, v] of Object.entries(node)) if (k !== 'enum' && k !== 'required') count(v);
  };
  roots.forEach(count);
  const names = new Map();
  const used = new Set();
  const definitions = {};
  const rewrite = (node, field) => {
    if (Array.isArray(node)) return node.map((v) => rewrite(v, field));
    if (!node || typeof node !== 'object') return node;
    const k = shareable(node) ? key(node) : undefined;
    if (k !== undefined && counts.get(k) > 1) {
      let name = names.get(k);
      if (name === undefined) {
        const base = field.replace(/[^A-Za-z0-9]/g, '') || 'def';
        name = base;
        for (let n = 2; used.has(name); n++) name = `${base}${n}`;
        used.add(name);
        names.set(k, name);
        definitions[name] = rewriteChildren(node, field);
      }
      return { $ref: `${defsId}#/definitions/${name}` };
    }
    return rewriteChildren(node, field);
  };
  const rewriteChildren = (node, field) => {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'enum' || k === 'required') out[k] = v;
      else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, rewrite(pv, pk)]));
      else if (k === 'items') out.items = rewrite(v, `${field}Item`);
      else out[k] = rewrite(v, field);
    }
    return out;
  };
  const rewritten = roots.map((r) => rewriteChildren(r, ''));
  return { roots: rewritten, defs: { $id: defsId, definitions: sortKeys(definitions) } };
}

function newAjv() {
  // strict: unknown keywords or misplaced ones in our own transformed schemas are generator bugs.
  // messages: false because meshctl words every error itself (kubectl style); it also saves bytes.
  const ajv = new Ajv({
    allErrors: true, inlineRefs: false, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true,
    messages: false, code: { source: true, esm: true, lines: false },
  });
  for (const [name, regexp] of Object.entries(FORMATS)) ajv.addFormat(name, regexp);
  // OpenAPI markers the schemas may still carry; structuralSchema drops them, this keeps ajv quiet
  // should one slip through.
  for (const kw of ['x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
    'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword(kw);
  }
  return ajv;
}

/**
 * Drops the `const schemaNN = {...}` literals that ajv's standalone output declares for each
 * top-level schema but never reads (errors carry no `schema` since verbose is off): about 50 KB
 * over both modules. Only declarations whose name is not used anywhere else are removed.
 */
function dropUnusedSchemaConsts(code) {
  let out = code;
  for (const m of code.matchAll(/const (schema\d+) = /g)) {
    const name = m[1];
    const uses = out.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
    if (uses !== 1) continue;
    const start = out.indexOf(`const ${name} = `);
    const end = jsonLiteralEnd(out, start + `const ${name} = `.length);
    out = out.slice(0, start) + out.slice(end + 1);
  }
  return out;
}

/** Returns the index of the `;` after the JSON literal that starts at `from`. */
function jsonLiteralEnd(code, from) {
  let depth = 0;
  let inString = false;
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        if (code[i + 1] !== ';') throw new Error('gen-k8s-schemas: unexpected schema literal');
        return i + 1;
      }
    }
  }
  throw new Error('gen-k8s-schemas: unterminated schema literal');
}

/**
 * Splits ajv's standalone ESM output into its top-level declarations (schema literals, format
 * regexps, runtime helpers, validate functions) and returns `{declarations, helpers, entry(exportName)}`:
 * `declarations` in ajv's order, each `{name, source, isFunction, uses, sameAs}` where `uses` are the
 * indices of the declarations its source names (read from acorn's tokens, which can only
 * over-include) and `sameAs`, when set, the index of an earlier function whose source is the same but
 * for its name (ajv emits the ObjectMeta validator once per kind: 7.6 KB each, 8 of them in a
 * Bookinfo run), which then stands for it;
 * `helpers` the ajv runtime modules the code reads as `runtime["ajv/dist/runtime/x"]` (ajv emits
 * `require("ajv/dist/runtime/x").default`); `entry(name)` the index of an export's validate function.
 */
function splitDeclarations(code) {
  const program = parseJs(code, { ecmaVersion: 'latest', sourceType: 'module' });
  const exported = new Map();
  const declarations = [];
  const helpers = [];
  for (const node of program.body) {
    if (node.type === 'ExpressionStatement' && node.directive === 'use strict') continue;
    if (node.type === 'ExportNamedDeclaration') {
      for (const d of node.declaration.declarations) exported.set(d.id.name, d.init.name);
      continue;
    }
    if (node.type === 'FunctionDeclaration') {
      declarations.push({ name: node.id.name, source: code.slice(node.start, node.end), isFunction: true });
    } else if (node.type === 'VariableDeclaration' && node.declarations.length === 1) {
      const d = node.declarations[0];
      const required = d.init.type === 'MemberExpression' && d.init.object.type === 'CallExpression' && d.init.object.callee.name === 'require'
        ? d.init.object.arguments[0].value : undefined;
      if (required !== undefined) {
        if (!helpers.includes(required)) helpers.push(required);
        declarations.push({ name: d.id.name, source: `const ${d.id.name} = runtime[${JSON.stringify(required)}];`, isFunction: false });
      } else {
        declarations.push({ name: d.id.name, source: code.slice(node.start, node.end), isFunction: false });
      }
    } else {
      throw new Error(`gen-k8s-schemas: unexpected ${node.type} in ajv's standalone code`);
    }
  }
  const index = new Map(declarations.map((d, i) => [d.name, i]));
  for (const d of declarations) {
    const names = new Set();
    for (const m of d.source.matchAll(/[A-Za-z_$][\w$]*/g)) if (index.has(m[0]) && m[0] !== d.name) names.add(index.get(m[0]));
    d.uses = [...names].sort((a, b) => a - b);
  }
  const first = new Map();
  declarations.forEach((d, i) => {
    if (!d.isFunction) return;
    const key = d.source.replace(new RegExp(`\\b${d.name}\\b`, 'g'), '\0');
    if (first.has(key)) d.sameAs = first.get(key);
    else first.set(key, i);
  });
  const entry = (exportName) => {
    const name = exported.get(exportName);
    if (!index.has(name)) throw new Error(`gen-k8s-schemas: export ${exportName} has no declaration`);
    return index.get(name);
  };
  return { declarations, helpers, entry };
}

/** The file that holds the validators' code, beside the modules in src/generated/ and in dist/ (scripts/build.mjs copies it). */
export const CODE_FILE = 'schema-validators.txt';

/**
 * Collects the declarations' sources of both modules into the text of CODE_FILE, one declaration
 * a line, a text shared by both modules (the Kubernetes definitions the Istio kinds reach for their
 * metadata) stored once. `add(source)` returns its `[offset, length]` in the text, in bytes (the
 * text is ASCII; a declaration that is not fails the generator).
 */
function codeText() {
  const parts = [];
  const offsets = new Map();
  let length = 0;
  return {
    add(source) {
      if (source.includes('\n')) throw new Error('gen-k8s-schemas: a declaration spans lines; ajv was asked for lines: false');
      // The runtime slices the file's bytes by these offsets: ASCII keeps bytes and characters one to one.
      if (/[^\x00-\x7f]/.test(source)) throw new Error('gen-k8s-schemas: a declaration holds a character outside ASCII');
      let offset = offsets.get(source);
      if (offset === undefined) {
        offset = length;
        offsets.set(source, offset);
        parts.push(source, '\n');
        length += source.length + 1;
      }
      return [offset, source.length];
    },
    text: () => parts.join(''),
    length: () => length,
  };
}

/**
 * Returns the module text that sets up the lazy validators of one ajv standalone output: imports of
 * ajv's runtime helpers, and `const validators = lazyValidators({...})` with the table of its
 * declarations (`[name, offset, length, 1 for a function, ...indices of the declarations it uses]`,
 * or `[name, 0, 0, 2, index]` for a function that is the same as the one at `index`)
 * into `text`. The caller appends the exports, `validators.validator(entry)` per kind.
 * The length of the finished text is filled in last (`CODE_LENGTH`), as both modules share it.
 */
function lazyModuleText(split, text) {
  const { declarations, helpers } = split;
  const rows = declarations.map((d) => JSON.stringify(d.sameAs !== undefined ? [d.name, 0, 0, 2, d.sameAs]
    : [d.name, ...text.add(d.source), d.isFunction ? 1 : 0, ...d.uses]));
  return [
    ...helpers.map((h, i) => `import __ajv_${i} from ${JSON.stringify(h.endsWith('.js') ? h : `${h}.js`)};`),
    "import { lazyValidators } from '../schema/lazy-validators.js';",
    "import { readGeneratedData } from '../system.js';",
    `// ajv's standalone code: each top-level declaration is a line of ${CODE_FILE}, compiled when first called`,
    '// (see scripts/gen-k8s-schemas.mjs and src/schema/lazy-validators.ts).',
    'const validators = lazyValidators({',
    `  file: ${JSON.stringify(CODE_FILE)},`,
    '  length: CODE_LENGTH,',
    '  read: readGeneratedData,',
    `  runtime: {${helpers.map((h, i) => `${JSON.stringify(h)}: __ajv_${i}.default ?? __ajv_${i}`).join(', ')}},`,
    '  // [name, offset, length, 1 for a function, ...the declarations it uses], or [name, 0, 0, 2, the same function]',
    '  declarations: [',
    ...rows.map((r) => `    ${r},`),
    '  ],',
    '});',
    '/** The lazy validators behind the exports (`compileAll()` checks that every declaration is found). */',
    'export const validatorCode = validators;',
  ].join('\n');
}

/** Returns every schema the generator compiles: `{defs, core: [{entry, schema}], istio: [{crd, schema}]}`. */
export async function buildSchemas() {
  const { definitions } = await buildCoreDefinitions();
  const defs = { $id: DEFS_ID, definitions };
  const core = CORE_KINDS.map((entry) => ({ entry, schema: coreKindSchema(entry, definitions) }));
  const set = JSON.parse(await readFile(crdSetUrl, 'utf8'));
  const istio = set.crds.map((crd) => {
    const served = crd.versions.filter((v) => v.served);
    const ids = [...new Set(served.map((v) => v.schema))];
    // At 1.30.3 all versions of a CRD share one schema; a split would need one validator per schema.
    if (ids.length !== 1) throw new Error(`gen-k8s-schemas: ${crd.plural}.${crd.group}: versions with different schemas are not supported`);
    return { crd, schema: istioKindSchema(crd, set.schemas[ids[0]]) };
  });
  return { defs, core, istio, source: set.source };
}

const HEADER = (what) => [
  `// Generated by scripts/gen-k8s-schemas.mjs from ${what}. Do not edit.`,
  '/* eslint-disable */',
];

/** Returns `{ 'k8s-validators.js': source, 'istio-validators.js': source, ...d.ts }`. */
export async function generateSources() {
  const { defs, core, istio, source } = await buildSchemas();
  const modelsVersion = JSON.parse(await readFile(require.resolve('@kubernetes/client-node/package.json'), 'utf8')).version;

  const coreAjv = newAjv();
  coreAjv.addSchema(defs);
  for (const { schema } of core) coreAjv.addSchema(schema);
  const coreExports = Object.fromEntries(core.map(({ entry }, i) => [`k${i}`, coreId(entry.apiVersion, entry.kind)]));
  const text = codeText();
  const coreSplit = splitDeclarations(dropUnusedSchemaConsts(standaloneCode(coreAjv, coreExports)));
  const coreTable = core.map(({ entry }, i) => `  ${JSON.stringify(`${entry.apiVersion}/${entry.kind}`)}: validators.validator(${coreSplit.entry(`k${i}`)}),`);
  const k8sJs = [
    ...HEADER(`the @kubernetes/client-node ${modelsVersion} model metadata`),
    lazyModuleText(coreSplit, text),
    '/** Validators by `<apiVersion>/<kind>`. */',
    'export const coreValidators = {',
    ...coreTable,
    '};',
    '',
  ].join('\n');

  const shared = shareRepeated(istio.map(({ schema }) => schema), ISTIO_DEFS_ID);
  const istioAjv = newAjv();
  istioAjv.addSchema(defs);
  istioAjv.addSchema(shared.defs);
  for (const schema of shared.roots) istioAjv.addSchema(schema);
  const istioExports = Object.fromEntries(istio.map(({ crd }, i) => [`i${i}`, istioId(crd)]));
  const istioSplit = splitDeclarations(dropUnusedSchemaConsts(standaloneCode(istioAjv, istioExports)));
  const kinds = istio.map(({ crd }, i) => ({
    id: istioId(crd), group: crd.group, kind: crd.kind, versions: crd.versions.filter((v) => v.served).map((v) => v.name), fn: `i${i}`,
  }));
  const istioJs = [
    ...HEADER(`manifests/crds/istio-crds.json (${source})`),
    lazyModuleText(istioSplit, text),
    '/** One entry per CRD: schema id, group, kind, served versions and its validator. */',
    'export const istioKinds = [',
    ...kinds.map((k) => `  { id: ${JSON.stringify(k.id)}, group: ${JSON.stringify(k.group)}, kind: ${JSON.stringify(k.kind)}, versions: ${JSON.stringify(k.versions)}, validate: validators.validator(${istioSplit.entry(k.fn)}) },`),
    '];',
    '',
  ].join('\n');
  const withLength = (js) => js.replace('  length: CODE_LENGTH,', `  length: ${text.length()},`);

  return {
    'k8s-validators.js': withLength(k8sJs),
    'k8s-validators.d.ts': K8S_DTS,
    'istio-validators.js': withLength(istioJs),
    'istio-validators.d.ts': ISTIO_DTS,
    [CODE_FILE]: text.text(),
  };
}

const VALIDATE_FN = `import type { ErrorObject } from 'ajv';
import type { LazyValidators } from '../schema/lazy-validators.js';

/** An ajv validate function: returns true when \`data\` is valid, else sets \`errors\` (every error). */
export interface SchemaValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
`;

const K8S_DTS = `// Generated by scripts/gen-k8s-schemas.mjs. Do not edit.
/** Types of k8s-validators.js: strict validators of core Kubernetes kinds. */
${VALIDATE_FN}
/** Validators by \`<apiVersion>/<kind>\`, e.g. \`apps/v1/Deployment\`, \`v1/Service\`. */
export declare const coreValidators: Readonly<Record<string, SchemaValidateFunction>>;

/** The lazy validators behind \`coreValidators\` (see src/schema/lazy-validators.ts). */
export declare const validatorCode: LazyValidators;
`;

const ISTIO_DTS = `// Generated by scripts/gen-k8s-schemas.mjs. Do not edit.
/** Types of istio-validators.js: strict validators of the Istio CRD kinds. */
${VALIDATE_FN}
/** One Istio CRD: its schema id (\`meshctl:istio/<plural>.<group>\`), group, kind, served versions and validator. */
export interface IstioKindEntry {
  id: string;
  group: string;
  kind: string;
  versions: readonly string[];
  validate: SchemaValidateFunction;
}

export declare const istioKinds: readonly IstioKindEntry[];

/** The lazy validators behind \`istioKinds\` (see src/schema/lazy-validators.ts). */
export declare const validatorCode: LazyValidators;
`;

function sortKeys(obj) {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Writes the generated modules into src/generated/. */
export async function writeK8sValidators() {
  await mkdir(generatedDir, { recursive: true });
  for (const [name, text] of Object.entries(await generateSources())) await writeFile(new URL(name, generatedDir), text);
}

/** Returns the names of generated files that are missing or differ from what the inputs generate. */
export async function staleK8sValidators() {
  const stale = [];
  for (const [name, text] of Object.entries(await generateSources())) {
    const current = await readFile(new URL(name, generatedDir), 'utf8').catch(() => '');
    if (current !== text) stale.push(name);
  }
  return stale;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--check')) {
    const stale = await staleK8sValidators();
    if (stale.length) {
      console.error(`${stale.map((n) => fileURLToPath(new URL(n, generatedDir))).join(', ')} stale; run node scripts/gen-k8s-schemas.mjs`);
      process.exitCode = 1;
    }
  } else {
    await writeK8sValidators();
  }
}
