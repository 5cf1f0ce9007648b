/** What `meshctl install|upgrade` do, loaded only when one of them runs. */
import type { Deps } from '../deps.js';
import { DEFAULT_POLL_INTERVAL_MS, runInstallation, type InstallReporter } from '../kube/install.js';
import { plainProgress, type Progress } from '../output/plain-progress.js';
import { useColor } from './color.js';
import { parseDuration } from './duration.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { confirm } from './prompt.js';
import type { RenderOptions } from './render-flags.js';
import { configurationFrom, printWarnings } from './render-options.js';
import { clusterSettings } from '../render/resolve.js';

/** Flags of `install` and `upgrade`. */
export interface InstallFlags extends RenderOptions {
  skipConfirmation?: boolean;
  dryRun?: boolean;
  /** Go-style duration (`300s`, `5m`). */
  readinessTimeout: string;
  /** Go-style duration; hidden flag for tests and impatient people. */
  pollInterval?: string;
}

/**
 * Renders the configuration, connects to the cluster and runs the installer. On a terminal a
 * spinner shows what is being waited for; otherwise plain lines. Sets exit code 1 (after printing
 * `Cancelled.`) when the user declines; throws UsageError for bad durations, and whatever the
 * installer throws (InterruptedError on Ctrl-C, exit 130).
 */
export async function runInstall(deps: Deps, command: 'install' | 'upgrade', flags: InstallFlags, globals: KubeGlobals & { color?: boolean }): Promise<void> {
  // Take Ctrl-C from here on, rendering included: an interrupt before the first apply then ends in
  // "interrupted: no objects were applied" (exit 130) instead of a silent end.
  const signal = deps.signal;
  const readinessTimeoutMs = parseDuration('--readiness-timeout', flags.readinessTimeout);
  const pollIntervalMs = flags.pollInterval === undefined ? DEFAULT_POLL_INTERVAL_MS : Math.max(1, parseDuration('--poll-interval', flags.pollInterval));
  let { config, rendering } = await configurationFrom(deps, flags);
  printWarnings(deps, rendering.warnings);
  // As istioctl's installer, one that renders nothing (profile empty) still prunes the installation's
  // objects (operator/pkg/install/install.go prune): say so before the prompt.
  if (rendering.objects.length === 0) {
    deps.stderr.write(`No objects rendered: every component is disabled (profile "${config.profile}"); installing it applies nothing and prunes what the installation has.\n`);
  }
  const client = await connectCluster(deps, globals);
  // istioctl derives settings from the cluster's version (on GKE: CNI in kube-system, platform gke), over the
  // profile and under the user's values; an unreachable cluster is reported by the installer, as before.
  const gitVersion = await client.serverVersion().then((v) => v.gitVersion, () => undefined);
  if (gitVersion !== undefined && clusterSettings(gitVersion)) {
    // The charts see the version too (the istio-cni chart finds GKE's CNI bin dir in it).
    ({ config, rendering } = await configurationFrom(deps, flags, undefined, { kubernetesGitVersion: gitVersion }, { kubernetesGitVersion: gitVersion }));
  }

  const color = useColor(deps, 'stderr', globals);
  const interactive = deps.stderr.isTTY && deps.env.TERM !== 'dumb';
  // The spinner (ora) and the diff colours load only when they will be used: both cost start-up time.
  const progress: Progress = interactive
    ? (await import('../output/progress.js')).createProgress(deps.stderr, { interactive, color })
    : plainProgress(deps.stderr);
  const colorDiff = flags.dryRun && useColor(deps, 'stdout', globals) ? (await import('./style.js')).colorDiff : undefined;
  const reporter: InstallReporter = {
    warn: (text) => progress.line(`Warning: ${text}`),
    confirm: (question) => confirm(deps, question),
    // Without a spinner, only waits are worth a log line; applying is quick and ends in a ✔ line anyway.
    status: (text, waiting) => progress.status(interactive || text === undefined || waiting?.length ? text : undefined),
    line: (text) => progress.line(text),
    data: (text) => deps.stdout.write(colorDiff ? colorDiff(text) : text),
  };
  try {
    const result = await runInstallation(client, { command, config, rendering, clientVersion: deps.version }, {
      dryRun: flags.dryRun === true,
      yes: flags.skipConfirmation === true,
      readinessTimeoutMs,
      pollIntervalMs,
      signal,
      emoji: interactive,
    }, reporter);
    if (result.cancelled) {
      deps.stderr.write('Cancelled.\n');
      deps.exitCode = 1;
    }
  } finally {
    progress.stop();
  }
}
