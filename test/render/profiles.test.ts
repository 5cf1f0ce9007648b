import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { toYamlStream } from '../../src/manifest/serialize.js';
import { writtenCrdSchemas } from '../../src/render/crds.js';
import type { JsonObject, K8sObject } from '../../src/manifest/objects.js';
import { testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function render(request: ConfigRequest): K8sObject[] {
  return renderManifests(resolveConfiguration(assets, request), assets).objects.map((o) => o.object);
}

function find(objects: K8sObject[], kind: string, name: string): JsonObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o as unknown as JsonObject;
}

// What each profile renders is compared with istioctl 1.30.3's own output, object by object and in order, by
// test/conformance/render.test.ts; the tests here cover meshctl's own guarantees and the flags.

describe.each(['default', 'demo', 'minimal', 'remote', 'empty'])('profile %s', (profile) => {
  it('is deterministic', () => {
    const once = toYamlStream(render({ sets: [`profile=${profile}`] }));
    expect(toYamlStream(render({ sets: [`profile=${profile}`] }))).toBe(once);
  });
});

describe('the values ConfigMap', () => {
  const values = (objects: K8sObject[], name = 'values') => {
    const data = (find(objects, 'ConfigMap', name) as any).data;
    return { original: JSON.parse(data['original-values']), merged: JSON.parse(data['merged-values']) };
  };

  it("records the user's values as istioctl hands them to the chart, and the chart's merge with pilot values also on top", () => {
    const { original, merged } = values(render({ sets: ['values.pilot.traceSampling=7', 'values.global.logAsJson=true', 'hub=gcr.io/a'] }));
    expect(original.pilot).toStrictEqual({ cni: { enabled: false }, enabled: true, traceSampling: 7 });
    expect(original.global).toStrictEqual({ configValidation: true, hub: 'gcr.io/a', istioNamespace: 'istio-system', logAsJson: true, tag: '1.30.3' });
    expect(merged.traceSampling).toBe(7);
    expect(merged.pilot.traceSampling).toBe(7);
    expect(merged.global.logAsJson).toBe(true);
    expect(merged.autoscaleEnabled).toBe(true);
  });

  it('carries the revision and the user mesh config, and is suffixed for a revision', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    accessLogFile: /dev/stdout\n';
    const { original, merged } = values(render({ files: [{ name: 'm.yaml', text }], revision: 'canary' }), 'values-canary');
    expect(original.revision).toBe('canary');
    expect(original.meshConfig).toStrictEqual({ accessLogFile: '/dev/stdout' });
    expect(merged.meshConfig).toStrictEqual({ accessLogFile: '/dev/stdout', enablePrometheusMerge: true });
  });

  it("puts the user's pilot env into the injector's values", () => {
    const data = (find(render({ sets: ['values.pilot.env.PILOT_X=1'] }), 'ConfigMap', 'istio-sidecar-injector') as any).data;
    expect(JSON.parse(data.values).pilot.env).toStrictEqual({ PILOT_X: '1' });
  });
});

