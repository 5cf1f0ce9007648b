/**
 * A user's own `istio-proxy` container customizes the injected one (Istio 1.30.3
 * reapplyOverwrittenContainers, adjustInitContainerUser): with native sidecars it is merged into
 * the sidecar in initContainers, recorded in proxy.istio.io/overrides, and its runAsUser reaches
 * the traffic setup.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { injectFile, uninjectFile } from '../../src/inject/documents.js';
import { defaultInjector } from './injector.js';

const input = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: example/web:1
      - name: istio-proxy
        image: auto
        args:
        - -c
        - my-config.yaml
        resources:
          limits:
            cpu: 3000m
        securityContext:
          runAsUser: 1234
          runAsGroup: 4321
`;

type Obj = Record<string, any>;
const template = (text: string): Obj => (parse(text) as Obj).spec.template;
const named = (list: Obj[] | undefined, name: string): Obj[] => (list ?? []).filter((c) => c.name === name);

describe('a user-supplied istio-proxy container', () => {
  it('customizes the native sidecar in initContainers', async () => {
    const out = injectFile(await defaultInjector([], true), input, 'web.yaml').output;
    const t = template(out);
    expect(named(t.spec.containers, 'istio-proxy')).toEqual([]);
    const proxy = named(t.spec.initContainers, 'istio-proxy')[0]!;
    expect(proxy.restartPolicy).toBe('Always');
    expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(proxy.args).toEqual(['-c', 'my-config.yaml']);
    expect(proxy.resources.limits.cpu).toBe('3');
    expect(proxy.securityContext).toMatchObject({ runAsUser: 1234, runAsGroup: 4321, runAsNonRoot: true });
    const init = named(t.spec.initContainers, 'istio-init')[0]!;
    expect(init.args[init.args.indexOf('-u') + 1]).toBe('1234');
    expect(JSON.parse(t.metadata.annotations['proxy.istio.io/overrides'])).toEqual({
      initContainers: [{ name: 'istio-proxy', args: ['-c', 'my-config.yaml'], resources: { limits: { cpu: '3' } }, securityContext: { runAsUser: 1234, runAsGroup: 4321 } }],
    });
    // The record holds the container as istiod writes it (canonical quantities), and so does uninject.
    expect(uninjectFile(out, 'web.yaml').output).toBe(input.replace('3000m', '"3"'));
  });

  it('customizes the classic sidecar in containers', async () => {
    const out = injectFile(await defaultInjector(), input, 'web.yaml').output;
    const t = template(out);
    expect(named(t.spec.initContainers, 'istio-proxy')).toEqual([]);
    const proxy = named(t.spec.containers, 'istio-proxy')[0]!;
    expect(proxy.args).toEqual(['-c', 'my-config.yaml']);
    expect(t.spec.containers.map((c: Obj) => c.name)).toEqual(['web', 'istio-proxy']);
    expect(Object.keys(JSON.parse(t.metadata.annotations['proxy.istio.io/overrides']))).toEqual(['containers']);
    expect(uninjectFile(out, 'web.yaml').output).toBe(input.replace('3000m', '"3"'));
  });

  it('leaves istio-init running as root in TPROXY mode, with the proxy at uid 0', async () => {
    const tproxy = input.replace('      labels:\n        app: web', '      annotations:\n        sidecar.istio.io/interceptionMode: TPROXY\n      labels:\n        app: web');
    const t = template(injectFile(await defaultInjector([], true), tproxy, 'web.yaml').output);
    const proxy = named(t.spec.initContainers, 'istio-proxy')[0]!;
    expect(proxy.securityContext.runAsUser).toBe(0);
    const init = named(t.spec.initContainers, 'istio-init')[0]!;
    expect(init.args[init.args.indexOf('-u') + 1]).toBe('1234');
    expect(init.securityContext.runAsUser).toBe(0);
  });
});
