/** `meshctl kube-inject` and `meshctl kube-uninject`: add or remove the sidecar in workload YAML/JSON. */
import type { Deps } from '../deps.js';
import { collect, type AnyCommand } from './program.js';

// The injection engine, the template engine and the renderer load only when these commands run.
const impl = () => import('./kube-inject-impl.js');

/** Adds `kube-inject` and `kube-uninject` to the program. */
export function registerKubeInject(program: AnyCommand, deps: Deps): void {
  program.command('kube-inject')
    .description('Inject the Istio sidecar into workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ReplicationController, DeploymentConfig, List); other documents pass through unchanged')
    .option('-f, --filename <file>', 'input file or directory (.yaml, .yml, .json), "-" for stdin; repeatable', collect)
    .option('-o, --output <file>', 'write the result to this file (atomically) instead of stdout')
    .option('--in-place', 'rewrite each input file with its result (atomically)')
    .option('-r, --revision <revision>', 'control plane revision to inject for')
    .option('--native-sidecar', 'put istio-proxy in initContainers with restartPolicy: Always (Kubernetes 1.29+), whatever ENABLE_NATIVE_SIDECARS and the Nodes say')
    .option('-s, --set <path=value>', 'configuration override, as for manifest generate (e.g. values.global.proxy.resources.requests.cpu=50m); repeatable', collect)
    .option('--operatorFileName <file>', 'IstioOperator file to take the configuration from')
    .option('--injectConfigFile <file>', 'injection configuration (the "config" key of the istio-sidecar-injector ConfigMap) or a bare sidecar template')
    .option('--valuesFile <file>', 'injection values (the "values" key of the istio-sidecar-injector ConfigMap)')
    .option('--meshConfigFile <file>', 'mesh config (the "mesh" key of the istio ConfigMap)')
    .option('--from-cluster', 'read the configuration from the cluster\'s istio-sidecar-injector[-REV] and istio[-REV] ConfigMaps')
    .option('-i, --istio-namespace <namespace>', 'namespace of those ConfigMaps (with --from-cluster)', 'istio-system')
    .addHelpText('after', `
Without config files the configuration is what the default profile renders, changed by --set,
--operatorFileName and -r. With --from-cluster it is what the cluster's control plane (revision -r)
uses, as istiod would inject it; --injectConfigFile, --valuesFile and --meshConfigFile still replace
their part. The YAML goes to stdout; a report line per workload goes to stderr.

Native or classic sidecars, as Istio decides: ENABLE_NATIVE_SIDECARS (the environment, else istiod's
pilot.env in the injector values) true or false; unset or auto, with --from-cluster, native when
every Node's kubelet is 1.33 or later (a pod bound to a Node follows its Node), otherwise classic.
--native-sidecar always gives native sidecars.

Ambient mode: a pod labelled istio.io/dataplane-mode=ambient, or in a namespace so labelled (the
cluster's with --from-cluster, or a Namespace document of the input), is skipped, unless the
namespace (istio-injection=enabled, istio.io/rev) or the pod (sidecar.istio.io/inject=true,
istio.io/rev) asks for a sidecar, as the injector webhook's selectors do.

Examples:
  meshctl kube-inject -f app.yaml | kubectl apply -f -
  meshctl kube-inject -f k8s/ --in-place
  meshctl kube-inject -f app.yaml --from-cluster -r canary
  helm template ./chart | meshctl kube-inject -f - --set values.global.proxy.resources.requests.cpu=50m`)
    .action(async (opts, cmd) => (await impl()).runKubeInject(deps, opts, cmd.optsWithGlobals()));

  program.command('kube-uninject')
    .description('Remove what kube-inject added, as recorded in sidecar.istio.io/status')
    .option('-f, --filename <file>', 'input file or directory (.yaml, .yml, .json), "-" for stdin; repeatable', collect)
    .option('-o, --output <file>', 'write the result to this file (atomically) instead of stdout')
    .option('--in-place', 'rewrite each input file with its result (atomically)')
    .action(async (opts) => (await impl()).runKubeUninject(deps, opts));
}
