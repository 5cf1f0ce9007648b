/** What `meshctl tag` does, loaded only when it runs. */
import type { Deps } from '../deps.js';
import { logLine } from '../analyze/output/log.js';
import { toJson, toYaml, toYamlStream } from '../manifest/serialize.js';
import {
  applyRevisionTag, findTagRemoval, listRevisionTags, planObjects, planRevisionTag, removeRevisionTag, tagConflicts, type TagDescription,
} from '../kube/revision-tags.js';
import { loadAssets } from './assets.js';
import { useColor } from './color.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { confirm, ConfirmationRequiredError } from './prompt.js';

/** Options of `tag set` and `tag generate`, from their flags. */
export interface TagSetOptions {
  tag: string;
  revision: string;
  /** `tag generate`: print the objects instead of applying them. */
  generate: boolean;
  overwrite: boolean;
  webhookName?: string;
  autoInjectNamespaces: boolean;
  yes: boolean;
  istioNamespace: string;
}

/**
 * Sets (or with `generate`, prints) a revision tag: checks the cluster as istioctl does (see
 * planRevisionTag), runs the webhook analyzer over the tag's webhook and the cluster's, prints
 * conflicts and, on `set` without -y, asks before applying (refusing without a terminal). `set`
 * applies and says so on stderr; `generate` writes the objects as YAML to stdout. Throws what the
 * checks and the client throw (exit 1), ConfirmationRequiredError (exit 1).
 */
export async function runTagSet(deps: Deps, opts: TagSetOptions, globals: KubeGlobals & { color?: boolean }): Promise<void> {
  const client = await connectCluster(deps, globals);
  const assets = await loadAssets(deps);
  const plan = await planRevisionTag(client, assets, {
    tag: opts.tag, revision: opts.revision, istioNamespace: opts.istioNamespace,
    ...(opts.webhookName !== undefined ? { webhookName: opts.webhookName } : {}),
    overwrite: opts.overwrite, autoInjectNamespaces: opts.autoInjectNamespaces, generate: opts.generate,
  });
  const conflicts = await tagConflicts(client, plan);
  if (conflicts.length) {
    const color = useColor(deps, 'stderr', globals);
    deps.stderr.write(`Revision tag "${opts.tag}" would conflict with the cluster's injection webhooks:\n${conflicts.map((f) => `${logLine(f, color)}\n`).join('')}`);
    if (!opts.generate && !opts.yes && !await confirm(deps, 'Apply anyways? [y/N]')) {
      deps.stderr.write('Cancelled: the tag was not changed.\n');
      deps.exitCode = 1;
      return;
    }
  }
  if (opts.generate) {
    deps.stdout.write(toYamlStream(planObjects(plan)));
    return;
  }
  await applyRevisionTag(client, plan);
  for (const name of plan.stale) {
    deps.stderr.write(`Removed MutatingWebhookConfiguration ${name}: it carried the tag "${opts.tag}" under another name and would have kept injecting for the old revision.\n`);
  }
  for (const wh of plan.deactivate) {
    deps.stderr.write(`Deactivated the default revision's own injection webhooks in MutatingWebhookConfiguration ${wh.metadata.name} `
      + '(kept, so that the revision can take its namespaces back).\n');
  }
  deps.stderr.write(`Revision tag "${opts.tag}" created, referencing control plane revision "${opts.revision}". To enable injection using this\n`
    + `revision tag, use 'kubectl label namespace <NAMESPACE> istio.io/rev=${opts.tag}'\n`);
}

/** Options of `tag list`. */
export interface TagListOptions {
  output: 'table' | 'json' | 'yaml';
  istioNamespace: string;
}

/**
 * Prints the cluster's revision tags to stdout: a `TAG REVISION NAMESPACES` table (namespaces
 * comma-joined) or a JSON/YAML list of `{tag, revision, namespaces}`; with no tag, the table
 * format says `No Istio revision tags found.` on stderr and JSON/YAML print an empty list.
 * Throws what the client throws.
 */
export async function runTagList(deps: Deps, opts: TagListOptions, globals: KubeGlobals): Promise<void> {
  const client = await connectCluster(deps, globals);
  const tags = await listRevisionTags(client, opts.istioNamespace);
  if (opts.output === 'json') deps.stdout.write(toJson(tags));
  else if (opts.output === 'yaml') deps.stdout.write(toYaml(tags));
  else if (tags.length === 0) deps.stderr.write('No Istio revision tags found.\n');
  else deps.stdout.write(tagTable(tags));
}

/** Returns the table as istioctl's tabwriter lays it out: each column but the last padded to its widest cell plus one space. */
export function tagTable(tags: readonly TagDescription[]): string {
  const rows = [['TAG', 'REVISION', 'NAMESPACES'], ...tags.map((t) => [t.tag, t.revision, t.namespaces.join(',')])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)) + 1);
  return rows.map((r) => `${r[0]!.padEnd(widths[0]!)}${r[1]!.padEnd(widths[1]!)}${r[2]!}\n`).join('');
}

/** Options of `tag remove`. */
export interface TagRemoveOptions {
  tag: string;
  yes: boolean;
  istioNamespace: string;
}

/**
 * Removes a revision tag. While namespaces still use it, names them and asks (unless -y); without
 * a terminal, refuses naming them (ConfirmationRequiredError, exit 1). A "no" exits 1 and changes
 * nothing. Removing the `default` tag leaves its validator and the deactivated default-revision
 * injector as they are (as istioctl does) and says so. Throws Error when the tag does not exist;
 * what the client throws.
 */
export async function runTagRemove(deps: Deps, opts: TagRemoveOptions, globals: KubeGlobals): Promise<void> {
  const client = await connectCluster(deps, globals);
  const removal = await findTagRemoval(client, opts.tag, opts.istioNamespace);
  const { namespaces } = removal;
  if (namespaces.length && !opts.yes) {
    const found = `${namespaces.length} namespace(s) still injected by tag "${opts.tag}": ${namespaces.join(' ')}`;
    if (!deps.stdinIsTTY || !deps.prompt) {
      throw new ConfirmationRequiredError(`cannot remove tag "${opts.tag}": found ${found}; new pods there would start without a sidecar. `
        + 'Pass -y (--skip-confirmation) to remove it anyway');
    }
    if (!await confirm(deps, `Caution, found ${found}\nProceed with operation? [y/N]`)) {
      deps.stderr.write('Aborting operation: the tag was not removed.\n');
      deps.exitCode = 1;
      return;
    }
  }
  await removeRevisionTag(client, removal);
  deps.stderr.write(`Revision tag ${opts.tag} removed\n`);
  for (const note of removal.leftAlone) deps.stderr.write(`Note: ${note}.\n`);
}
