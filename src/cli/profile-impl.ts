/** What `meshctl profile list|dump|diff` do, loaded only when one of them runs. */
import { createTwoFilesPatch } from 'diff';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { flattenToFlags } from '../manifest/flatten.js';
import { isObject, type Json } from '../manifest/objects.js';
import { toJson, toYaml } from '../manifest/serialize.js';
import { profileNames, type MeshConfiguration } from '../render/resolve.js';
import { getPath, parsePath } from '../render/tree.js';
import { loadAssets } from './assets.js';
import { configurationFrom, printWarnings } from './render-options.js';
import type { RenderOptions } from './render-flags.js';
import { colorDiff } from './style.js';

/** Returns the IstioOperator document of a resolved configuration. */
export function operatorDocument(config: MeshConfiguration): Record<string, Json> {
  return { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { namespace: config.namespace }, spec: config.spec };
}

export interface ProfileDumpOptions extends RenderOptions {
  configPath?: string;
  output: 'yaml' | 'json' | 'flags';
}

/** Prints the merged configuration of a profile (with overlays and flags), whole or one subtree. */
export async function runProfileDump(deps: Deps, profile: string | undefined, opts: ProfileDumpOptions): Promise<void> {
  const { config } = await configurationFrom(deps, opts, profile);
  printWarnings(deps, config.warnings);
  let value: Json = operatorDocument(config);
  let flagPrefix = '';
  if (opts.configPath) {
    const path = opts.configPath.replace(/^spec\./, '');
    const found = getPath(config.spec, parsePath(path));
    if (found === undefined) {
      const top = Object.keys(config.spec).sort().join(', ');
      throw new UsageError(`--config-path ${opts.configPath}: no such path in the configuration (top-level keys: ${top})`);
    }
    value = found;
    flagPrefix = path;
  } else {
    value = config.spec;
  }
  if (opts.output === 'json') deps.stdout.write(toJson(opts.configPath ? value : operatorDocument(config)));
  else if (opts.output === 'flags') {
    const lines = isObject(value) || Array.isArray(value) ? flattenToFlags(value) : [`=${String(value)}`];
    deps.stdout.write(lines.map((l) => (flagPrefix ? (l.startsWith('[') || l.startsWith('=') ? `${flagPrefix}${l}` : `${flagPrefix}.${l}`) : l)).join('\n') + '\n');
  } else deps.stdout.write(toYaml(opts.configPath ? value : operatorDocument(config)));
}

/** Resolves a `profile diff` argument: a profile name, or an IstioOperator file. */
async function resolveSide(deps: Deps, arg: string, names: string[]): Promise<string> {
  const looksLikeFile = arg === '-' || /[/\\]|\.(ya?ml|json)$/.test(arg);
  if (!looksLikeFile && !names.includes(arg)) throw new UsageError(`"${arg}" is neither a profile (${names.join(', ')}) nor an IstioOperator file`);
  const { config } = looksLikeFile ? await configurationFrom(deps, { filename: [arg] }) : await configurationFrom(deps, {}, arg);
  return toYaml(operatorDocument(config));
}

/** Prints a unified diff of two resolved configurations; sets exit code 1 on differences with --exit-code. */
export async function runProfileDiff(deps: Deps, a: string, b: string, opts: { exitCode: boolean; color: boolean }): Promise<void> {
  const names = profileNames(await loadAssets(deps));
  const [left, right] = [await resolveSide(deps, a, names), await resolveSide(deps, b, names)];
  if (left === right) {
    deps.stderr.write(`Profiles "${a}" and "${b}" are identical.\n`);
    return;
  }
  const patch = createTwoFilesPatch(a, b, left, right, undefined, undefined, { context: 3 });
  deps.stdout.write(opts.color ? colorDiff(patch) : patch);
  if (opts.exitCode) deps.exitCode = 1;
}

/** Prints the profile names as text, JSON or YAML. */
export async function runProfileList(deps: Deps, output: 'text' | 'json' | 'yaml'): Promise<void> {
  const names = profileNames(await loadAssets(deps));
  if (output === 'json') deps.stdout.write(toJson(names));
  else if (output === 'yaml') deps.stdout.write(toYaml(names));
  else deps.stdout.write(`Istio configuration profiles:\n${names.map((n) => `    ${n}\n`).join('')}`);
}
