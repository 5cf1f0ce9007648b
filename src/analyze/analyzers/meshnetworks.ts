/**
 * meshnetworks.MeshNetworksAnalyzer: every `fromRegistry` endpoint of the mesh networks
 * (`--meshNetworksFile`, or the `meshNetworks` key of the `istio` ConfigMap) must name a service
 * registry Istio knows (IST0126). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/multicluster/meshnetworks.go:
 * - the known registries are `Mock`, `Kubernetes` and `External` (pilot serviceregistry/provider
 *   IDs, compared case-sensitively), plus the cluster IDs of remote clusters: the data keys of
 *   Secrets labelled `istio/multiCluster: "true"`;
 * - the finding is on the mesh networks themselves, origin `MeshNetworks <istio namespace>/meshnetworks`,
 *   and names the registry and the network.
 * Unlike Istio, a remote-cluster Secret's `stringData` keys count as well as its `data` keys: the
 * API server merges them into `data`, so a Secret read from a file means the same as the applied one.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, labelsOf } from '../resource.js';

/** Registries every mesh has (Istio's provider IDs). */
const BUILT_IN_REGISTRIES = ['Mock', 'Kubernetes', 'External'];

/** Label marking a Secret that holds a remote cluster's kubeconfig (one key per cluster ID). */
const MULTICLUSTER_SECRET_LABEL = 'istio/multiCluster';

export const meshNetworksAnalyzer: Analyzer = {
  name: 'meshnetworks.MeshNetworksAnalyzer',
  description: 'Flags mesh networks endpoints that name an unknown service registry',
  inputs: [K.Secret],
  messages: [MESSAGES.UnknownMeshNetworksServiceRegistry],
  analyze(ctx) {
    const networks = Object.entries(asMap(ctx.meshNetworks.networks));
    if (networks.length === 0) return;
    const known = new Set(BUILT_IN_REGISTRIES);
    for (const secret of ctx.list(K.Secret)) {
      if (labelsOf(secret)[MULTICLUSTER_SECRET_LABEL] !== 'true') continue;
      for (const key of [...Object.keys(asMap(secret.object.data)), ...Object.keys(asMap(secret.object.stringData))]) known.add(key);
    }
    for (const [network, spec] of networks) {
      asList(field(spec, 'endpoints')).forEach((endpoint, i) => {
        const registry = field(endpoint, 'fromRegistry');
        if (typeof registry !== 'string' || known.has(registry)) return;
        ctx.report(MESSAGES.UnknownMeshNetworksServiceRegistry,
          { resource: ctx.meshNetworksResource, path: ['networks', network, 'endpoints', i, 'fromRegistry'] }, registry, network);
      });
    }
  },
};
