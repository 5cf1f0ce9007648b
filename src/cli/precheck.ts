/** `meshctl x precheck` (`x` also answers to `experimental` and `exp`, as in istioctl). */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { collect, configure, type AnyCommand } from './program.js';

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
    .option('-f, --filename <file>', 'IstioOperator overlay file of the installation you mean to make; repeatable', collect)
    .option('-s, --set <path=value>', 'configuration value of the installation you mean to make, e.g. --set profile=ambient; repeatable', collect)
    .addHelpText('after', `
With -f or --set, what that configuration runs is judged too: ambient mode (ztunnel) needs the
Gateway API CRDs of the release Istio builds against (MSH0104), the CNI node agent needs the
platform's settings on k3d, k3s, MicroK8s, minikube and OpenShift (MSH0105), and both need
permission to create DaemonSets. For a configuration without them those findings are Info;
without -f or --set they are not looked for (as istioctl's precheck).

Exit codes: 0 when nothing at Warning or above was found, 1 otherwise (whatever the threshold).
Findings go to stdout; the all-clear message goes to stderr.

Examples:
  meshctl x precheck
  meshctl x precheck --set profile=ambient
  meshctl x precheck --output-threshold Info     # also show the installed version
  meshctl x precheck -o json`)
    .action(async (args, opts, cmd) => {
      if (args.length) throw new UsageError(`precheck takes no arguments, got: ${args.join(' ')}`);
      await (await impl()).runPrecheck(deps, {
        output: opts.output, outputThreshold: opts.outputThreshold, revision: opts.revision, istioNamespace: opts.istioNamespace,
        ...(opts.filename ? { filename: opts.filename } : {}), ...(opts.set ? { set: opts.set } : {}),
      }, cmd.optsWithGlobals());
    });
}
