/**
 * `meshctl completion bash|zsh|fish|powershell` and the hidden `meshctl __complete`, which the
 * printed scripts call at each Tab to ask for candidates.
 */
import { Argument } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import type { AnyCommand } from './program.js';

// The completion engine and the scripts load only when one of these commands runs.
const impl = () => import('./completion-impl.js');

/** The shells `meshctl completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;

/** Name of the hidden command the completion scripts call. */
export const COMPLETE_COMMAND = '__complete';

/** Adds `completion` and the hidden `__complete` to the program. */
export function registerCompletion(program: AnyCommand, deps: Deps): void {
  program.command('completion')
    .description('Print a shell completion script (bash, zsh, fish or powershell) to stdout')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .addHelpText('after', `
The script completes commands, flags, profile names, -o formats, files for -f, and the contexts and
their namespaces of your kubeconfig for --context and -n (read from the file; the cluster is never
contacted). It asks meshctl itself at each Tab, so it stays right when meshctl is upgraded.

Installing it:
  bash        source <(meshctl completion bash)         # in ~/.bashrc, or with bash-completion:
              meshctl completion bash > ~/.local/share/bash-completion/completions/meshctl
  zsh         meshctl completion zsh > ~/.zsh/completions/_meshctl
                                                        # a directory on $fpath before compinit runs
              source <(meshctl completion zsh)          # or in ~/.zshrc, after compinit
  fish        meshctl completion fish > ~/.config/fish/completions/meshctl.fish
  powershell  meshctl completion powershell | Out-String | Invoke-Expression    # in $PROFILE`)
    .action(async (shell) => (await impl()).runCompletionScript(deps, shell));

  // `meshctl __complete -- WORD... CURRENT`: the words after "meshctl" up to the cursor, the last
  // one the (possibly empty) word being completed. The scripts pass "--" so that no word, not even
  // --help or a global flag, is taken as an option of meshctl itself.
  program.command(COMPLETE_COMMAND, { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words, _opts, cmd) => (await impl()).runComplete(deps, cmd.parent as AnyCommand, words));
}
