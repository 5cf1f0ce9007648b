/**
 * The Istio release meshctl renders and installs: its charts, images (`docker.io/istio/pilot` and
 * `proxyv2` at this tag) and CRDs. A module of its own so that `version` reads it without loading
 * the renderer's helpers.
 */
export const ISTIO_VERSION = '1.30.3';
