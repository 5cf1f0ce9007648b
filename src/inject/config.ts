/**
 * The injection configuration: templates, values, mesh config and revision, from the ConfigMaps a
 * rendering produces (what istiod would read) or from istioctl-style files
 * (`--injectConfigFile`, `--valuesFile`, `--meshConfigFile`).
 */
import { DataError } from '../errors.js';
import { isObject, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { parseYamlDocuments, positionOf } from '../manifest/yaml-docs.js';
import { assertValidMeshConfigDocument } from '../render/mesh-config-schema.js';
import { parseTemplate } from './gotmpl/index.js';
import { meshConfigFromYaml } from './mesh.js';

/** Everything injection needs besides the workload. */
export interface InjectionConfig {
  /** Template name -> Go template text (`config.templates` of the injector ConfigMap). */
  templates: Record<string, string>;
  /** Templates applied when a pod names none (`inject.istio.io/templates`); `["sidecar"]` by default. */
  defaultTemplates: string[];
  /** Template aliases (`config.aliases`): one name standing for several templates. */
  aliases: Record<string, string[]>;
  /** Annotations added to every injected pod (`config.injectedAnnotations`). */
  injectedAnnotations: Record<string, string>;
  /** The injector values (`values` key of the injector ConfigMap): global, sidecarInjectorWebhook, revision, pilot... */
  values: JsonObject;
  /** Full mesh config (defaults applied), protobuf JSON. */
  mesh: JsonObject;
  /** Control-plane revision; "" for the default revision. */
  revision: string;
}

/** The template part of an injection configuration. */
export type InjectorSettings = Pick<InjectionConfig, 'templates' | 'defaultTemplates' | 'aliases' | 'injectedAnnotations'>;

function stringMap(value: unknown, what: string, source: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new DataError(`${source}: ${what} must be a map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new DataError(`${source}: ${what}.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Returns the template settings of an injector `config` text (the `config` key of the
 * `istio-sidecar-injector` ConfigMap). A text without `templates` is taken as a bare sidecar
 * template, as istioctl's `--injectConfigFile` does. Throws DataError when the text is not YAML or
 * has the wrong shape.
 */
export function injectorSettingsFromText(text: string, source: string): InjectorSettings {
  let parsed: unknown;
  let doc: ReturnType<typeof parseYamlDocuments>[number] | undefined;
  try {
    const docs = parseYamlDocuments(text, source);
    doc = docs.length === 1 ? docs[0] : undefined;
    parsed = doc?.data;
  } catch (e) {
    // A bare template need not be YAML until it is executed; text without template actions must be.
    if (!text.includes('{{')) throw e;
    parsed = undefined;
  }
  // A list or a scalar is neither an injector config nor a template that could print a pod
  // (istioctl's decoder refuses it while loading --injectConfigFile).
  if (doc && parsed !== null && parsed !== undefined && !isObject(parsed)) {
    throw new DataError(`an injector config must be a map with "templates" (or a bare sidecar template), found ${Array.isArray(parsed) ? 'a list' : `a ${typeof parsed}`}`, positionOf(doc, []));
  }
  if (!isObject(parsed) || parsed.templates === undefined) {
    checkTemplateSyntax('sidecar', text, `${source}:1:1`);
    return { templates: { sidecar: text }, defaultTemplates: ['sidecar'], aliases: {}, injectedAnnotations: {} };
  }
  const templates = stringMap(parsed.templates, 'templates', source);
  for (const [name, body] of Object.entries(templates)) {
    const at = doc ? positionOf(doc, ['templates', name]) : undefined;
    checkTemplateSyntax(name, body, at ? `${at.file}:${at.line}:${at.column}` : source);
  }
  const defaults = parsed.defaultTemplates;
  const defaultTemplates = Array.isArray(defaults) && defaults.length > 0 ? defaults.map(String) : ['sidecar'];
  const aliases: Record<string, string[]> = {};
  if (isObject(parsed.aliases)) {
    for (const [k, v] of Object.entries(parsed.aliases)) aliases[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return { templates, defaultTemplates, aliases, injectedAnnotations: stringMap(parsed.injectedAnnotations, 'injectedAnnotations', source) };
}

/** Throws DataError at `where` when a template does not parse (an unclosed action, an unknown function). */
function checkTemplateSyntax(name: string, body: string, where: string): void {
  try {
    parseTemplate(body, 'inject');
  } catch (e) {
    throw new DataError(`${where}: injection template "${name}": ${(e as Error).message.split('\n')[0]}`);
  }
}

/** What the injection templates read from the values: without these maps every template fails. */
const REQUIRED_VALUES = ['global', 'pilot'] as const;

/**
 * Returns injector values from JSON or YAML text (the ConfigMap's `values` key); `{}` for a text
 * without a document. Throws DataError at `source:line:column` when it does not parse (strict JSON
 * for a `.json` file), holds more than one document, or is not a map.
 */
export function valuesFromText(text: string, source: string): JsonObject {
  const docs = parseYamlDocuments(text, source);
  if (docs.length > 1) throw new DataError(`injector values must be one document, found ${docs.length}`, positionOf(docs[1]!, []));
  if (docs.length === 0) return {};
  const parsed = docs[0]!.data;
  if (!isObject(parsed)) throw new DataError('injector values must be a map', positionOf(docs[0]!, []));
  return parsed;
}

/**
 * Returns the injector values of a file the user gave (`--valuesFile`: the `values` key of the
 * `istio-sidecar-injector` ConfigMap) as valuesFromText does, and also refuses, at
 * `source:line:column`, a file with no values and values without the `global` and `pilot` maps
 * every injection template reads (istioctl would fail later, inside the template, at the
 * workload). Field names are not checked: the charts put fields there that no schema lists.
 */
export function valuesFromFile(text: string, source: string): JsonObject {
  const hint = ' (a values file holds the "values" key of the istio-sidecar-injector ConfigMap)';
  const docs = parseYamlDocuments(text, source);
  if (docs.length === 0 || (docs.length === 1 && (docs[0]!.data === null || docs[0]!.data === undefined))) {
    throw new DataError(`${source}: holds no injector values${hint}`);
  }
  const values = valuesFromText(text, source);
  const doc = docs[0]!;
  for (const key of REQUIRED_VALUES) {
    const value = values[key];
    if (value === undefined || value === null) throw new DataError(`injector values lack "${key}", which the injection templates read${hint}`, positionOf(doc, []));
    if (!isObject(value)) throw new DataError(`injector values: "${key}" must be a map`, positionOf(doc, [key]));
  }
  return values;
}

/** Returns the mesh config from a `mesh` YAML text with Istio's defaults applied. Throws DataError on bad input. */
export function meshFromText(text: string, source: string): JsonObject {
  try {
    return meshConfigFromYaml(text, source);
  } catch (e) {
    throw new DataError((e as Error).message.startsWith(source) ? (e as Error).message : `${source}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * Returns the mesh config of a mesh config file the user gave (`--meshConfigFile`) as meshFromText
 * does, after checking it against Istio's MeshConfig (validateMeshConfig: unknown and removed
 * fields, wrong types, bad enum values and durations). Throws DataError with `file:line:column` for
 * a file that does not parse or does not pass.
 */
export function meshFromFile(text: string, source: string): JsonObject {
  const document = parseYamlDocuments(text, source).find((d) => d.data !== null && d.data !== undefined);
  if (document) assertValidMeshConfigDocument(document);
  return meshFromText(text, source);
}

/**
 * Returns the injection configuration held by rendered objects: the `istio-sidecar-injector[-REV]`
 * ConfigMap (keys `config`, `values`) and the `istio[-REV]` ConfigMap (key `mesh`), exactly what
 * istiod of that revision reads. Throws DataError when the rendering has no injector (for example
 * the `remote` or `empty` profile without istiod).
 */
export function injectionConfigFromObjects(objects: readonly K8sObject[], revision: string): InjectionConfig {
  const suffix = revision ? `-${revision}` : '';
  const find = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as
    (K8sObject & { data?: Record<string, string> }) | undefined;
  const injector = find(`istio-sidecar-injector${suffix}`);
  if (!injector?.data?.config) {
    throw new DataError(`the configuration renders no istio-sidecar-injector${suffix} ConfigMap (is istiod disabled in this profile?); pass --injectConfigFile and --valuesFile instead`);
  }
  const meshMap = find(`istio${suffix}`);
  const settings = injectorSettingsFromText(injector.data.config, `ConfigMap istio-sidecar-injector${suffix}`);
  return {
    ...settings,
    values: valuesFromText(injector.data.values ?? '{}', `ConfigMap istio-sidecar-injector${suffix} values`),
    mesh: meshFromText(meshMap?.data?.mesh ?? '', `ConfigMap istio${suffix} mesh`),
    revision,
  };
}
