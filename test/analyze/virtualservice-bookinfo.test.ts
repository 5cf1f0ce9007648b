/**
 * Bookinfo acceptance for the VirtualService and DestinationRule reference analyzers, on the
 * Istio 1.30.3 samples copied byte for byte under test/testdata/analyze/bookinfo/.
 *
 * What a faithful analysis gives, and why:
 * - bookinfo.yaml + bookinfo-gateway.yaml: nothing. The `bookinfo` VirtualService binds to
 *   `bookinfo-gateway`, which exists and serves `*` like the VirtualService; it routes to
 *   `productpage` port 9080, a Service with that one port; it is not bound to the mesh gateway.
 * - + destination-rule-all.yaml: every DestinationRule host is a Bookinfo Service (IST0174 none).
 *   Subsets select pods by their own labels only: upstream merges a subset's labels over a
 *   ServiceEntry's workloadSelector, and converts Kubernetes Services without their selector, so
 *   `app` plays no part, and pods of every namespace count. The workloads carry `version` v1
 *   (details, ratings, reviews, productpage), v2 and v3 (reviews). So productpage v1, reviews
 *   v1/v2/v3 and details v1 select their own pods; ratings v2 and details v2 select reviews-v2;
 *   ratings `v2-mysql` and `v2-mysql-vm` select nothing: IST0173 twice on DestinationRule
 *   default/ratings. (With the Service selector joined in, ratings v2 and details v2 would be
 *   reported too; that is not what Istio 1.30.3 does.)
 * - + each routing sample: every route names an existing subset of an existing host with one
 *   port, and no two mesh-bound VirtualServices share a host, so the two IST0173 remain.
 *   virtual-service-all-v1.yaml also splits `productpage` into subset v1 while the gateway-bound
 *   `bookinfo` VirtualService routes to `productpage` without a subset: IST0140 on it, as Istio
 *   1.30.3 reports (requests through the ingress gateway do not follow the subset routing).
 *   fault-injection-details-v1.yaml also redefines DestinationRule default/details with v1
 *   only; the later document replaces the earlier one, which changes nothing here.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/analyze/engine.js';
import { selectAnalyzers } from '../../src/analyze/registry.js';
import { ResourceStore } from '../../src/analyze/store.js';
import { loadFiles, profileIngressGateway } from '../../src/cli/analyze-impl.js';
import { run, testDeps } from '../helpers.js';
import { BOOKINFO_ROUTING, REFERENCE_ANALYZERS } from './grid-virtualservice.js';
import { analyzeTestFiles, analyzeTestdata } from './harness.js';

const APP = ['bookinfo/bookinfo.yaml', 'bookinfo/bookinfo-gateway.yaml'];
const SUBSETS = [...APP, 'bookinfo/destination-rule-all.yaml'];
const RATINGS = [
  'IST0173 DestinationRule default/ratings destination-rule-all.yaml:44 The Subset v2-mysql defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
  'IST0173 DestinationRule default/ratings destination-rule-all.yaml:47 The Subset v2-mysql-vm defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
];

/** virtual-service-all-v1.yaml routes productpage to subset v1; the gateway's route names no subset. */
const INGRESS_SUBSET = [
  'IST0140 VirtualService default/bookinfo bookinfo-gateway.yaml:41 Subset in virtual service default/productpage has no effect on ingress gateway default/bookinfo requests',
];

async function findings(files: readonly string[], analyzers: readonly string[] = REFERENCE_ANALYZERS): Promise<string[]> {
  const result = await analyzeTestFiles(files, analyzers);
  expect(result.problems).toEqual([]);
  return result.findings.map((f) => `${f.type.code} ${f.resource!.kind} ${f.resource!.namespace}/${f.resource!.name} `
    + `${f.position!.file.split('/').pop()}:${f.position!.line} ${f.message}`);
}

describe('Bookinfo and the reference analyzers', () => {
  it('finds nothing in the application and its gateway', async () => {
    expect(await findings(APP)).toEqual([]);
  });

  it('finds the two ratings subsets no workload carries', async () => {
    expect(await findings(SUBSETS)).toEqual(RATINGS);
  });

  for (const sample of BOOKINFO_ROUTING) {
    const more = sample.endsWith('virtual-service-all-v1.yaml') ? INGRESS_SUBSET : [];
    it(`finds ${more.length ? 'IST0140 besides' : 'nothing more'} with ${sample.split('/').pop()}`, async () => {
      expect(await findings([...SUBSETS, sample])).toEqual([...RATINGS, ...more]);
    });
  }

  it('counts pods by subset labels alone: without reviews-v2, every v2 subset selects nothing', async () => {
    const { deps } = testDeps();
    const loaded = await loadFiles(deps, SUBSETS.map((f) => join(analyzeTestdata, f)), 'default');
    const resources = loaded.resources.filter((r) => r.name !== 'reviews-v2');
    const synthetic = await profileIngressGateway(deps, resources);
    const result = runAnalysis(new ResourceStore([...resources, ...synthetic], true), {
      analyzers: selectAnalyzers(['destinationrule.SubsetSelectPodAnalyzer']).analyzers, istioNamespace: 'istio-system',
    });
    expect(result.findings.map((f) => `${f.resource!.name} ${/The Subset (\S+)/.exec(f.message)![1]}`).sort()).toEqual([
      'details v2', 'ratings v2', 'ratings v2-mysql', 'ratings v2-mysql-vm', 'reviews v2',
    ]);
  });

  it('fails `meshctl analyze` on the unselected subsets', async () => {
    const files = [...SUBSETS, BOOKINFO_ROUTING[1]!].map((f) => join(analyzeTestdata, f));
    const r = await run(['analyze', '--analyzer', 'virtualservice', '--analyzer', 'destinationrule', ...files]);
    expect(r.code).toBe(79);
    expect(r.stdout.trimEnd().split('\n').map((l) => l.replace(/\(DestinationRule default\/ratings .*\/bookinfo\//, '(DestinationRule default/ratings '))).toEqual([
      'Error [IST0173] (DestinationRule default/ratings destination-rule-all.yaml:44:7) The Subset v2-mysql defined in the DestinationRule '
        + 'does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
      'Error [IST0173] (DestinationRule default/ratings destination-rule-all.yaml:47:7) The Subset v2-mysql-vm defined in the DestinationRule '
        + 'does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
    ]);
  });
});
