/** `meshctl validate`: strict schema validation of resource files, without a cluster. */
import type { Deps } from '../deps.js';
import { collect, type AnyCommand } from './program.js';

// The generated validators (~1.4 MB of ajv code) load only when this command runs.
const impl = () => import('./validate-impl.js');

/** Adds `validate` to the program. */
export function registerValidate(program: AnyCommand, deps: Deps): void {
  program.command('validate')
    .description('Validate Istio and Kubernetes resource files strictly against their schemas (unknown fields are errors); no cluster needed')
    .argument('[args...]')
    .option('-f, --filename <file>', 'file or directory (.yaml, .yml, .json) to validate, "-" for stdin; repeatable or comma-separated', collect)
    .addHelpText('after', `
Checks every object of every file, List items included: Istio resources against the Istio 1.30.3
CRD schemas (every served version), Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
CronJobs, Pods, Services, Namespaces, ConfigMaps, ServiceAccounts and Secrets against the
Kubernetes API, IstioOperator files as manifest generate checks them. Other kinds are accepted
unchecked; unknown kinds of Istio API groups are errors.

Each finding is one line on stderr, "file:line:column: Kind/namespace/name: message", then one
line per file: "<file>" is valid | has warnings: | is invalid | could not be read | could not be
parsed. A file without objects is valid ("is valid (no objects)"). A summary line ends the report.

Exit codes: 0 valid (warnings allowed), 1 an object is invalid, 65 a file could not be read or
parsed (the other files are still validated), 64 usage error.

Examples:
  meshctl validate -f bookinfo.yaml
  meshctl validate -f k8s/ -f istio/gateway.yaml
  helm template ./chart | meshctl validate -f -`)
    .action(async (args: string[], opts: { filename?: string[] }) => (await impl()).runValidate(deps, { ...opts, args }));
}
