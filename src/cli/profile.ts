/** `meshctl profile list|dump|diff`: the install profiles and what they resolve to. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import type { AnyCommand } from './program.js';
import { addRenderFlags } from './render-flags.js';
import { useColor } from './color.js';

// Profiles, the renderer and the schema validator load only when a profile command runs.
const impl = () => import('./profile-impl.js');

/** Adds `profile list`, `profile dump` and `profile diff` to the program. */
export function registerProfile(program: AnyCommand, deps: Deps): void {
  const profile = program.command('profile').description('List, show and compare install profiles');
  profile.command('list')
    .description('List the install profiles')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml'] as const).default('text' as const))
    .action(async (opts) => (await impl()).runProfileList(deps, opts.output));
  addRenderFlags(profile.command('dump')
    .description('Print the full configuration of a profile, with overlays and --set applied')
    .argument('[profile]', 'profile name (default: "default", or what -f/--set select)'))
    .option('-p, --config-path <path>', 'print only this subtree, e.g. components.pilot or values.global.proxy')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json', 'flags'] as const).default('yaml' as const))
    .action(async (name, opts) => (await impl()).runProfileDump(deps, name, opts));
  profile.command('diff')
    .description('Show the differences between two profiles or IstioOperator files')
    .argument('<a>', 'profile name or IstioOperator file')
    .argument('<b>', 'profile name or IstioOperator file')
    .option('--exit-code', 'exit with 1 when they differ (like git diff --exit-code)')
    .action(async (a, b, opts, cmd) => (await impl()).runProfileDiff(deps, a, b, { exitCode: opts.exitCode === true, color: useColor(deps, 'stdout', cmd.optsWithGlobals()) }));
}
