/**
 * The strategic merge kube-inject applies templates with. Every expectation here is what
 * k8s.io/apimachinery v0.35.3 strategicpatch.StrategicMergePatch gives for the same input with the
 * Pod's patch metadata (checked with a Go program over these inputs).
 */
import { describe, expect, it } from 'vitest';
import { strategicMerge } from '../../src/inject/merge.js';

const names = (list: unknown) => (list as { name: string }[]).map((x) => x.name);

describe('strategic merge as Kubernetes orders keyed lists', () => {
  it('puts new patch items before the items only the original has', () => {
    const out = strategicMerge({ volumes: [{ name: 'data', hostPath: { path: '/d' } }] }, { volumes: [{ name: 'a' }, { name: 'b', emptyDir: {} }] });
    expect(out.volumes).toEqual([{ name: 'a' }, { name: 'b', emptyDir: {} }, { name: 'data', hostPath: { path: '/d' } }]);
  });

  it('keeps an original item before a patch item it preceded in the original, and merges matches in place of the patch', () => {
    const original = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }] };
    const out = strategicMerge(original, { env: [{ name: 'C', value: 'x' }, { name: 'N', value: 'n' }, { name: 'A', value: 'y' }] });
    // Kubernetes: patch order C, N, A; B (original only) goes before C, which it preceded.
    expect(out.env).toEqual([{ name: 'B', value: '2' }, { name: 'C', value: 'x' }, { name: 'N', value: 'n' }, { name: 'A', value: 'y' }]);
  });

  it('merges matched items field by field, null deleting a field', () => {
    const out = strategicMerge(
      { containers: [{ name: 'p', image: 'i', args: ['a'], securityContext: { runAsUser: 1, runAsGroup: 2 } }] },
      { containers: [{ name: 'p', args: ['b'], securityContext: { runAsUser: 3, runAsGroup: null } }] },
    );
    expect(out.containers).toEqual([{ name: 'p', image: 'i', args: ['b'], securityContext: { runAsUser: 3 } }]);
  });

  it('replaces lists without a merge strategy, unites merged scalar lists', () => {
    const out = strategicMerge(
      { containers: [{ name: 'p', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }], metadata: { finalizers: ['a', 'b'] } },
      { containers: [{ name: 'p', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }], metadata: { finalizers: ['b', 'c'] } },
    );
    expect((out.containers as { resizePolicy: unknown }[])[0]!.resizePolicy).toEqual([{ resourceName: 'memory', restartPolicy: 'RestartContainer' }]);
    expect((out.metadata as { finalizers: string[] }).finalizers).toEqual(['a', 'b', 'c']);
  });

  it('honours $patch: replace and delete on maps and list items', () => {
    const out = strategicMerge(
      { metadata: { labels: { key: 'value' } }, spec: { volumes: [{ name: 'a' }, { name: 'b' }] } },
      { metadata: { labels: { $patch: 'replace', foo: 'bar' } }, spec: { volumes: [{ name: 'a', $patch: 'delete' }, { name: 'c' }] } },
    );
    expect(out.metadata).toEqual({ labels: { foo: 'bar' } });
    expect(names((out.spec as { volumes: unknown }).volumes)).toEqual(['c', 'b']);
    const replaced = strategicMerge({ volumes: [{ name: 'a' }] }, { volumes: [{ $patch: 'replace' }, { name: 'z' }] });
    expect(replaced.volumes).toEqual([{ name: 'z' }]);
  });

  it('does not modify its arguments', () => {
    const original = { volumes: [{ name: 'a' }] };
    const patch = { volumes: [{ name: 'b' }] };
    strategicMerge(original, patch);
    expect(original).toEqual({ volumes: [{ name: 'a' }] });
    expect(patch).toEqual({ volumes: [{ name: 'b' }] });
  });
});
