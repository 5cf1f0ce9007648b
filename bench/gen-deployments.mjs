// Writes a YAML stream of N Deployments (default 5,000; about 4.4 MB) like the ones kube-inject
// meets in practice: comments, flow maps, quoted strings, probes, env and ports.
//
//   node bench/gen-deployments.mjs [N] > deployments.yaml
/** Returns the text of `count` Deployments. */
export function deployments(count) {
  const parts = [];
  for (let i = 0; i < count; i++) {
    parts.push(`# service ${i} (kube-inject benchmark)
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${i}
  namespace: team-${i % 20}
  labels: {app: svc-${i}, version: "v${i % 3}", tier: backend}
spec:
  replicas: ${1 + (i % 3)}
  selector:
    matchLabels:
      app: svc-${i}
      version: "v${i % 3}"
  template:
    metadata:
      labels:
        app: svc-${i}
        version: "v${i % 3}"
      annotations:
        owner: 'team-${i % 20}@example.com'
    spec:
      serviceAccountName: svc-${i}
      containers:
      - name: app
        image: "registry.example.com/team-${i % 20}/svc-${i}:1.${i % 10}.0"
        ports:
        - name: http
          containerPort: 8080
        - name: grpc
          containerPort: 9090
        env:
        - {name: LOG_LEVEL, value: info}
        - name: PEERS
          value: "svc-${(i + 1) % count},svc-${(i + 2) % count}"
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 5
`);
  }
  return parts.join('---\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(deployments(Number(process.argv[2] ?? 5000)));
}
