// How the installer tells an apply that changed nothing on a real cluster, where other field
// managers (istiod, the deployment controller) write to installed objects after install; and which
// API server answers are worth another attempt.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/manifest/objects.js';
import { classifyApply, fingerprint } from '../../src/kube/install.js';
import { isRetryableStatus } from '../../src/kube/client.js';
import { applyEntry, projectFields } from '../../src/kube/managed-fields.js';

/** A webhook configuration as the API server returns it after meshctl's apply (and istiod's caBundle write when `caBundle` is given). */
function webhook(opts: { caBundle?: string; path?: string; time?: string } = {}): K8sObject {
  const managedFields: unknown[] = [{
    manager: 'meshctl', operation: 'Apply', apiVersion: 'admissionregistration.k8s.io/v1', time: opts.time ?? '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:webhooks': { 'k:{"name":"a.istio.io"}': { '.': {}, 'f:clientConfig': { 'f:service': { 'f:name': {}, 'f:path': {} } }, 'f:name': {}, 'f:rules': {} } },
    },
  }];
  if (opts.caBundle) {
    managedFields.push({
      manager: 'pilot-discovery', operation: 'Update', apiVersion: 'admissionregistration.k8s.io/v1', time: '2026-01-01T00:00:01Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:webhooks': { 'k:{"name":"a.istio.io"}': { 'f:clientConfig': { 'f:caBundle': {} } } } },
    });
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'w', resourceVersion: opts.caBundle ? '8' : '7', generation: opts.caBundle ? 2 : 1, labels: { app: 'sidecar-injector' }, managedFields },
    webhooks: [{
      name: 'a.istio.io',
      clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: opts.path ?? '/inject', port: 443 }, ...(opts.caBundle ? { caBundle: opts.caBundle } : {}) },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      sideEffects: 'None', timeoutSeconds: 10,
    }],
  } as unknown as K8sObject;
}

describe('fingerprint and classifyApply with managed fields', () => {
  it('a no-op apply after istiod wrote its caBundle (resourceVersion moved) is unchanged', () => {
    const installed = webhook();
    const now = webhook({ caBundle: 'Q0E=' });
    expect(fingerprint(now)).toBe(fingerprint(installed));
    expect(classifyApply(now, { fingerprint: fingerprint(installed) })).toBe('unchanged');
  });
  it('ignores server defaults meshctl does not own (port, timeoutSeconds, sideEffects)', () => {
    const a = webhook();
    const b = structuredClone(a) as any;
    b.webhooks[0].timeoutSeconds = 30;
    b.webhooks[0].clientConfig.service.port = 8443;
    expect(fingerprint(b)).toBe(fingerprint(a));
  });
  it('a field meshctl owns with another value is configured', () => {
    const installed = webhook();
    expect(classifyApply(webhook({ path: '/inject/v2', time: '2026-01-01T00:00:05Z' }), { fingerprint: fingerprint(installed) })).toBe('configured');
    // the value alone decides, even when the server kept the entry's time (changes within one second)
    expect(fingerprint(webhook({ path: '/inject/v2' }))).not.toBe(fingerprint(installed));
  });
  it('the same values with a newer meshctl entry (the apply took a field back from another manager) are configured', () => {
    expect(classifyApply(webhook({ time: '2026-01-01T00:01:00Z' }), { fingerprint: fingerprint(webhook()) })).toBe('configured');
  });
  it('an owned field that is gone counts as a change', () => {
    const a = webhook();
    const b = structuredClone(a) as any;
    delete b.metadata.labels.app;
    expect(fingerprint(b)).not.toBe(fingerprint(a));
  });
  it('takes the server\'s answer: 201 is created, even over a record', () => {
    expect(classifyApply(webhook(), { fingerprint: fingerprint(webhook()) }, { created: true })).toBe('created');
    expect(classifyApply(webhook(), undefined, { created: true })).toBe('created');
  });
  it('without a record, compares the resourceVersion read before the apply with the answer\'s', () => {
    const answer = { ...webhook(), metadata: { ...webhook().metadata, resourceVersion: '41' } };
    expect(classifyApply(answer, undefined, { created: false, resourceVersionBefore: '41' })).toBe('unchanged');
    expect(classifyApply(answer, undefined, { created: false, resourceVersionBefore: '40' })).toBe('configured');
    // existed, but nothing was read before: it was not created by this apply
    expect(classifyApply(answer, undefined, { created: false })).toBe('configured');
  });
  it('honours the resourceVersion of a record written by an earlier release', () => {
    expect(classifyApply(webhook(), { resourceVersion: '7', fingerprint: 'from-an-older-digest' })).toBe('unchanged');
  });
});

