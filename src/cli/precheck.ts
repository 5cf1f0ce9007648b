/** `meshctl x precheck` (`x` also answers to `experimental` and `exp`, as in istioctl). */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { configure, type AnyCommand } from './program.js';

// The checks and the cluster client load only when the command runs.
const impl = () => import('./precheck-impl.js');

/** Output formats of `x precheck -o`. */
export const PRECHECK_FORMATS = ['log', 'json', 'yaml'] as const;

/** Returns the program's `x` command, adding it when no other command file has. */
function experimental(program: AnyCommand, deps: Deps): AnyCommand {
  const existing = program.commands.find((c) => c.name() === 'x') as AnyCommand | undefined;
  if (existing) return existing;
  return configure(program.command('x').aliases(['experimental', 'exp']).description('Experimental commands that may change'), deps) as AnyCommand;
}

/** Adds `x precheck` to the program. */
export function registerPrecheck(program: AnyCommand, deps: Deps): void {
  experimental(program, deps).command('precheck')
    .description('Check whether Istio can be installed or upgraded in the cluster: Kubernetes version, permissions, an existing installation')
    .argument('[args...]')
    .usage('[options]')
    .addOption(new Option('-o, --output <format>', `output format: ${PRECHECK_FORMATS.join(', ')}`).choices(PRECHECK_FORMATS).default('log' as const))
    .option('--output-threshold <level>', 'lowest level printed: Info, Warning or Error', 'Warning')
    .option('-r, --revision <revision>', 'revision you mean to install, to judge an upgrade of it ("default" for the default revision)')
    .option('-i, --istio-namespace <namespace>', 'namespace Istio is installed into (where permissions are checked)', 'istio-system')
    .addHelpText('after', `
Exit codes: 0 when nothing at Warning or above was found, 1 otherwise (whatever the threshold).
Findings go to stdout; the all-clear message goes to stderr.

Examples:
  meshctl x precheck
  meshctl x precheck --output-threshold Info     # also show the installed version
  meshctl x precheck -o json`)
    .action(async (args, opts, cmd) => {
      if (args.length) throw new UsageError(`precheck takes no arguments, got: ${args.join(' ')}`);
      await (await impl()).runPrecheck(deps, {
        output: opts.output, outputThreshold: opts.outputThreshold, revision: opts.revision, istioNamespace: opts.istioNamespace,
      }, cmd.optsWithGlobals());
    });
}
