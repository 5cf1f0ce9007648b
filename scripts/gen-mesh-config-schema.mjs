// Regenerates src/generated/mesh-config-schema.js, the field table meshctl checks mesh config
// against, from the .proto files of an istio/api checkout: istio.mesh.v1alpha1.MeshConfig
// (mesh/v1alpha1/config.proto), ProxyConfig (mesh/v1alpha1/proxy.proto) and every message and enum
// they reach, in the networking protos they import too.
//
//   node scripts/gen-mesh-config-schema.mjs <istio-api-git-dir> <commit>   read the files at <commit>
//   node scripts/gen-mesh-config-schema.mjs <istio-api-checkout>           read the work tree
//
// Use the commit Istio's go.mod pins (`istio.io/api v1.30.3-0.20260710004328-2e43f07b30b6` for
// Istio 1.30.3). Neither the build nor the tests run this script: the output is committed.
// Same input, same bytes.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT_MESSAGE = 'istio.mesh.v1alpha1.MeshConfig';
const ENTRY_FILES = ['mesh/v1alpha1/config.proto', 'mesh/v1alpha1/proxy.proto'];
const OUTPUT = new URL('../src/generated/mesh-config-schema.js', import.meta.url);

/** google.protobuf types the validator knows by name; any other google/ type is an error. */
const WELL_KNOWN = new Set([
  'google.protobuf.Duration', 'google.protobuf.Timestamp', 'google.protobuf.Struct', 'google.protobuf.Value',
  'google.protobuf.ListValue', 'google.protobuf.Any', 'google.protobuf.Empty',
  ...['Bool', 'String', 'Bytes', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double'].map((w) => `google.protobuf.${w}Value`),
]);
const SCALARS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

function main() {
  const [dir, commit] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node scripts/gen-mesh-config-schema.mjs <istio-api-dir> [<commit>]\n');
    process.exitCode = 64;
    return;
  }
  const rev = execFileSync('git', ['-C', dir, 'rev-parse', `${commit ?? 'HEAD'}^{commit}`], { encoding: 'utf8' }).trim();
  const read = commit
    ? (path) => execFileSync('git', ['-C', dir, 'show', `${rev}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : (path) => readFileSync(join(dir, path), 'utf8');
  const types = loadProtos(read);
  const table = reachable(types, ROOT_MESSAGE);
  writeFileSync(OUTPUT, render(table, rev));
}

/** Parses the entry files and everything they import (google/ imports excepted) into one type map. */
function loadProtos(read) {
  const types = new Map();
  const seen = new Set();
  const queue = [...ENTRY_FILES];
  while (queue.length > 0) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const file = parseProto(tokenize(read(path)), path);
    for (const imp of file.imports) if (!imp.startsWith('google/')) queue.push(imp);
    for (const t of file.types) types.set(t.fullName, t);
  }
  return types;
}

function tokenize(text) {
  const tokens = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_.][A-Za-z0-9_.]*|-?[0-9][A-Za-z0-9_.+-]*|[{}[\]()<>;=,:]/y;
  let m;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith('//') || t.startsWith('/*')) continue;
    tokens.push(t);
  }
  if (re.lastIndex < text.length) throw new Error(`cannot tokenize near: ${text.slice(re.lastIndex, re.lastIndex + 40)}`);
  return tokens;
}

function parseProto(tokens, path) {
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t) => {
    if (tokens[i] !== t) throw new Error(`${path}: expected ${t}, found ${tokens[i]} (token ${i})`);
    i++;
  };
  const skipStatement = () => {
    let depth = 0;
    for (;;) {
      const t = next();
      if (t === undefined) return;
      if (t === '{') depth++;
      else if (t === '}') {
        depth--;
        if (depth === 0) return;
      } else if (t === ';' && depth === 0) return;
    }
  };
  const options = () => {
    const opts = {};
    if (peek() !== '[') return opts;
    let depth = 0;
    const start = i;
    do {
      const t = next();
      if (t === '[' || t === '{') depth++;
      else if (t === ']' || t === '}') depth--;
    } while (depth > 0);
    const body = tokens.slice(start, i).join(' ');
    if (/\bdeprecated = true\b/.test(body)) opts.deprecated = true;
    return opts;
  };
  let pkg = '';
  const imports = [];
  const types = [];

  const parseEnum = (scope) => {
    const name = next();
    const fullName = `${scope}.${name}`;
    const values = [];
    expect('{');
    while (peek() !== '}') {
      const t = peek();
      if (t === 'option' || t === 'reserved') { skipStatement(); continue; }
      if (t === ';') { next(); continue; }
      const valueName = next();
      expect('=');
      const number = Number(next());
      const opts = options();
      expect(';');
      values.push({ name: valueName, number, deprecated: opts.deprecated === true });
    }
    expect('}');
    types.push({ kind: 'enum', fullName, values });
  };

  const parseField = (scope, fields, oneof) => {
    let label = '';
    if (peek() === 'repeated' || peek() === 'optional') label = next();
    let type;
    let key;
    if (peek() === 'map') {
      next();
      expect('<');
      key = next();
      expect(',');
      type = next();
      expect('>');
    } else {
      type = next();
    }
    const name = next();
    expect('=');
    const number = Number(next());
    const opts = options();
    expect(';');
    fields.push({ name, number, type, scope, repeated: label === 'repeated', key, oneof, deprecated: opts.deprecated === true });
  };

  const parseMessage = (scope) => {
    const name = next();
    const fullName = `${scope}.${name}`;
    const fields = [];
    const reserved = [];
    expect('{');
    while (peek() !== '}') {
      const t = peek();
      if (t === 'message') { next(); parseMessage(fullName); continue; }
      if (t === 'enum') { next(); parseEnum(fullName); continue; }
      if (t === 'option' || t === 'extensions' || t === 'extend') { skipStatement(); continue; }
      if (t === ';') { next(); continue; }
      if (t === 'reserved') {
        next();
        while (peek() !== ';') {
          const r = next();
          if (r.startsWith('"') || r.startsWith("'")) reserved.push(r.slice(1, -1));
        }
        expect(';');
        continue;
      }
      if (t === 'oneof') {
        next();
        const oneofName = next();
        expect('{');
        while (peek() !== '}') {
          if (peek() === 'option') { skipStatement(); continue; }
          parseField(fullName, fields, oneofName);
        }
        expect('}');
        continue;
      }
      parseField(fullName, fields, undefined);
    }
    expect('}');
    types.push({ kind: 'message', fullName, fields, reserved });
  };

  while (i < tokens.length) {
    const t = next();
    if (t === 'syntax' || t === 'option' || t === 'edition') { i--; skipStatement(); }
    else if (t === 'package') { pkg = next(); expect(';'); }
    else if (t === 'import') {
      if (peek() === 'public' || peek() === 'weak') next();
      imports.push(next().slice(1, -1));
      expect(';');
    } else if (t === 'message') parseMessage(pkg);
    else if (t === 'enum') parseEnum(pkg);
    else if (t === 'service' || t === 'extend') { i--; skipStatement(); }
    else throw new Error(`${path}: unexpected ${t}`);
  }
  return { imports, types };
}

/** protoc's JSON name: underscores dropped, the letter after each capitalised. */
function jsonName(name) {
  let out = '';
  let upper = false;
  for (const c of name) {
    if (c === '_') upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

/** Resolves a type reference from inside `scope` as protoc does, innermost scope first. */
function resolve(types, ref, scope) {
  if (SCALARS.has(ref)) return ref;
  if (ref.startsWith('.')) return known(types, ref.slice(1), ref);
  const parts = scope.split('.');
  for (let n = parts.length; n >= 0; n--) {
    const candidate = [...parts.slice(0, n), ref].join('.');
    if (types.has(candidate) || WELL_KNOWN.has(candidate)) return candidate;
  }
  return known(types, ref, ref);
}

function known(types, name, ref) {
  if (types.has(name) || WELL_KNOWN.has(name)) return name;
  throw new Error(`unresolved type ${ref}`);
}

/** Returns the messages and enums reachable from `root`, in the output's shape. */
function reachable(types, root) {
  const messages = {};
  const enums = {};
  const queue = [root];
  const visit = (name) => {
    if (SCALARS.has(name) || WELL_KNOWN.has(name) || messages[name] || enums[name]) return;
    queue.push(name);
  };
  while (queue.length > 0) {
    const name = queue.shift();
    if (messages[name] || enums[name]) continue;
    const type = types.get(name);
    if (type.kind === 'enum') {
      enums[name] = Object.fromEntries(type.values.map((v) => [v.name, v.number]));
      continue;
    }
    const fields = {};
    for (const f of type.fields) {
      const t = resolve(types, f.type, f.scope);
      const field = { t };
      const json = jsonName(f.name);
      if (json !== f.name) field.n = f.name;
      if (f.repeated) field.l = 1;
      if (f.key) field.k = f.key;
      if (f.oneof) field.o = f.oneof;
      if (f.deprecated) field.d = 1;
      fields[json] = field;
      visit(t);
    }
    messages[name] = { f: fields, ...(type.reserved.length ? { r: type.reserved.map(jsonName) } : {}) };
  }
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return { root, messages: sorted(messages), enums: sorted(enums) };
}

function render(table, rev) {
  return [
    '// Generated by scripts/gen-mesh-config-schema.mjs from istio/api at ' + rev + ',',
    '// the istio.io/api commit Istio 1.30.3 pins in its go.mod: mesh/v1alpha1/config.proto, proxy.proto',
    '// and the networking/v1alpha3, networking/v1beta1 and type/v1beta1 protos they import. Do not edit.',
    `export const meshConfigSchema = ${JSON.stringify({ commit: rev, ...table })};`,
    '',
  ].join('\n');
}

main();