describe('projectFields', () => {
  const obj = {
    metadata: { labels: { a: '1', b: '2' } },
    spec: {
      containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }, { name: 'd', image: 'i:2' }],
      finalizers: ['x', 'y'],
      args: ['--one', '--two'],
      selector: { matchLabels: { app: 'x' } },
    },
  };
  it('takes map fields, keyed list elements, set members and indexed elements; leaves whole values', () => {
    const fields = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } },
        'f:finalizers': { 'v:"y"': {} },
        'f:args': { 'i:1': {} },
        'f:selector': {},
      },
    };
    expect(projectFields(obj as any, fields)).toEqual({
      'f:metadata': { 'f:labels': { 'f:a': '1' } },
      'f:spec': {
        'f:containers': { 'k:{"name":"c"}': { 'f:image': 'i:1', 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { 'f:containerPort': 80 } } } },
        'f:finalizers': { 'v:"y"': true },
        'f:args': { 'i:1': '--two' },
        'f:selector': { matchLabels: { app: 'x' } },
      },
    });
  });
  it('gives null for fields the set names and the object lacks, false for a missing set member', () => {
    expect(projectFields(obj as any, { 'f:spec': { 'f:containers': { 'k:{"name":"z"}': { 'f:image': {} } }, 'f:finalizers': { 'v:"q"': {} } }, 'f:nope': {} })).toEqual({
      'f:spec': { 'f:containers': { 'k:{"name":"z"}': { 'f:image': null } }, 'f:finalizers': { 'v:"q"': false } },
      'f:nope': null,
    });
  });
  it('finds only meshctl\'s own Apply entry of the main resource', () => {
    const o = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'x', managedFields: [
        { manager: 'meshctl', operation: 'Update', fieldsV1: {} },
        { manager: 'meshctl', operation: 'Apply', subresource: 'status', fieldsV1: {} },
        { manager: 'kubectl', operation: 'Apply', fieldsV1: {} },
        { manager: 'meshctl', operation: 'Apply', fieldsV1: { 'f:data': {} } },
      ] },
    } as unknown as K8sObject;
    expect(applyEntry(o, 'meshctl')?.fieldsV1).toEqual({ 'f:data': {} });
    expect(applyEntry({ ...o, metadata: { name: 'x' } }, 'meshctl')).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  const status = (code: number, message: string) => JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'InternalError', message, code });
  it('retries throttling and transient server failures', () => {
    expect(isRetryableStatus(429, status(429, 'too many requests'))).toBe(true);
    expect(isRetryableStatus(500, status(500, 'Internal error occurred: etcdserver: request timed out'))).toBe(true);
    expect(isRetryableStatus(503, '')).toBe(true);
  });
  it('does not retry what another attempt cannot change', () => {
    // what kube-apiserver answers a server-side apply of `cpu: lots`
    expect(isRetryableStatus(500, status(500, 'failed to convert new object (istio-system/istiod; apps/v1, Kind=Deployment) to proper version: unable to convert unstructured object to apps/v1, Kind=Deployment: quantities must match the regular expression'))).toBe(false);
    expect(isRetryableStatus(422, status(422, 'invalid'))).toBe(false);
    expect(isRetryableStatus(404, '')).toBe(false);
  });
});
