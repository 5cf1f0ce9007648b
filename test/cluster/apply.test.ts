/** Field ownership of the test server (apply.ts) without HTTP: sets, FieldsV1, merge and removal rules. */
import { describe, expect, it } from 'vitest';
import { fieldSetOf, fromFieldsV1, pathString, recordUpdate, serverSideApply, toFieldsV1, trackedContent } from './apply.js';
import type { KObject } from './types.js';

const NOW = '2025-01-01T00:00:00Z';

function pod(containers: unknown[], extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers, ...extra } };
}

function applyAs(manager: string, config: KObject, live?: KObject, force = false): KObject {
  return serverSideApply({ live, config, manager, force, apiVersion: config.apiVersion, now: NOW, ignoreStatus: true });
}

describe('field sets', () => {
  it('keys named lists by name, ports by port and protocol, and keeps other lists atomic', () => {
    const obj = pod([{ name: 'a', image: 'x', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }], args: ['--x'] }],
      { tolerations: [{ key: 'k', operator: 'Exists' }] });
    const tree = toFieldsV1(fieldSetOf(trackedContent(obj, false)));
    expect(tree).toEqual({
      'f:spec': {
        'f:containers': {
          'k:{"name":"a"}': {
            '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {},
            'f:ports': {
              'k:{"containerPort":53,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
            },
          },
        },
        'f:tolerations': {},
      },
    });
    expect(fromFieldsV1(tree)).toEqual(fieldSetOf(trackedContent(obj, false)));
  });

  it('leaves identity and server-owned metadata out', () => {
    const set = fieldSetOf(trackedContent({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y', uid: 'u', resourceVersion: '1', labels: { a: 'b' } } }, false));
    expect([...set]).toEqual([JSON.stringify(['f:metadata', 'f:labels', 'f:a'])]);
  });

  it('prints paths as conflict messages do', () => {
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image'])).toBe('.spec.containers[name="a"].image');
    expect(pathString(['f:ports', 'k:{"port":80,"protocol":"TCP"}'])).toBe('.ports[port=80,protocol="TCP"]');
  });
});

describe('serverSideApply', () => {
  it('merges keyed list items owned by different managers', () => {
    const first = applyAs('a', pod([{ name: 'app', image: 'app:1' }]));
    const both = applyAs('b', pod([{ name: 'proxy', image: 'proxy:1' }]), first);
    expect((both.spec as any).containers.map((c: any) => c.name)).toEqual(['app', 'proxy']);
    // b stops applying its container: it goes, a's stays.
    const back = applyAs('b', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }, both);
    expect((back.spec as any).containers).toEqual([{ name: 'app', image: 'app:1' }]);
  });

  it('replaces atomic lists as a whole and reports them as one conflicting field', () => {
    const first = applyAs('a', pod([{ name: 'app', image: 'i', args: ['1', '2'] }]));
    expect(() => applyAs('b', pod([{ name: 'app', image: 'i', args: ['3'] }]), first)).toThrow(/conflict with "a": \.spec\.containers\[name="app"\]\.args$/);
    const forced = applyAs('b', pod([{ name: 'app', image: 'i', args: ['3'] }]), first, true);
    expect((forced.spec as any).containers[0].args).toEqual(['3']);
  });

  it('keeps an emptied map that a manager applies explicitly', () => {
    const live = applyAs('a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd', labels: { x: '1' } }, data: {} });
    expect(live.data).toEqual({});
    const after = applyAs('a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: {} }, live);
    expect(after.metadata.labels).toBeUndefined();
    expect(after.data).toEqual({});
  });
});

describe('recordUpdate', () => {
  it('moves changed fields to the updating manager and drops removed ones everywhere', () => {
    const applied = applyAs('a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { x: '1', y: '2' } });
    const next = structuredClone(applied);
    next.data = { x: 'changed' };
    const updated = recordUpdate({ live: applied, next, manager: 'editor', apiVersion: 'v1', now: NOW });
    // a owned x (now the editor's) and y (gone): its entry is empty and dropped.
    expect(updated.metadata.managedFields).toEqual([
      { manager: 'editor', operation: 'Update', apiVersion: 'v1', time: NOW, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:x': {} } } },
    ]);
  });
});
