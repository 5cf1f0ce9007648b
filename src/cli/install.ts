/** `meshctl install` (alias `apply`) and `meshctl upgrade`: render the configuration and apply it to the cluster. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import type { AnyCommand } from './program.js';
import { addRenderFlags } from './render-flags.js';

// The renderer, the installer and the cluster client load only when one of these commands runs.
const impl = () => import('./install-impl.js');

/** Adds `install` (alias `apply`) and `upgrade` to the program; both run the same installer. */
export function registerInstall(program: AnyCommand, deps: Deps): void {
  for (const command of ['install', 'upgrade'] as const) {
    const cmd = program.command(command);
    if (command === 'install') {
      cmd.alias('apply').description('Install or reconfigure the mesh in the cluster: apply the rendered configuration, wait until it is ready, prune what it no longer has');
    } else {
      cmd.description('Upgrade the mesh in the cluster (the installer, with warnings about version skew outside Istio\'s upgrade policy)');
    }
    addRenderFlags(cmd)
      .option('-y, --skip-confirmation', 'do not ask for confirmation (needed when stdin is not a terminal)')
      .option('--dry-run', 'change nothing: show what would change against the live objects (diff on stdout, summary on stderr)')
      .option('--readiness-timeout <duration>', 'longest wait for each component to become ready, e.g. 300s or 5m', '300s')
      .addOption(new Option('--poll-interval <duration>', 'longest interval between readiness checks').default('2s').hideHelp())
      .addHelpText('after', `
Components are applied in dependency order (base, then istiod, then gateways) by server-side apply
with field manager "meshctl". Objects of components that are no longer rendered are pruned (never
CRDs). Running the same command twice changes nothing.

Examples:
  meshctl ${command} --set profile=demo -y
  meshctl ${command} -f my-config.yaml --dry-run
  meshctl ${command} -r canary -y`)
      .action(async (opts, c) => (await impl()).runInstall(deps, command, opts, c.optsWithGlobals()));
  }
}
