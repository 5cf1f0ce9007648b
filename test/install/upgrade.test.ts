// `meshctl upgrade`: the installer with version-skew warnings; plus the Kubernetes version warning
// and the spinner on a terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { meshctl } from './support.js';

// The API server is v1.35; the proxy in front of it answers /version as an older server would.
let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ version: { major: '1', minor: '30', gitVersion: 'v1.30.4' } });
});
afterAll(async () => {
  await cluster?.close();
});

describe('upgrade', () => {
  it('warns (and goes on) when Kubernetes is older than Istio 1.30 supports; says when nothing was installed', async () => {
    cluster.resetRequests();
    const r = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: Kubernetes v1.30.4 is older than what Istio 1.30.3 supports (1.32 or newer).');
    expect(r.stderr).toContain('Warning: no installation recorded for the default revision in namespace istio-system; upgrade will install Istio 1.30.3 fresh');
    expect(r.stderr).toContain('✔ Installation complete');
    expect(cluster.requests.some((q) => q.path === '/version')).toBe(true);
  });

  it('does not warn about the real server\'s own version (v1.35)', async () => {
    cluster.setVersion(undefined);
    try {
      const r = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y']);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('is older than what Istio');
      expect(r.stderr).toContain('nothing changed.');
    } finally {
      cluster.setVersion({ major: '1', minor: '30', gitVersion: 'v1.30.4' });
    }
  });

  it('warns when the upgrade skips a minor version, saying what to do instead', async () => {
    // as if 1.28.2 had been installed
    const edited = await cluster.rest.request('/api/v1/namespaces/istio-system/configmaps/meshctl-installed-state', {
      method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { istioVersion: '1.28.2' } },
    });
    expect(edited.status).toBe(200);
    const r = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: Istio is being upgraded from 1.28.2 to 1.30.3.');
    expect(r.stderr).toMatch(/Warning: upgrading from 1\.28\.2 to 1\.30\.3 skips 1 minor version: .* Upgrade to 1\.29 first/);
    // the record now says 1.30.3, so a second upgrade has nothing to warn about
    const again = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y']);
    expect(again.stderr).not.toMatch(/being upgraded|skips/);
  });

  /** Sets the image of a revision's istiod and, when given, its operator.istio.io/version label, as another installer would have left them. */
  async function istiod(name: string, image: string, versionLabel?: string): Promise<void> {
    const patched = await cluster.rest.request(`/apis/apps/v1/namespaces/istio-system/deployments/${name}`, {
      method: 'PATCH', contentType: 'application/strategic-merge-patch+json',
      body: {
        ...(versionLabel ? { metadata: { labels: { 'operator.istio.io/version': versionLabel } } } : {}),
        spec: { template: { spec: { containers: [{ name: 'discovery', image }] } } },
      },
    });
    expect(patched.status).toBe(200);
  }

  it('without an installed-state record, reads the installed version from istiod\'s image, else its operator.istio.io/version label', async () => {
    // An install meshctl has no record of (istioctl's, or a lost record) running 1.28.2.
    const record = '/api/v1/namespaces/istio-system/configmaps/meshctl-installed-state';
    expect((await cluster.rest.request(record, { method: 'DELETE' })).status).toBe(200);
    await istiod('istiod', 'docker.io/istio/pilot:1.28.2-distroless');
    const r = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('no installation recorded');
    expect(r.stderr).toContain('Warning: Istio is being upgraded from 1.28.2 to 1.30.3.');
    expect(r.stderr).toMatch(/Warning: upgrading from 1\.28\.2 to 1\.30\.3 skips 1 minor version: .*Upgrade to 1\.29 first, or make it a canary upgrade: .*meshctl install -r 1-30-3.*meshctl tag set <tag> -r 1-30-3 --overwrite.*kubectl label namespace <namespace> istio\.io\/rev=1-30-3 istio-injection- --overwrite.*meshctl uninstall -r default\)/);

    // A digest-only image has no version; the installer's label has.
    expect((await cluster.rest.request(record, { method: 'DELETE' })).status).toBe(200);
    await istiod('istiod', `docker.io/istio/pilot@sha256:${'0'.repeat(64)}`, '1.29.4');
    const labelled = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y']);
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.stderr).toContain('Warning: Istio is being upgraded from 1.29.4 to 1.30.3.');
    expect(labelled.stderr).not.toContain('skips');
  });

  it('install -r beside a revision at another version says it makes a canary upgrade, what Istio supports and the commands', async () => {
    await istiod('istiod', 'docker.io/istio/pilot:1.29.4');
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-r', 'canary', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: revision "canary" gets Istio 1.30.3 beside revision "default" at 1.29.4: a canary upgrade. '
      + 'Each proxy must stay within Istio\'s skew policy against the istiod that serves it (at most one minor version behind, never ahead); '
      + 'how many minor versions a canary upgrade may span is stated in https://istio.io/latest/docs/setup/upgrade/canary/. '
      + 'Move namespaces with meshctl tag set <tag> -r canary --overwrite or kubectl label namespace <namespace> istio.io/rev=canary --overwrite, '
      + 'restart their workloads, then remove the old control plane: meshctl uninstall -r default\n');
    expect(r.stderr).not.toContain('being upgraded');
    // The default revision's record says 1.30.3, which wins over its Deployment; the canary beside it runs the same version: no note.
    const back = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).not.toMatch(/being upgraded|beside revision/);
    const removed = await meshctl(cluster, ['uninstall', '-r', 'canary', '-y']);
    expect(removed.code, removed.stderr).toBe(0);
  });

  it('draws a spinner on a terminal and keeps the ✔ lines', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=minimal', '-y'], true);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\x1b\[/);
    expect(r.stderr).toContain('✔ Istio core installed ⛵️');
    expect(r.stderr).toContain('✔ Istiod installed 🧠');
    expect(r.stderr).toContain('Processing resources for Istio core.');
  });

  it('takes the install flags and rejects a bad duration as a usage error', async () => {
    const r = await meshctl(cluster, ['upgrade', '--set', 'profile=minimal', '-y', '--readiness-timeout', 'soon']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('invalid --readiness-timeout "soon"');
    const help = await meshctl(cluster, ['install', '--help']);
    expect(help.stdout).toMatch(/--readiness-timeout <duration>/);
    expect(help.stdout).not.toContain('--poll-interval');
    const alias = await meshctl(cluster, ['apply', '--set', 'profile=minimal', '--dry-run']);
    expect(alias.code).toBe(0);
  });
});
