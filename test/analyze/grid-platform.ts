/**
 * Grid rows for the injector image checks, the external control plane webhooks, the Gateway API
 * CRD versions and selectors, and meshctl's Service port protocol rule.
 */
import type { GridCase } from './harness.js';

export const GRID: GridCase[] = [
  {
    files: ['injection-images.yaml'],
    analyzer: 'injection.ImageAnalyzer',
    expected: [
      ['IST0158', 'Namespace store'],
      ['IST0158', 'Namespace store-canary'],
    ],
  },
  {
    files: ['image-auto.yaml'],
    analyzer: 'injection.ImageAutoAnalyzer',
    expected: [
      ['IST0146', 'Deployment auto-on/gateway-opted-out'],
      ['IST0146', 'Deployment auto-off/gateway-forgotten'],
      ['IST0147', 'Pod auto-on/gateway-pod'],
    ],
  },
  {
    files: ['externalcontrolplane.yaml'],
    analyzer: 'externalcontrolplane.ExternalControlPlaneAnalyzer',
    expected: [
      ['IST0163', 'MutatingWebhookConfiguration istio-sidecar-injector-remote'],
      ['IST0163', 'MutatingWebhookConfiguration istio-sidecar-injector-remote'],
      ['IST0164', 'MutatingWebhookConfiguration istio-sidecar-injector-remote'],
      ['IST0164', 'ValidatingWebhookConfiguration istiod-default-validator'],
    ],
  },
  {
    files: ['gateway-api-crds.yaml'],
    analyzer: 'k8sgateway.CRDVersionAnalyzer',
    expected: [
      ['IST0176', 'CustomResourceDefinition tlsroutes.gateway.networking.k8s.io'],
      ['IST0176', 'CustomResourceDefinition grpcroutes.gateway.networking.k8s.io'],
    ],
  },
  {
    files: ['k8sgateway-policies.yaml'],
    analyzer: 'k8sgateway.SelectorAnalyzer',
    expected: [
      ['IST0166', 'AuthorizationPolicy edge/allow-web'],
      ['IST0166', 'RequestAuthentication edge/jwt-api'],
    ],
  },
  {
    files: ['service-port-protocols.yaml'],
    analyzer: 'service.PortProtocolAnalyzer',
    expected: [
      ['MSH0003', 'Service proto/api-http'],
      ['MSH0003', 'Service proto/api-tcp'],
      ['MSH0003', 'Service proto/web-http'],
      ['MSH0003', 'Service proto/web-grpc'],
      ['MSH0003', 'Service proto/cache-redis'],
      ['MSH0003', 'Service proto/cache-tcp'],
    ],
  },
];
