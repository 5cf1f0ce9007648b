/**
 * The values each chart renders with (src/render/chart-values.ts): what istioctl 1.30.3 hands a chart
 * (operator/pkg/render/manifest.go) and what the chart's zzz_profile.yaml / zzy_descope_legacy.yaml make of it.
 * Expected trees were checked against istioctl's values rendered with the charts' own templates.
 */
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { chartOverlay, chartValues, overlayUnder, type ChartId } from '../../src/render/chart-values.js';
import { ConfigValueError } from '../../src/errors.js';
import { testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function values(chart: ChartId, sets: string[]) {
  const config = resolveConfiguration(assets, { sets });
  return chartValues(assets.charts, chart, { profile: config.profile, userSpec: config.userSpec, spec: config.spec, revision: config.revision });
}

const GLOBAL = { configValidation: true, hub: 'docker.io/istio', istioNamespace: 'istio-system', tag: '1.30.3' };

describe('what istioctl hands a chart', () => {
  it('istio-cni: the whole values tree, with the profile name, pilot.cni.enabled following the cni component and its hub under cni', () => {
    const { original } = values('istio-cni', ['profile=ambient', 'components.cni.hub=c.io']);
    expect(original).toStrictEqual({
      defaultRevision: '', global: GLOBAL, gateways: { 'istio-egressgateway': {}, 'istio-ingressgateway': {} },
      pilot: { cni: { enabled: true }, enabled: true }, profile: 'ambient', ztunnel: { resourceName: 'ztunnel' }, cni: { hub: 'c.io' },
    });
  });

  it('ztunnel: flattened to global, the top-level scalars and the ztunnel subtree (maps such as meshConfig stay behind)', () => {
    const { original } = values('ztunnel', ['profile=ambient', 'components.ztunnel.hub=x.io', 'components.ztunnel.tag=9', 'revision=canary', 'values.ztunnel.logLevel=debug', 'meshConfig.trustDomain=td']);
    expect(original).toStrictEqual({
      defaultRevision: '', global: GLOBAL, hub: 'x.io', logLevel: 'debug', profile: 'ambient', resourceName: 'ztunnel', revision: 'canary', tag: '9',
    });
  });

  it('the openshift profiles carry the platform in global, openshift-ambient the ambient chart profile too', () => {
    expect(values('base', ['profile=openshift']).original.global).toStrictEqual({ ...GLOBAL, platform: 'openshift' });
    expect(values('istio-discovery', ['profile=openshift-ambient']).original).toMatchObject({ profile: 'ambient', global: { platform: 'openshift' } });
    expect(values('base', ['profile=preview']).original.profile).toBe('preview');
    expect(values('base', ['profile=stable']).original.profile).toBe('stable');
  });
});

describe('what the chart makes of it', () => {
  it('ztunnel flattens global and the platform overlay onto its top level (openshift: spc_t, ztunnel trusted in kube-system)', () => {
    const { merged } = values('ztunnel', ['profile=ambient', 'values.global.platform=openshift', 'values.global.logAsJson=true']);
    expect(merged).toMatchObject({
      hub: 'docker.io/istio', tag: '1.30.3', variant: 'distroless', image: 'ztunnel', logAsJson: true, platform: 'openshift',
      seLinuxOptions: { type: 'spc_t' }, trustedZtunnelNamespace: 'kube-system', resourceName: 'ztunnel',
    });
  });

  it('istio-cni merges cni onto its top level after the overlays (openshift paths, the component hub, ambient on)', () => {
    const { merged } = values('istio-cni', ['profile=openshift-ambient', 'components.cni.hub=c.io']);
    expect(merged).toMatchObject({
      hub: 'c.io', cniBinDir: '/var/lib/cni/bin', cniConfDir: '/etc/cni/multus/net.d', cniConfFileName: 'istio-cni.conf', chained: false, provider: 'multus',
      ambient: { enabled: true },
    });
  });

  it("the user's values win over the profile overlay", () => {
    expect(values('istio-discovery', ['profile=ambient', 'values.pilot.env.PILOT_ENABLE_AMBIENT=false']).merged.env).toMatchObject({ PILOT_ENABLE_AMBIENT: 'false' });
    expect(values('istio-discovery', ['profile=ambient', 'values.global.variant=debug']).merged.global).toMatchObject({ variant: 'debug' });
  });

  it('applies profile, then compatibility version, then platform', () => {
    const overlay = chartOverlay(assets.charts, { profile: 'ambient', compatibilityVersion: '1.25', global: { platform: 'k3s' } });
    expect(overlay.cni).toStrictEqual({
      ambient: { enabled: true, reconcileIptablesOnStartup: false }, cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni',
    });
    expect(overlay.ambient).toStrictEqual({ shareHostNetworkNamespace: true });
  });

  it('refuses an unknown chart profile, compatibility version or platform with the path that holds it', () => {
    const refused = (values: object) => {
      try {
        chartOverlay(assets.charts, values as never);
      } catch (err) {
        return err instanceof ConfigValueError ? { message: err.message, path: err.path } : err;
      }
      return undefined;
    };
    expect(refused({ global: { profile: 'prod' } })).toStrictEqual({
      message: 'unknown chart profile "prod" in values.global.profile (known: ambient, demo, preview, remote, stable)', path: ['values', 'global', 'profile'],
    });
    expect(refused({ compatibilityVersion: '1.24' })).toMatchObject({ path: ['compatibilityVersion'] });
    expect(refused({ platform: 'eks' })).toMatchObject({ path: ['values', 'platform'] });
  });
});

describe('overlayUnder', () => {
  it("slips an overlay under the values istioctl was given, over the chart's defaults", () => {
    const defaultsAndUser = { global: { variant: '', hub: 'h' }, meshConfig: { a: 1 } };
    const overlay = { global: { variant: 'distroless', hub: 'o' }, meshConfig: { b: 2 } };
    expect(overlayUnder(defaultsAndUser, overlay, { global: { hub: 'h' } })).toStrictEqual({ global: { variant: 'distroless', hub: 'h' }, meshConfig: { a: 1, b: 2 } });
  });
});
