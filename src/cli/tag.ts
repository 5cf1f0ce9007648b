/** `meshctl tag set|generate|list|remove`: revision tags, mutable aliases of control plane revisions for injection. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { AnyCommand } from './program.js';

// The renderer, the analyzer and the cluster client load only when a tag command runs.
const impl = () => import('./tag-impl.js');

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Returns the one tag argument; a tag to create is checked as a DNS-1123 label (it becomes a label
 * value and part of object names). Throws UsageError.
 */
function tagArgument(args: string[], verb: string, creating: boolean): string {
  if (args.length === 0) throw new UsageError(`must provide a tag for ${verb}`);
  if (args.length > 1) throw new UsageError(`must provide a single tag for ${verb}, got: ${args.join(' ')}`);
  const tag = args[0]!;
  if (creating && (!DNS1123_LABEL.test(tag) || tag.length > 63)) {
    throw new UsageError(`invalid revision tag "${tag}": must be a DNS-1123 label (at most 63 lower case letters, digits and "-", starting and ending with a letter or digit)`);
  }
  return tag;
}

const ISTIO_NAMESPACE_HELP = 'namespace of the Istio control plane (where the tag\'s Service goes)';

/** Adds `tag` and its sub-commands to the program. */
export function registerTag(program: AnyCommand, deps: Deps): void {
  const tag = program.command('tag')
    .description('Manage revision tags: aliases of control plane revisions that namespaces select with istio.io/rev')
    .addHelpText('after', `
A namespace labelled istio.io/rev=prod is injected by whichever revision the tag "prod" points at;
moving the tag (tag set prod -r <new> --overwrite) moves every such namespace without relabelling
it. Restart the workloads afterwards to get the new revision's sidecars. The tag "default" also
takes namespaces labelled istio-injection=enabled and validates Istio configuration cluster-wide.`);

  for (const verb of ['set', 'generate'] as const) {
    tag.command(verb)
      .description(verb === 'set'
        ? 'Create or move a revision tag in the cluster'
        : 'Print the objects of a revision tag (YAML on stdout), for kubectl apply or GitOps')
      .argument('[tag...]')
      .usage('<tag> -r REVISION [options]')
      .requiredOption('-r, --revision <revision>', 'control plane revision the tag points at ("default" for the revision installed without -r)')
      .option('--overwrite', 'move an existing tag, or allow a tag named like an existing revision')
      .option('--webhook-name <name>', 'name of the tag\'s MutatingWebhookConfiguration (default istio-revision-tag-<tag>)')
      .option('--auto-inject-namespaces', 'the default tag also injects namespaces that carry no injection label')
      .option('-y, --skip-confirmation', 'do not ask when the tag\'s webhook would conflict with existing ones')
      .option('-i, --istio-namespace <namespace>', ISTIO_NAMESPACE_HELP, 'istio-system')
      .addHelpText('after', verb === 'set' ? `
The tag's webhook is checked against the cluster's injection webhooks (IST0139); a conflict is
printed and asked about. Objects are written by server-side apply (field manager "meshctl").

Examples:
  meshctl tag set prod -r canary
  kubectl label namespace shop istio.io/rev=prod
  meshctl tag set prod -r canary-2 --overwrite
  kubectl rollout restart deployment -n shop
  meshctl tag set default -r canary      # also istio-injection=enabled and cluster-wide validation` : `
Example:
  meshctl tag generate prod -r canary | kubectl apply -f -`)
      .action(async (args, opts, cmd) => {
        const name = tagArgument(args, verb === 'set' ? 'modification' : 'generation', true);
        await (await impl()).runTagSet(deps, {
          tag: name,
          revision: opts.revision,
          generate: verb === 'generate',
          overwrite: opts.overwrite === true,
          ...(opts.webhookName !== undefined ? { webhookName: opts.webhookName } : {}),
          autoInjectNamespaces: opts.autoInjectNamespaces === true,
          yes: opts.skipConfirmation === true,
          istioNamespace: opts.istioNamespace,
        }, cmd.optsWithGlobals());
      });
  }

  tag.command('list')
    .alias('show')
    .description('List the revision tags, the revision each points at and the namespaces that use it')
    .argument('[args...]')
    .usage('[options]')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml'] as const).default('table' as const))
    .option('-i, --istio-namespace <namespace>', ISTIO_NAMESPACE_HELP, 'istio-system')
    .action(async (args, opts, cmd) => {
      if (args.length) throw new UsageError(`tag list takes no arguments, got: ${args.join(' ')}`);
      await (await impl()).runTagList(deps, { output: opts.output, istioNamespace: opts.istioNamespace }, cmd.optsWithGlobals());
    });

  tag.command('remove')
    .alias('delete')
    .description('Remove a revision tag (its webhook configuration and Service)')
    .argument('[tag...]')
    .usage('<tag> [options]')
    .option('-y, --skip-confirmation', 'do not ask when namespaces still use the tag (needed when stdin is not a terminal)')
    .option('-i, --istio-namespace <namespace>', ISTIO_NAMESPACE_HELP, 'istio-system')
    .addHelpText('after', `
New pods in namespaces that still use the tag (istio.io/rev=<tag>) start without a sidecar once it
is gone: they are named and asked about first.`)
    .action(async (args, opts, cmd) => {
      const name = tagArgument(args, 'removal', false);
      await (await impl()).runTagRemove(deps, { tag: name, yes: opts.skipConfirmation === true, istioNamespace: opts.istioNamespace }, cmd.optsWithGlobals());
    });
}
