/** `meshctl version`: the client's version and the Istio version it installs. */
import { Option } from '@commander-js/extra-typings';
import type { AnyCommand } from './program.js';
import type { Deps } from '../deps.js';
import { ISTIO_VERSION } from '../render/context.js';
import { toJson, toYaml } from '../manifest/serialize.js';

export interface VersionOptions {
  short: boolean;
  output: 'json' | 'yaml' | undefined;
}

/** Version facts of this build, as printed by `-o json|yaml`. */
export interface VersionInfo {
  clientVersion: { version: string; istioVersion: string };
}

/** Returns the client version report. The cluster part (control and data plane) is added by cluster-aware builds only. */
export function versionInfo(deps: Deps): VersionInfo {
  return { clientVersion: { version: deps.version, istioVersion: ISTIO_VERSION } };
}

/** Prints the version report. */
export function runVersion(deps: Deps, opts: VersionOptions): void {
  const info = versionInfo(deps);
  if (opts.output === 'json') deps.stdout.write(toJson(info));
  else if (opts.output === 'yaml') deps.stdout.write(toYaml(info));
  else if (opts.short) deps.stdout.write(`${info.clientVersion.version}\n`);
  else deps.stdout.write(`client version: ${info.clientVersion.version}\nistio version: ${info.clientVersion.istioVersion} (installed by this client)\n`);
}

/** Adds `version` to the program. */
export function registerVersion(program: AnyCommand, deps: Deps): void {
  program.command('version')
    .description('Print the meshctl version and the Istio version it installs')
    .option('-s, --short', 'print only the meshctl version number')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml'] as const))
    .action((opts) => runVersion(deps, { short: opts.short === true, output: opts.output }));
}
