// Generates a mesh configuration of about `count` resources for the analyze benchmark: per
// application a Service, a Deployment, a Pod, a VirtualService and a DestinationRule, a Gateway for
// every tenth application, a Namespace (injection enabled) for every fifty. About 2 % of the
// applications carry a deliberate fault (an unnamed port, a missing version label, a subset no pod
// carries), so analyzers report something, as on a real cluster.
//
//   node bench/gen-mesh.mjs 10000 > mesh.yaml

/** Returns the YAML stream and the exact resource count. */
export function meshResources(count) {
  const docs = [];
  let ns = '';
  for (let i = 0; docs.length < count; i++) {
    if (i % 50 === 0) {
      ns = `team-${i / 50}`;
      docs.push(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    istio-injection: enabled
`);
    }
    const app = `app-${i}`;
    const faulty = i % 50 === 7;
    docs.push(`apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${ns}
  labels:
    app: ${app}
spec:
  selector:
    app: ${app}
  ports:
  - ${faulty ? '' : 'name: http\n    '}port: 8080
    targetPort: 8080
`);
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}-v1
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
${faulty ? '' : '        version: v1\n'}    spec:
      containers:
      - name: ${app}
        image: "registry.example.com/${app}:1.0"
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 100m, memory: 128Mi}
`);
    docs.push(`apiVersion: v1
kind: Pod
metadata:
  name: ${app}-v1-0
  namespace: ${ns}
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: ${app}-v1-5d8f7
    uid: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}
  labels:
    app: ${app}
    version: v1
  annotations:
    sidecar.istio.io/status: '{"containers":["istio-proxy"]}'
spec:
  containers:
  - name: ${app}
    image: "registry.example.com/${app}:1.0"
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.30.3
`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  hosts:
  - ${app}
${i % 10 === 0 ? `  - ${app}.example.com\n  gateways:\n  - mesh\n  - ${app}-gateway\n` : ''}  http:
  - match:
    - uri:
        prefix: /api
    route:
    - destination:
        host: ${app}
        subset: v1
        port:
          number: 8080
      weight: 100
    timeout: 5s
`);
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  host: ${app}
  trafficPolicy:
    connectionPool:
      http:
        http1MaxPendingRequests: 100
  subsets:
  - name: v1
    labels:
      version: v1
${faulty ? '  - name: v2\n    labels:\n      version: v2\n' : ''}`);
    if (i % 10 === 0) {
      docs.push(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${app}-gateway
  namespace: ${ns}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - ${app}.example.com
`);
    }
  }
  docs.length = count;
  return { text: docs.join('---\n'), count: docs.length };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  process.stdout.write(meshResources(Number(process.argv[2] ?? 10000)).text);
}
