/** OpenShift specifics of injection (Istio 1.30.3 pkg/kube/inject/openshift.go and webhook.go). */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { injectFile } from '../../src/inject/documents.js';
import {
  SUPPLEMENTAL_GROUPS_ANNOTATION, UID_RANGE_ANNOTATION, parseIdBlock, proxyIdsForNamespace, withoutSidecarUserMatchingApp,
} from '../../src/inject/openshift.js';
import { createInjector } from '../../src/inject/pod.js';
import type { JsonObject } from '../../src/manifest/objects.js';
import { defaultInjector } from './injector.js';

describe('OpenShift id blocks', () => {
  it('reads start/size and start-end as Go\'s Sscanf does', () => {
    expect(parseIdBlock('1000620000/10000')).toEqual({ start: 1000620000, end: 1000629999 });
    expect(parseIdBlock('100-200')).toEqual({ start: 100, end: 200 });
    expect(parseIdBlock(' 5/ 2trailing')).toEqual({ start: 5, end: 6 });
    expect(parseIdBlock('0/0')).toEqual({ start: 0, end: 4294967295 });
    expect(parseIdBlock('abc')).toBeUndefined();
    expect(parseIdBlock('1/x')).toBeUndefined();
    expect(parseIdBlock('4294967296/1')).toBeUndefined();
  });

  it('gives the proxy the last uid of the range and the last gid of the first group block, 1337 otherwise', () => {
    expect(proxyIdsForNamespace(undefined)).toEqual({ uid: 1337, gid: 1337 });
    expect(proxyIdsForNamespace({ [UID_RANGE_ANNOTATION]: '1000620000/10000' })).toEqual({ uid: 1000629999, gid: 1000629999 });
    expect(proxyIdsForNamespace({ [UID_RANGE_ANNOTATION]: '1000620000/10000', [SUPPLEMENTAL_GROUPS_ANNOTATION]: '5000/10,6000/10' })).toEqual({ uid: 1000629999, gid: 5009 });
    expect(proxyIdsForNamespace({ [UID_RANGE_ANNOTATION]: '1000620000/10000', [SUPPLEMENTAL_GROUPS_ANNOTATION]: '5000/10,bad' })).toEqual({ uid: 1000629999, gid: 1337 });
    expect(proxyIdsForNamespace({ [UID_RANGE_ANNOTATION]: '', [SUPPLEMENTAL_GROUPS_ANNOTATION]: '7-9' })).toEqual({ uid: 1337, gid: 9 });
  });

  it('drops the user proxy\'s runAsUser and runAsGroup only when they equal the application\'s', () => {
    const spec: JsonObject = {
      containers: [
        { name: 'app', securityContext: { runAsUser: 1000620000 } },
        { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1000620000, runAsGroup: 5, readOnlyRootFilesystem: false } },
      ],
    };
    expect(withoutSidecarUserMatchingApp(spec).containers).toEqual([
      { name: 'app', securityContext: { runAsUser: 1000620000 } },
      { name: 'istio-proxy', image: 'auto', securityContext: { readOnlyRootFilesystem: false } },
    ]);
    const other: JsonObject = { containers: [{ name: 'app', securityContext: { runAsUser: 1000620000 } }, { name: 'istio-proxy', securityContext: { runAsUser: 7 } }] };
    expect(withoutSidecarUserMatchingApp(other)).toBe(other);
    const noContext: JsonObject = { containers: [{ name: 'app' }, { name: 'istio-proxy' }] };
    expect(withoutSidecarUserMatchingApp(noContext)).toBe(noContext);
  });
});

describe('injection on OpenShift', () => {
  const input = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
  - name: web
    image: example/web:1
`;

  it('runs the proxy with the namespace\'s ids when the platform is openshift and the Namespace is known', async () => {
    const base = await defaultInjector(['values.global.platform=openshift'], true);
    const injector = createInjector(base.config, { nativeSidecars: true, namespaces: new Map([['shop', { [UID_RANGE_ANNOTATION]: '1000620000/10000' }]]) });
    const pod = parse(injectFile(injector, input, 'web.yaml').output);
    const proxy = pod.spec.initContainers.find((c: { name: string }) => c.name === 'istio-proxy');
    expect(proxy.securityContext).toMatchObject({ runAsUser: 1000629999, runAsGroup: 1000629999 });
    const init = pod.spec.initContainers.find((c: { name: string }) => c.name === 'istio-init');
    expect(init.args[init.args.indexOf('-u') + 1]).toBe('1000629999');
  });

  it('keeps 1337 elsewhere, whatever the Namespaces say', async () => {
    const base = await defaultInjector([], true);
    const injector = createInjector(base.config, { nativeSidecars: true, namespaces: new Map([['shop', { [UID_RANGE_ANNOTATION]: '1000620000/10000' }]]) });
    const pod = parse(injectFile(injector, input, 'web.yaml').output);
    const proxy = pod.spec.initContainers.find((c: { name: string }) => c.name === 'istio-proxy');
    expect(proxy.securityContext).toMatchObject({ runAsUser: 1337, runAsGroup: 1337 });
  });
});
