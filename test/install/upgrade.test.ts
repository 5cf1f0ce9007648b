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
