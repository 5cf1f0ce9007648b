/**
 * Istio's protocol selection for Service ports (Istio 1.30.3 pkg/config/kube/conversion.go
 * ConvertProtocol and pkg/config/protocol/instance.go Parse): UDP by `protocol`, else
 * `appProtocol`, else the port name's prefix before the first `-`, else TCP for a few well-known
 * ports. Shared by the port-name analyzer and `validate`.
 */

/** Protocol names a port name may start with (matched case-insensitively). */
export const PORT_NAME_PROTOCOLS: readonly string[] = [
  'tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql',
];

/** Ports Istio treats as TCP when the name says nothing: SMTP, DNS, MySQL, MongoDB. */
export const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/** Kubernetes' standard appProtocol values and the protocol Istio maps them to. */
const K8S_APP_PROTOCOLS: Readonly<Record<string, string>> = {
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
};

/** The fields of a Service port protocol selection reads. */
export interface PortProtocolInput {
  port?: unknown;
  name?: unknown;
  protocol?: unknown;
  appProtocol?: unknown;
}

/**
 * Returns the protocol Istio selects for a Service port (lower case, e.g. `http2`, `grpc-web`,
 * `tcp`), or undefined when it cannot tell: Istio then treats the traffic as plain TCP with
 * protocol sniffing, which is what IST0118 warns about.
 */
export function portProtocol(p: PortProtocolInput): string | undefined {
  if (typeof p.protocol === 'string' && p.protocol.toUpperCase() === 'UDP') return 'udp';
  let name = typeof p.name === 'string' ? p.name : '';
  if (typeof p.appProtocol === 'string') {
    const k8s = K8S_APP_PROTOCOLS[p.appProtocol];
    if (k8s) return k8s;
    name = p.appProtocol;
  }
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web')) return 'grpc-web';
  const dash = lower.indexOf('-');
  const prefix = dash < 0 ? lower : lower.slice(0, dash);
  if (PORT_NAME_PROTOCOLS.includes(prefix)) return prefix;
  if (typeof p.port === 'number' && WELL_KNOWN_TCP_PORTS.has(p.port)) return 'tcp';
  return undefined;
}
