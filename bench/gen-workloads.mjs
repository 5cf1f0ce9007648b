// Writes a YAML stream of N workloads as issue 16 measures analyze and validate at scale: each a
// Deployment (bench/gen-deployments.mjs: comments, flow maps, quoted strings, probes, env, ports)
// followed by its Service; every fiftieth Service leaves a port unnamed, so findings are reported
// and positioned. 40,000 workloads are about 45 MB.
//
//   node bench/gen-workloads.mjs [N] > workloads.yaml
import { deployments } from './gen-deployments.mjs';

/** Returns the text of `count` Deployments, each followed by its Service. */
export function workloads(count) {
  const parts = [];
  deployments(count).split('---\n').forEach((deployment, i) => {
    parts.push(deployment, `# service ${i}
apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
  namespace: team-${i % 20}
  labels: {app: svc-${i}}
spec:
  selector: {app: svc-${i}}
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - ${i % 50 === 7 ? '' : 'name: grpc\n    '}port: 9090
`);
  });
  return parts.join('---\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(workloads(Number(process.argv[2] ?? 10000)));
}
