/**
 * The default profile's ingress gateway, which file-mode `analyze` assumes present as istioctl does.
 * Rendering it takes the whole renderer (and the IstioOperator validator); its objects depend on the
 * packaged data only, so the build writes them to `dist/ingress-gateway.json` with this function and
 * the built CLI reads that instead (src/cli/assets.ts, loadDefaultIngressGateway).
 */
import type { K8sObject } from '../manifest/objects.js';
import { resolveConfiguration, type RenderAssets } from '../render/config.js';
import { renderManifests } from '../render/render.js';

/** Returns the objects of the IngressGateways component of the default profile without user input, in install order. */
export function renderDefaultIngressGateway(assets: RenderAssets): K8sObject[] {
  const config = resolveConfiguration(assets, { files: [], sets: [] });
  return renderManifests(config, assets).objects
    .filter((o) => o.component === 'IngressGateways').map((o) => o.object as K8sObject);
}
