/** `meshctl verify-install`: compare the cluster with what the configuration renders. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { AnyCommand } from './program.js';
import { addRenderFlags } from './render-flags.js';

// The renderer, the engine and the cluster client load only when the command runs.
const impl = () => import('./verify-install-impl.js');

/** Adds `verify-install` to the program. */
export function registerVerifyInstall(program: AnyCommand, deps: Deps): void {
  addRenderFlags(program.command('verify-install')
    .description('Verify an installation: compare the cluster with the rendering (missing, extra, drifted and unready objects)')
    .argument('[args...]')
    .usage('[-f FILE]... [--set PATH=VALUE]... [-r REVISION] [options]'))
    .option('-i, --istio-namespace <namespace>', 'namespace of the control plane, where the installed state is read when no -f/--set is given', 'istio-system')
    .addOption(new Option('-o, --output <format>', 'output format: text (lines on stderr) or json (a report on stdout)').choices(['text', 'json'] as const).default('text' as const))
    .addHelpText('after', `
Without -f or --set, the configuration the installation recorded in the cluster is rendered.
Exit codes: 0 verified, 1 problems found (or no installation).

Examples:
  meshctl verify-install
  meshctl verify-install -r canary
  meshctl verify-install -f my-operator.yaml -o json`)
    .action(async (args, opts, cmd) => {
      if (args.length) throw new UsageError(`verify-install takes no arguments, got: ${args.join(' ')} (did you mean -f ${args[0]}?)`);
      await (await impl()).runVerifyInstall(deps, {
        filename: opts.filename, set: opts.set, revision: opts.revision, force: opts.force,
        istioNamespace: opts.istioNamespace, output: opts.output,
      }, cmd.optsWithGlobals());
    });
}
