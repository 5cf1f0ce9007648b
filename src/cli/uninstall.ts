/** `meshctl uninstall`: remove a control plane revision, or with --purge everything Istio installed. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { collect, type AnyCommand } from './program.js';

// The engine and the cluster client load only when the command runs.
const impl = () => import('./uninstall-impl.js');

/** Adds `uninstall` to the program. */
export function registerUninstall(program: AnyCommand, deps: Deps): void {
  program.command('uninstall')
    .description('Uninstall a control plane revision (-r or -f), or every Istio object in the cluster (--purge)')
    .argument('[args...]')
    .usage('[-r REVISION | -f FILE | --purge] [options]')
    .option('-r, --revision <revision>', 'control plane revision to uninstall ("default" for the default revision)')
    .option('-f, --filename <file>', 'IstioOperator file whose revision and namespace to uninstall')
    .option('-s, --set <path=value>', 'override a configuration value of the -f file (e.g. --set revision=canary); repeatable', collect)
    .option('--force', 'continue when the -f configuration fails validation')
    .option('--purge', 'remove every object with an Istio owner label in all namespaces, CRDs included (the namespaces stay)')
    .option('-y, --skip-confirmation', 'do not ask for confirmation')
    .option('--dry-run', 'list what would be deleted and delete nothing')
    .option('--timeout <duration>', 'longest wait for the deleted objects to be gone (dependents garbage-collected, finalizers done), e.g. 300s or 5m; 0s does not wait', '300s')
    .addOption(new Option('--poll-interval <duration>', 'longest interval between deletion checks').default('2s').hideHelp())
    .option('-i, --istio-namespace <namespace>', 'namespace of the control plane (where its installed state is kept)', 'istio-system')
    .addHelpText('after', `
Without --purge, the revision's gateways and istiod are removed and Base (the CRDs and the
reader service account) stays, as istioctl does. Objects are found by the installed state's
inventory and by owner labels, deleted in reverse install order (webhooks first). Deletes finish
in the background (a Deployment's pods go first; a CRD's custom resources go with it); uninstall
waits until the objects are gone and names any that something still holds, and any namespace of
the installation that is stuck Terminating.

Examples:
  meshctl uninstall -r canary
  meshctl uninstall -r default --dry-run
  meshctl uninstall --purge -y`)
    .action(async (args, opts, cmd) => {
      if (args.length) throw new UsageError(`uninstall takes no arguments, got: ${args.join(' ')}`);
      const setsRevision = (opts.set ?? []).some((s) => s.startsWith('revision='));
      if (opts.revision === undefined && opts.filename === undefined && !opts.purge && !setsRevision) {
        throw new UsageError('at least one of the --revision (or --set revision=<revision>), --filename or --purge flags must be set');
      }
      await (await impl()).runUninstall(deps, {
        revision: opts.revision,
        filename: opts.filename,
        set: opts.set,
        force: opts.force === true,
        purge: opts.purge === true,
        yes: opts.skipConfirmation === true,
        dryRun: opts.dryRun === true,
        timeout: opts.timeout,
        pollInterval: opts.pollInterval,
        istioNamespace: opts.istioNamespace,
      }, cmd.optsWithGlobals());
    });
}
