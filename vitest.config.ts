// Two projects: the unit tests run in parallel; the cluster tests each start a real control plane
// (test/control-plane/: etcd, kube-apiserver, controllers, kwok), so their files run one at a time
// to keep two cores from being shared by several API servers.
import { configDefaults, defineConfig } from 'vitest/config';

/** Test files that start a control plane. */
export const CLUSTER_TESTS = [
  'test/control-plane/**/*.cluster.test.ts',
  'test/install/{install,faults,prune,dry-run,upgrade,failure,ambient,stable,gke,profiles}.test.ts',
  'test/live/{analyze,kube-inject,version}.test.ts',
  'test/kube/client.test.ts',
  'test/e2e/*.test.ts',
  'test/uninstall/uninstall.test.ts',
  'test/verify-install/verify-install.test.ts',
  'test/precheck/precheck.test.ts',
  'test/tag/tag.test.ts',
  'test/waypoint/waypoint.test.ts',
];

export default defineConfig({
  test: {
    // Golden files are written only on request: without -u a missing or different file snapshot
    // fails, whether CI is set or not (vitest's default writes missing ones outside CI). `-u` on the
    // command line still sets update: true and rewrites them.
    update: 'none',
    projects: [
      {
        extends: true,
        // The cluster project's API servers share the two cores: generous timeouts keep CPU-bound
        // tests (property runs, Go builds) from failing on a busy machine. They are not assertions.
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...CLUSTER_TESTS], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_TESTS,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
