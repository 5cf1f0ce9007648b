/** The flags every rendering command shares: -f, --set, -r, --force. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { collect } from './program.js';

/** Options that select what is rendered. */
export interface RenderOptions {
  filename?: string[];
  set?: string[];
  revision?: string;
  force?: boolean;
}

/** Adds -f/--filename, -s/--set, -r/--revision and --force to a command. */
export function addRenderFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('-f, --filename <file>', 'IstioOperator overlay file; repeatable, comma-separated, "-" for stdin; later files win', collect)
    .option('-s, --set <path=value>', 'override a configuration value, e.g. --set profile=demo; repeatable, applied in order after the files', collect)
    .option('-r, --revision <revision>', 'control plane revision (suffixes names, sets istio.io/rev); same as --set revision=')
    .option('--force', 'continue when the configuration fails validation (issues become warnings)');
}