describe('gateway pods', () => {
  it('take the canonical revision from the gateway labels, then the revision, else "latest"', () => {
    const labels = (objects: K8sObject[], name: string) => (find(objects, 'Deployment', name) as any).spec.template.metadata.labels;
    expect(labels(render({}), 'istio-ingressgateway')['service.istio.io/canonical-revision']).toBe('latest');
    expect(labels(render({ revision: 'canary' }), 'istio-ingressgateway')['service.istio.io/canonical-revision']).toBe('canary');
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: gw-a\n      label: {app: gw-a, version: v2}\n';
    expect(labels(render({ files: [{ name: 'gw.yaml', text }] }), 'gw-a')['service.istio.io/canonical-revision']).toBe('v2');
  });

  it('turn the node selector and architecture weights into node affinity, as the gateway chart does', () => {
    const spec = (find(render({ sets: ['values.gateways.istio-ingressgateway.nodeSelector.pool=edge', 'values.global.arch.amd64=2', 'values.global.arch.arm64=0'] }),
      'Deployment', 'istio-ingressgateway') as any).spec.template.spec;
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.affinity).toStrictEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [
          { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }, { key: 'pool', operator: 'In', values: ['edge'] }] }] },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 2, preference: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] } }],
      },
    });
  });

  it('get pod anti-affinity terms from the label selector lists', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  values:
    gateways:
      istio-ingressgateway:
        podAntiAffinityLabelSelector: [{key: app, operator: In, values: "a,b", topologyKey: zone}]
        podAntiAffinityTermLabelSelector: [{key: app, operator: Exists, topologyKey: host}]
`;
    const spec = (find(render({ files: [{ name: 'a.yaml', text }] }), 'Deployment', 'istio-ingressgateway') as any).spec.template.spec;
    expect(spec.affinity.podAntiAffinity).toStrictEqual({
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] }, topologyKey: 'zone' }],
      preferredDuringSchedulingIgnoredDuringExecution: [{ podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, topologyKey: 'host' }, weight: 100 }],
    });
  });
});

describe('overlays and flags', () => {
  it('suffixes names and sets istio.io/rev for a revision', () => {
    const objects = render({ revision: 'canary' });
    const names = objects.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toContain('Deployment/istiod-canary');
    expect(names).toContain('ConfigMap/istio-sidecar-injector-canary');
    expect(names).toContain('MutatingWebhookConfiguration/istio-sidecar-injector-canary');
    expect(names).toContain('ValidatingWebhookConfiguration/istio-validator-canary-istio-system');
    expect(names).toContain('ClusterRole/istiod-clusterrole-canary-istio-system');
    const istiod = find(objects, 'Deployment', 'istiod-canary') as any;
    expect(istiod.metadata.labels['istio.io/rev']).toBe('canary');
    expect(istiod.spec.selector.matchLabels).toStrictEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    const mwc = find(objects, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary') as any;
    expect(mwc.webhooks).toHaveLength(2);
    expect((find(objects, 'ConfigMap', 'istio-canary') as any).data.mesh).toContain('discoveryAddress: istiod-canary.istio-system.svc:15012');
  });

  it('enables the egress gateway by selector on top of the profile', () => {
    const objects = render({ sets: ['components.egressGateways[name:istio-egressgateway].enabled=true'] });
    expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'istio-egressgateway')).toBe(true);
  });

  it('lets -f files win over the profile and --set win over files', () => {
    const file = { name: 'o.yaml', text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  hub: gcr.io/a\n  values:\n    pilot:\n      traceSampling: 5\n' };
    const objects = render({ files: [file], sets: ['values.pilot.traceSampling=7'] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    expect(istiod.spec.template.spec.containers[0].image).toBe('gcr.io/a/pilot:1.30.3');
    expect(istiod.spec.template.spec.containers[0].env).toContainEqual({ name: 'PILOT_TRACE_SAMPLING', value: '7' });
    expect(objects.some((o) => o.metadata.name === 'istio-egressgateway')).toBe(true);
  });

  it('applies components.*.k8s settings as patches', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        replicaCount: 3
        resources: {requests: {cpu: 1000m, memory: 4Gi}}
        env: [{name: PILOT_X, value: "1"}, {name: CLUSTER_ID, value: east}]
        nodeSelector: {pool: infra}
        hpaSpec: {maxReplicas: 9}
        podAnnotations: {a: b}
        overlays:
        - kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers[name:discovery].args[0]
            value: discovery-x
          - path: spec.strategy
    ingressGateways:
    - name: istio-ingressgateway
      k8s:
        service:
          type: NodePort
          ports: [{name: http2, port: 80, targetPort: 8080, nodePort: 30080}]
        serviceAnnotations: {x: y}
`;
    const objects = render({ files: [{ name: 'k8s.yaml', text }] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    expect(istiod.spec.replicas).toBe(3);
    expect(istiod.spec.strategy).toBeUndefined();
    const c = istiod.spec.template.spec.containers[0];
    expect(c.resources).toStrictEqual({ requests: { cpu: '1000m', memory: '4Gi' } });
    expect(c.args[0]).toBe('discovery-x');
    expect(c.env).toContainEqual({ name: 'PILOT_X', value: '1' });
    expect(c.env.filter((e: any) => e.name === 'CLUSTER_ID')).toStrictEqual([{ name: 'CLUSTER_ID', value: 'east' }]);
    expect(istiod.spec.template.spec.nodeSelector).toStrictEqual({ pool: 'infra' });
    expect(istiod.spec.template.metadata.annotations.a).toBe('b');
    expect((find(objects, 'HorizontalPodAutoscaler', 'istiod') as any).spec.maxReplicas).toBe(9);
    const svc = find(objects, 'Service', 'istio-ingressgateway') as any;
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.metadata.annotations).toStrictEqual({ x: 'y' });
    expect(svc.spec.ports).toHaveLength(1);
    expect(svc.spec.ports[0].nodePort).toBe(30080);
  });

  it('applies k8s settings of a gateway entry that has no name (the default gateway)', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - enabled: true\n      k8s:\n        hpaSpec: {minReplicas: 2}\n';
    const objects = render({ files: [{ name: 'gw.yaml', text }] });
    expect((find(objects, 'HorizontalPodAutoscaler', 'istio-ingressgateway') as any).spec.minReplicas).toBe(2);
  });

  it('renders a second ingress gateway from an overlay list', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n    - name: internal-gw\n      namespace: gateways\n      label: {istio: internal}\n';
    const objects = render({ files: [{ name: 'gw.yaml', text }] });
    const gw = find(objects, 'Deployment', 'internal-gw') as any;
    expect(gw.metadata.namespace).toBe('gateways');
    // The entry's labels merge over the chart's gateway labels, as istioctl merges them.
    expect(gw.spec.selector.matchLabels).toStrictEqual({ app: 'istio-ingressgateway', istio: 'internal' });
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(3);
  });

  it('renders a component into its own namespace when it names one', () => {
    const objects = render({ sets: ['components.pilot.namespace=istio-control'] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    expect(istiod.metadata.namespace).toBe('istio-control');
    expect(istiod.spec.template.spec.containers[0].env).toContainEqual({ name: 'CA_TRUSTED_NODE_ACCOUNTS', value: 'istio-control/ztunnel' });
    // The chart names the validator and its service after global.istioNamespace, not the component's namespace.
    expect((find(objects, 'ValidatingWebhookConfiguration', 'istio-validator-istio-system') as any).webhooks[0].clientConfig.service.namespace).toBe('istio-system');
    expect((find(objects, 'Deployment', 'istio-ingressgateway') as any).metadata.namespace).toBe('istio-system');
  });

  it('merges k8s settings as strategic merge patches: maps key by key, env by name in Kubernetes order', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        resources: {requests: {memory: 3Gi}}
        readinessProbe: {initialDelaySeconds: 9}
        env:
        - {name: POD_NAME, value: fixed}
        - {name: EXTRA_A, value: a}
        - {name: EXTRA_B, value: b}
`;
    const c = (find(render({ files: [{ name: 'k.yaml', text }] }), 'Deployment', 'istiod') as any).spec.template.spec.containers[0];
    expect(c.resources).toStrictEqual({ requests: { cpu: '500m', memory: '3Gi' } });
    expect(c.readinessProbe.initialDelaySeconds).toBe(9);
    expect(c.readinessProbe.httpGet).toStrictEqual({ path: '/ready', port: 8080 });
    expect(c.env.slice(0, 6).map((e: any) => e.name)).toStrictEqual(['REVISION', 'PILOT_CERT_PROVIDER', 'POD_NAME', 'EXTRA_A', 'EXTRA_B', 'POD_NAMESPACE']);
    expect(c.env[2]).toStrictEqual({ name: 'POD_NAME', value: 'fixed', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  });

  it('patches a CRD\'s schema through a Base overlay on a copy: the assets and later renderings keep the schema', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    base:
      k8s:
        overlays:
        - kind: CustomResourceDefinition
          name: gateways.networking.istio.io
          patches:
          - path: spec.versions.[name:v1].schema.openAPIV3Schema.properties.spec.type
            value: patched
`;
    const schemaType = (objects: K8sObject[], version: string) => ((find(objects, 'CustomResourceDefinition', 'gateways.networking.istio.io') as any)
      .spec.versions.find((v: any) => v.name === version).schema.openAPIV3Schema.properties.spec.type);
    const patched = render({ files: [{ name: 'o.yaml', text }] });
    expect(schemaType(patched, 'v1')).toBe('patched');
    expect(schemaType(patched, 'v1beta1')).toBe('object');
    expect((assets.crds.schemas['gateways.networking.istio.io'] as any).properties.spec.type).toBe('object');
    const plain = render({});
    expect(schemaType(plain, 'v1')).toBe('object');
    const written = writtenCrdSchemas(assets.crds, assets.crdSchemaYaml);
    expect(toYamlStream(patched, written)).toBe(toYamlStream(patched));
    expect(toYamlStream(patched, written)).toContain('type: patched');
  });

  it('lets overlays pick list elements by value and take maps written as text, on Base too', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    base:
      k8s:
        overlays:
        - kind: ServiceAccount
          name: istio-reader-service-account
          patches:
          - {path: automountServiceAccountToken, value: false}
    pilot:
      k8s:
        overlays:
        - kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers.[name:discovery].args.[^--keepalive]
            value: --keepaliveMaxServerConnectionAge
          - path: spec.template.spec.containers.[name:discovery].args.[:^30m$]
            value: 45m
          - path: spec.template.spec.containers.[name:discovery].env.[name:POD_NAME].valueFrom
            value: |
              fieldRef:
                fieldPath: metadata.uid
`;
    const objects = render({ files: [{ name: 'o.yaml', text }] });
    const c = (find(objects, 'Deployment', 'istiod') as any).spec.template.spec.containers[0];
    expect(c.args.slice(-2)).toStrictEqual(['--keepaliveMaxServerConnectionAge', '45m']);
    expect(c.env.find((e: any) => e.name === 'POD_NAME').valueFrom).toStrictEqual({ fieldRef: { fieldPath: 'metadata.uid' } });
    expect((find(objects, 'ServiceAccount', 'istio-reader-service-account') as any).automountServiceAccountToken).toBe(false);
  });

  it('adds unvalidatedValues to the values and a memory target to the istiod autoscaler', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      memory: {targetAverageUtilization: 75}\n  unvalidatedValues:\n    myTeam: {owner: mesh}\n';
    const objects = render({ files: [{ name: 'u.yaml', text }] });
    const metrics = (find(objects, 'HorizontalPodAutoscaler', 'istiod') as any).spec.metrics;
    expect(metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toStrictEqual([['cpu', 80], ['memory', 75]]);
    const data = (find(objects, 'ConfigMap', 'values') as any).data;
    expect(JSON.parse(data['original-values']).myTeam).toStrictEqual({ owner: 'mesh' });
  });

  it("takes the pilot component's hub and tag for istiod, and a gateway entry's tag but not its hub, as the charts do", () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  hub: spec.hub
  tag: spec-tag
  values: {global: {variant: distroless}}
  components:
    pilot: {hub: pilot.hub, tag: 2}
    ingressGateways:
    - {name: istio-ingressgateway, hub: gateway.hub, tag: gw-tag}
`;
    const objects = render({ files: [{ name: 'h.yaml', text }] });
    const image = (name: string) => (find(objects, 'Deployment', name) as any).spec.template.spec.containers[0].image;
    expect(image('istiod')).toBe('pilot.hub/pilot:2-distroless');
    expect(image('istio-ingressgateway')).toBe('spec.hub/proxyv2:gw-tag-distroless');
    const original = JSON.parse((find(objects, 'ConfigMap', 'values') as any).data['original-values']);
    expect(original.pilot).toMatchObject({ hub: 'pilot.hub', tag: '2' });
  });

  it('renders the istiod chart settings for taints, extra args, trust bundles, JWKS roots and an external istiod', () => {
    const extra = { name: 'x.yaml', text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  unvalidatedValues:\n    pilot: {extraContainerArgs: [--x=1]}\n' };
    const objects = render({ files: [extra], sets: ['values.pilot.taint.enabled=true', 'values.pilot.taint.namespace=kube-system',
      'values.global.trustBundleName=my-roots', 'values.pilot.jwksResolverExtraRootCA=PEM', 'values.global.externalIstiod=true', 'values.pilot.env.EXTERNAL_ISTIOD=true',
      'meshConfig.enablePrometheusMerge=false'] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    const c = istiod.spec.template.spec.containers[0];
    expect(c.args).toContain('--cniNamespace=kube-system');
    expect(c.args.at(-1)).toBe('--x=1');
    expect(c.env).toContainEqual({ name: 'PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME', value: 'cni.istio.io/not-ready' });
    expect(c.env).toContainEqual({ name: 'PILOT_CA_CERT_CONFIGMAP', value: 'my-roots' });
    expect(c.env.filter((e: any) => e.name === 'EXTERNAL_ISTIOD')).toHaveLength(1);
    expect(c.volumeMounts).toContainEqual({ name: 'extracacerts', mountPath: '/cacerts' });
    const volumes = istiod.spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'istio-csr-ca-configmap', configMap: { name: 'my-roots', defaultMode: 420, optional: true } });
    expect(volumes).toContainEqual({ name: 'extracacerts', configMap: { name: 'pilot-jwks-extra-cacerts' } });
    expect((find(objects, 'ConfigMap', 'pilot-jwks-extra-cacerts') as any).data).toStrictEqual({ 'extra.pem': 'PEM' });
    expect(istiod.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
  });

  it('renders gateway pods as the gateway chart does for certificates, config volumes, extra containers, env order and the STS port', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  values:
    global: {mountMtlsCerts: true, pilotCertProvider: custom, sts: {servicePort: 15463}}
    gateways:
      istio-ingressgateway:
        env: {ZED: "1", ALPHA: "2"}
        configVolumes: [{name: extra, configMapName: extra-cm, mountPath: /etc/extra}]
        additionalContainers: [{name: sidecar, image: busybox}]
`;
    const spec = (find(render({ files: [{ name: 'g.yaml', text }] }), 'Deployment', 'istio-ingressgateway') as any).spec.template.spec;
    const proxy = spec.containers[0];
    expect(spec.containers.map((c: any) => c.name)).toStrictEqual(['istio-proxy', 'sidecar']);
    expect(proxy.args).toContain('--stsPort=15463');
    const names = proxy.env.map((e: any) => e.name);
    expect(names.indexOf('ALPHA')).toBe(names.indexOf('ZED') - 1);
    expect(proxy.volumeMounts.map((m: any) => m.name)).toContain('istio-certs');
    expect(proxy.volumeMounts.map((m: any) => m.name)).not.toContain('istiod-ca-cert');
    expect(proxy.volumeMounts).toContainEqual({ name: 'extra', mountPath: '/etc/extra', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'istio-certs', secret: { secretName: 'istio.istio-ingressgateway-service-account', optional: true } });
    expect(spec.volumes).toContainEqual({ name: 'extra', configMap: { name: 'extra-cm', optional: true } });
    expect(spec.volumes.map((v: any) => v.name)).not.toContain('istiod-ca-cert');
  });

  it('points a remote cluster at its control plane by address: ExternalName for a host, an EndpointSlice for an IP', () => {
    const byHost = render({ sets: ['profile=remote', 'values.global.remotePilotAddress=istiod.example.com'] });
    expect((find(byHost, 'Service', 'istiod') as any).spec).toMatchObject({ type: 'ExternalName', externalName: 'istiod.example.com' });
    expect(byHost.some((o) => o.kind === 'EndpointSlice')).toBe(false);
    const byIP = render({ sets: ['profile=remote', 'values.global.remotePilotAddress=203.0.113.7'] });
    expect((find(byIP, 'Service', 'istiod') as any).spec.type).toBeUndefined();
    const slice = find(byIP, 'EndpointSlice', 'istiod') as any;
    expect(slice.addressType).toBe('IPv4');
    expect(slice.endpoints).toStrictEqual([{ addresses: ['203.0.113.7'] }]);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('istiod');
    expect(byIP.map((o) => o.kind).slice(-3)).toStrictEqual(['MutatingWebhookConfiguration', 'EndpointSlice', 'Service']);
  });

  it("shapes istiod's disruption budget and service account as the chart does", () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        replicaCount: 3
        podDisruptionBudget: {maxUnavailable: 1}
  values:
    pilot: {autoscaleEnabled: false, replicaCount: 3}
  unvalidatedValues:
    pilot: {serviceAccountAnnotations: {team: mesh}, pdb: {unhealthyPodEvictionPolicy: AlwaysAllow}}
`;
    const objects = render({ files: [{ name: 'p.yaml', text }] });
    expect((find(objects, 'PodDisruptionBudget', 'istiod') as any).spec).toStrictEqual({
      maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: { app: 'istiod', istio: 'pilot' } } });
    expect((find(objects, 'ServiceAccount', 'istiod') as any).metadata.annotations).toStrictEqual({ team: 'mesh' });
  });

  it('gives gateways without labels of their own the default gateway labels and the chart name, as istioctl does', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n    - name: ilb-gateway\n      label: {tier: internal}\n';
    const objects = render({ files: [{ name: 'g.yaml', text }] });
    const svc = find(objects, 'Service', 'ilb-gateway') as any;
    expect(svc.spec.selector).toStrictEqual({ app: 'istio-ingressgateway', istio: 'ingressgateway', tier: 'internal' });
    expect(svc.metadata.labels['app.kubernetes.io/name']).toBe('istio-ingressgateway');
  });

  it('copies every field of a gateway port into its Service, adds ingressPorts, and leaves the Service out for customService', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    egressGateways: [{name: istio-egressgateway, enabled: true}]
  values:
    gateways:
      istio-ingressgateway:
        ingressPorts: [{name: extra, port: 9000}]
        ipFamilyPolicy: PreferDualStack
      istio-egressgateway: {customService: true}
  unvalidatedValues:
    gateways:
      istio-ingressgateway:
        ports: [{name: http2, port: 80, targetPort: 8080, appProtocol: http}]
`;
    const objects = render({ files: [{ name: 's.yaml', text }] });
    const svc = find(objects, 'Service', 'istio-ingressgateway') as any;
    expect(svc.spec.ports).toStrictEqual([{ name: 'http2', port: 80, targetPort: 8080, appProtocol: 'http' }, { port: 9000, name: 'extra' }]);
    expect(svc.spec.ipFamilyPolicy).toBe('PreferDualStack');
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'istio-egressgateway')).toBe(false);
    expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'istio-egressgateway')).toBe(true);
  });

  it('gives a root gateway no security context, leaves user ids to OpenShift, and omits logging flags without a value', () => {
    const root = (find(render({ sets: ['values.gateways.istio-ingressgateway.runAsRoot=true', 'values.global.proxy.logLevel='] }), 'Deployment', 'istio-ingressgateway') as any).spec.template.spec;
    expect(root.securityContext).toBeUndefined();
    expect(root.containers[0].securityContext).toBeUndefined();
    expect(root.containers[0].args.some((a: string) => a.startsWith('--proxyLogLevel'))).toBe(false);
    const openshift = (find(render({ sets: ['values.global.platform=openshift'] }), 'Deployment', 'istio-ingressgateway') as any).spec.template.spec;
    expect(openshift.securityContext).toStrictEqual({ runAsNonRoot: true });
  });

  it('writes the mesh config defaults the chart writes: tracers, stackdriver providers, the remote discovery address', () => {
    const mesh = (objects: K8sObject[], name = 'istio') => parse((find(objects, 'ConfigMap', name) as any).data.mesh);
    expect(mesh(render({ sets: ['values.global.proxy.tracer=datadog'] })).defaultConfig.tracing).toStrictEqual({ datadog: { address: '$(HOST_IP):8126' } });
    expect(mesh(render({ sets: ['values.global.proxy.tracer=zipkin'] })).defaultConfig.tracing).toStrictEqual({ zipkin: { address: 'zipkin.istio-system:9411' } });
    expect(mesh(render({ sets: ['values.telemetry.v2.stackdriver.enabled=true'] })).defaultProviders)
      .toStrictEqual({ metrics: ['prometheus', 'stackdriver'], accessLogging: ['stackdriver'] });
    expect(mesh(render({ sets: ['meshConfig.defaultProviders.metrics[0]=custom'] })).defaultProviders).toStrictEqual({ metrics: ['custom'] });
    const remote = mesh(render({ revision: 'canary', sets: ['values.global.remotePilotAddress=203.0.113.23'] }), 'istio-canary');
    expect(remote.defaultConfig.discoveryAddress).toBe('istiod.istio-system.svc:15012');
  });

  it('renders revision tags (webhook and Service per tag) and gateway class defaults', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  revision: canary
  values:
    revisionTags: [prod, default]
    gatewayClasses:
      istio:
        deployment: {spec: {replicas: 2}}
`;
    const objects = render({ files: [{ name: 't.yaml', text }] });
    const prod = find(objects, 'MutatingWebhookConfiguration', 'istio-revision-tag-prod') as any;
    expect(prod.metadata.labels['istio.io/tag']).toBe('prod');
    expect(prod.webhooks.map((w: any) => w.name)).toStrictEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
    expect(prod.webhooks[0].namespaceSelector.matchExpressions[0]).toStrictEqual({ key: 'istio.io/rev', operator: 'In', values: ['prod'] });
    expect(prod.webhooks[0].clientConfig.service.name).toBe('istiod-canary');
    expect((find(objects, 'MutatingWebhookConfiguration', 'istio-revision-tag-default') as any).webhooks).toHaveLength(4);
    const svc = find(objects, 'Service', 'istiod-revision-tag-prod') as any;
    expect(svc.spec.selector).toStrictEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    const cm = find(objects, 'ConfigMap', 'istio-canary-gatewayclass-istio') as any;
    expect(cm.metadata.labels['gateway.istio.io/defaults-for-class']).toBe('istio');
    expect(parse(cm.data.deployment)).toStrictEqual({ spec: { replicas: 2 } });
  });

  it('renders network policies for istiod and the gateways with global.networkPolicy.enabled', () => {
    const objects = render({ sets: ['values.global.networkPolicy.enabled=true'] });
    const istiod = find(objects, 'NetworkPolicy', 'istiod') as any;
    expect(istiod.spec.podSelector.matchLabels).toStrictEqual({ app: 'istiod', 'istio.io/rev': 'default' });
    expect(istiod.spec.ingress[1].ports.map((p: any) => p.port)).toStrictEqual([15010, 15011, 15012, 8080, 15014]);
    const gw = find(objects, 'NetworkPolicy', 'istio-ingressgateway') as any;
    expect(gw.spec.podSelector.matchLabels).toStrictEqual({ app: 'istio-ingressgateway', istio: 'ingressgateway' });
    expect(gw.spec.ingress.slice(2).map((r: any) => r.ports[0].port)).toStrictEqual([15021, 8080, 8443]);
    expect(render({}).some((o) => o.kind === 'NetworkPolicy')).toBe(false);
  });

  it('renders the base chart settings: excluded CRDs, no reader without reader RBAC, the default-revision validator', () => {
    const objects = render({ sets: ['values.base.excludedCRDs[0]=wasmplugins.extensions.istio.io', 'values.defaultRevision=canary', 'values.global.enableReaderRBAC=false'] });
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name)).not.toContain('wasmplugins.extensions.istio.io');
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(14);
    expect(objects.some((o) => o.metadata.name.startsWith('istio-reader'))).toBe(false);
    const validator = find(objects, 'ValidatingWebhookConfiguration', 'istiod-default-validator') as any;
    expect(validator.metadata.labels['istio.io/rev']).toBe('canary');
    expect(validator.webhooks[0].clientConfig.service).toStrictEqual({ name: 'istiod-canary', namespace: 'istio-system', path: '/validate' });
    expect(validator.webhooks[0].failurePolicy).toBe('Ignore');
  });

  it("applies the chart's compatibility-version and platform overlays to istiod and the injector values, and refuses unknown ones", () => {
    const compat = render({ sets: ['compatibilityVersion=1.28'] });
    const env = (find(compat, 'Deployment', 'istiod') as any).spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DISABLE_TRACK_REMAINING_CB_METRICS', value: 'false' });
    expect(env).toContainEqual({ name: 'PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE', value: 'false' });
    const openshift = JSON.parse((find(render({ sets: ['values.global.platform=openshift'] }), 'ConfigMap', 'istio-sidecar-injector') as any).data.values);
    // istioctl sets pilot.cni.enabled from components.cni, over the platform's overlay.
    expect(openshift.pilot.cni).toMatchObject({ enabled: false, provider: 'multus', chained: false });
    expect(() => render({ sets: ['compatibilityVersion=1.2'] })).toThrow(/unknown compatibility version "1.2"/);
  });

  it('renders a gateway with an injectionTemplate as a minimal pod for the injection webhook to complete', () => {
    const dep = find(render({ revision: 'canary', sets: ['values.gateways.istio-ingressgateway.injectionTemplate=gateway'] }), 'Deployment', 'istio-ingressgateway') as any;
    const pod = dep.spec.template;
    expect(pod.metadata.annotations).toMatchObject({ 'sidecar.istio.io/inject': 'true', 'inject.istio.io/templates': 'gateway' });
    expect(pod.metadata.labels).toMatchObject({ 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary', 'service.istio.io/canonical-revision': 'canary' });
    expect(pod.spec.containers[0].image).toBe('auto');
    expect(pod.spec.containers[0].env).toStrictEqual([{ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' }]);
    expect(pod.spec.volumes.every((v: any) => v.secret?.optional === true)).toBe(true);
    expect(pod.spec.volumes.map((v: any) => v.name)).not.toContain('istio-envoy');
    expect(dep.metadata.labels['istio.io/dataplane-mode']).toBeUndefined();
  });
});
