/**
 * service.PortNameAnalyzer: Service ports whose protocol Istio cannot tell from the name or
 * appProtocol (IST0118), and ExternalName Services with such ports or a bare `tcp` name (IST0150).
 * Skips Istio's own Services (label `istio`, `release: istio`, or managed by an Istio gateway
 * controller), as Istio 1.30.3 does. Unlike istioctl, Services read from files take part.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { portProtocol } from '../protocol.js';
import { asList, asMap, labelsOf, type Resource } from '../resource.js';

/** Values of `gateway.istio.io/managed` that mark a Service as Istio's own. */
const ISTIO_GATEWAY_CONTROLLERS = ['istio.io-gateway-controller', 'istio.io-mesh-controller', 'istio.io-eastwest-controller'];

/** Returns true for Services Istio installs or manages (IsIstioControlPlane plus gateway-managed). */
export function isIstioOwnService(r: Resource): boolean {
  const labels = labelsOf(r);
  return 'istio' in labels || labels.release === 'istio'
    || ISTIO_GATEWAY_CONTROLLERS.includes(labels['gateway.istio.io/managed'] ?? '');
}

export const portNameAnalyzer: Analyzer = {
  name: 'service.PortNameAnalyzer',
  description: 'Flags Service ports whose protocol Istio cannot tell from their name or appProtocol',
  inputs: [K.Service],
  messages: [MESSAGES.PortNameIsNotUnderNamingConvention, MESSAGES.ExternalNameServiceTypeInvalidPortName],
  analyze(ctx) {
    for (const svc of ctx.list(K.Service)) {
      if (isIstioOwnService(svc)) continue;
      const spec = asMap(svc.object.spec);
      const externalName = spec.type === 'ExternalName';
      asList(spec.ports).forEach((raw, i) => {
        const port = asMap(raw);
        const known = portProtocol(port) !== undefined;
        if (known && !(externalName && port.name === 'tcp')) return;
        const path = ['spec', 'ports', i, typeof port.appProtocol === 'string' ? 'appProtocol' : 'name'];
        const at = { resource: svc, path: port.name === undefined && port.appProtocol === undefined ? ['spec', 'ports', i] : path };
        if (externalName) {
          ctx.report(MESSAGES.ExternalNameServiceTypeInvalidPortName, at);
          return;
        }
        // Kubernetes defaults targetPort to port; show what the cluster would hold.
        const target = port.targetPort ?? port.port;
        ctx.report(MESSAGES.PortNameIsNotUnderNamingConvention, at, port.name ?? '', port.port, target ?? '');
      });
    }
  },
};
