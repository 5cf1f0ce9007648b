/** `meshctl analyze`: check mesh configuration in files or a live cluster for problems, with Istio's message codes. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { collect, type AnyCommand } from './program.js';

// Analyzers, schemas and the renderer load only when the command runs.
const impl = () => import('./analyze-impl.js');

/** Output formats of `-o`. */
export const ANALYZE_FORMATS = ['log', 'json', 'yaml', 'sarif', 'junit', 'github'] as const;

/** Adds `analyze` to the program. */
export function registerAnalyze(program: AnyCommand, deps: Deps): void {
  program.command('analyze')
    .description('Analyze mesh configuration (the cluster, and/or files, directories or - for stdin) and report problems with Istio\'s message codes')
    .argument('[files...]', 'files or directories (.yaml, .yml, .json, walked recursively); "-" for stdin')
    .option('-n, --namespace <namespace>', 'report only on this namespace; also the namespace of file objects that name none (default: files alone: all namespaces, objects without one go to "default"; cluster: the context\'s namespace)')
    .option('-A, --all-namespaces', 'report on every namespace')
    .addOption(new Option('-k, --use-kube [bool]', 'analyze the cluster\'s live resources, with the files laid over them (default: true without files, false with files)').argParser(useKubeValue))
    .option('-o, --output <format>', `output format: ${ANALYZE_FORMATS.join(', ')}`, 'log')
    .option('--output-threshold <level>', 'lowest level printed: Info, Warning or Error', 'Info')
    .option('--failure-threshold <level>', 'lowest level that makes the exit code 79: Info, Warning or Error', 'Error')
    .option('-S, --suppress <rule>', 'suppress findings: CODE=Kind namespace/name, * matches anything (e.g. "IST0118=Service default/*"); repeatable', collect)
    .option('--analyzer <name>', 'run only this analyzer (see -L); a prefix such as schema.ValidationAnalyzer selects a family; repeatable', collect)
    .option('-L, --list-analyzers', 'list the analyzers and exit')
    .option('-i, --istio-namespace <namespace>', 'namespace of the Istio control plane', 'istio-system')
    .option('--meshConfigFile <file>', 'mesh config YAML to analyze with, applied over Istio\'s defaults (default: the cluster\'s "istio" ConfigMap when it is read, else the defaults)')
    .option('--meshNetworksFile <file>', 'mesh networks YAML to analyze with (default: the cluster\'s "istio" ConfigMap when it is read, else none)')
    .option('--ignore-unknown', 'do not fail (exit 65) when a file cannot be parsed')
    .addHelpText('after', `
Exit codes: 0 no finding at or above --failure-threshold, 79 findings at or above it,
65 a file could not be parsed, 64 bad usage, 1 the cluster could not be read. They do not depend on -o.
Findings go to stdout; the summary and "No validation issues found" go to stderr.

Without files, or with --use-kube, the live resources of the current context are analyzed (every
namespace is read; findings are reported for -n, else the context's namespace, or all with -A);
files given as well replace the live objects of the same kind, namespace and name.

Examples:
  meshctl analyze -A
  meshctl analyze -k -n shop fixed-service.yaml
  meshctl analyze samples/bookinfo/
  meshctl analyze -o sarif k8s/ > analyze.sarif
  kustomize build . | meshctl analyze - --failure-threshold Warning
  meshctl analyze app.yaml -S "IST0118=Service default/legacy-*"`)
    .action(async (files, opts, cmd) => (await impl()).runAnalyze(deps, files, opts, cmd.optsWithGlobals()));
}

/**
 * Returns the value of `--use-kube [bool]`: true or false for a boolean word; any other word is
 * not a value but the first file (`analyze --use-kube app.yaml`), returned as the string so that
 * the command puts it back among the files and uses the cluster.
 */
function useKubeValue(value: string): boolean | string {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return value;
}
