/**
 * Application probe rewriting (Istio 1.30 pkg/kube/inject/app_probe.go semantics). With mutual TLS
 * the kubelet cannot reach the application's HTTP, TCP or gRPC probes directly, so injection points
 * them at the agent's status port (`/app-health/<container>/readyz|livez|startupz`, lifecycle hooks
 * `/app-lifecycle/<container>/prestopz|poststartz`) and records the originals in the sidecar's
 * `ISTIO_KUBE_APP_PROBERS` env (JSON keyed by the new path), which the agent replays. kube-uninject
 * restores them from the same record.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** Name of the sidecar env var holding the original probes. */
export const APP_PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';

type ProbeSlot = { field: 'readinessProbe' | 'livenessProbe' | 'startupProbe'; path: string; lifecycle: false }
  | { field: 'preStop' | 'postStart'; path: string; lifecycle: true };

/** The probe slots of a container and their agent paths (status.FormatProberURL). */
function slots(container: string): ProbeSlot[] {
  return [
    { field: 'readinessProbe', path: `/app-health/${container}/readyz`, lifecycle: false },
    { field: 'livenessProbe', path: `/app-health/${container}/livez`, lifecycle: false },
    { field: 'startupProbe', path: `/app-health/${container}/startupz`, lifecycle: false },
    { field: 'preStop', path: `/app-lifecycle/${container}/prestopz`, lifecycle: true },
    { field: 'postStart', path: `/app-lifecycle/${container}/poststartz`, lifecycle: true },
  ];
}

function handlerOf(container: JsonObject, slot: ProbeSlot): JsonObject | undefined {
  if (slot.lifecycle) {
    const lc = container.lifecycle;
    const h = isObject(lc) ? lc[slot.field] : undefined;
    return isObject(h) ? h : undefined;
  }
  const p = container[slot.field];
  return isObject(p) ? p : undefined;
}

/** Resolves a named port against the container's ports; numbers and unknown names are returned as they are. */
function resolvePort(port: Json | undefined, container: JsonObject): Json | undefined {
  if (typeof port !== 'string') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const ports = Array.isArray(container.ports) ? container.ports : [];
  const match = ports.find((p) => isObject(p) && p.name === port);
  return isObject(match) && typeof match.containerPort === 'number' ? match.containerPort : port;
}

/** The recorded form of an action: corev1 field order, empty fields left out, named ports resolved. */
function recordAction(kind: 'httpGet' | 'tcpSocket' | 'grpc', action: JsonObject, container: JsonObject): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: Json | undefined) => {
    if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  };
  if (kind === 'httpGet') {
    put('path', action.path);
    out.port = resolvePort(action.port, container) ?? 0;
    put('host', action.host);
    put('scheme', action.scheme);
    put('httpHeaders', action.httpHeaders);
  } else if (kind === 'tcpSocket') {
    out.port = resolvePort(action.port, container) ?? 0;
    put('host', action.host);
  } else {
    out.port = action.port ?? 0;
    // corev1.GRPCAction.Service has no omitempty: an unset service is recorded as null.
    out.service = action.service ?? null;
  }
  return out;
}

/** Which action a probe or hook uses, if it is one injection rewrites. */
function actionKind(handler: JsonObject, lifecycle: boolean): 'httpGet' | 'tcpSocket' | 'grpc' | undefined {
  if (isObject(handler.httpGet)) return 'httpGet';
  if (isObject(handler.tcpSocket)) return 'tcpSocket';
  if (!lifecycle && isObject(handler.grpc)) return 'grpc';
  return undefined;
}

/** Result of rewriting a pod's probes. */
export interface ProbeRewrite {
  /** Agent path -> recorded original (`{httpGet|tcpSocket|grpc, timeoutSeconds}`), sorted by path, or undefined when nothing was rewritten. */
  probers: Record<string, JsonObject> | undefined;
}

/**
 * Rewrites, in place, the HTTP/TCP/gRPC probes and HTTP/TCP lifecycle hooks of every application
 * container (init containers included, the proxy excluded) to `httpGet` on `statusPort`, and returns
 * the originals keyed by their new path. An HTTP action keeps its host and headers, HTTPS becomes
 * HTTP; TCP and gRPC actions are replaced by an `httpGet`. `exec` probes are left alone.
 * `agentPort` is the mesh's status port (Istio 1.30.3 DumpAppProbers): an HTTP/TCP action already
 * on it is taken as rewritten before and not recorded again.
 */
export function rewriteProbes(containers: JsonObject[], statusPort: number, agentPort: number = statusPort): ProbeRewrite {
  const probers: Record<string, JsonObject> = {};
  for (const c of containers) {
    if (c.name === 'istio-proxy' || typeof c.name !== 'string') continue;
    for (const slot of slots(c.name)) {
      const handler = handlerOf(c, slot);
      if (!handler) continue;
      const kind = actionKind(handler, slot.lifecycle);
      if (!kind) continue;
      const record: JsonObject = { [kind]: recordAction(kind, handler[kind] as JsonObject, c) };
      if (!slot.lifecycle && typeof handler.timeoutSeconds === 'number' && handler.timeoutSeconds !== 0) record.timeoutSeconds = handler.timeoutSeconds;
      // As DumpAppProbers: an HTTP or TCP action already aimed at the agent (a re-injected pod) or
      // naming a port the container does not have is not recorded; it is still rewritten.
      const port = kind === 'grpc' ? undefined : (record[kind] as JsonObject).port;
      if (typeof port === 'string' || port === agentPort) {
        // not recorded
      } else {
        probers[slot.path] = record;
      }
      let rewritten: JsonObject;
      if (kind === 'httpGet') {
        const action: JsonObject = { ...(handler.httpGet as JsonObject), path: slot.path, port: statusPort };
        if (action.scheme === 'HTTPS') action.scheme = 'HTTP';
        rewritten = { ...handler, httpGet: action };
      } else {
        rewritten = { ...handler };
        delete rewritten[kind];
        rewritten.httpGet = { path: slot.path, port: statusPort };
      }
      if (slot.lifecycle) c.lifecycle = { ...(c.lifecycle as JsonObject), [slot.field]: rewritten };
      else c[slot.field] = rewritten;
    }
  }
  const keys = Object.keys(probers).sort();
  if (keys.length === 0) return { probers: undefined };
  const sorted: Record<string, JsonObject> = {};
  for (const k of keys) sorted[k] = probers[k]!;
  return { probers: sorted };
}

/**
 * Restores, in place, the probes recorded in an `ISTIO_KUBE_APP_PROBERS` value. Returns notes for
 * the report where the result differs in form: a TCP or gRPC action comes back as the last key of
 * its probe. (A port the original named comes back as the number the record holds; the record
 * cannot tell the two apart, so that goes unreported.)
 */
export function restoreProbes(containers: JsonObject[], probers: Record<string, unknown>): string[] {
  const notes: string[] = [];
  for (const c of containers) {
    if (c.name === 'istio-proxy' || typeof c.name !== 'string') continue;
    for (const slot of slots(c.name)) {
      const record = probers[slot.path];
      const handler = handlerOf(c, slot);
      if (!isObject(record) || !handler) continue;
      const kind = (['httpGet', 'tcpSocket', 'grpc'] as const).find((k) => isObject(record[k]));
      if (!kind) continue;
      const restored: JsonObject = { ...handler };
      const current = isObject(handler.httpGet) ? handler.httpGet : {};
      if (kind === 'httpGet') {
        // Keep the fields the rewrite kept (and their order); put back path, port and scheme.
        const original = record.httpGet as JsonObject;
        const action: JsonObject = { ...current };
        for (const k of ['path', 'port', 'host', 'scheme', 'httpHeaders']) {
          if (original[k] === undefined) delete action[k];
          else action[k] = original[k]!;
        }
        restored.httpGet = action;
      } else {
        delete restored.httpGet;
        const original = { ...(record[kind] as JsonObject) };
        if (kind === 'grpc' && original.service === null) delete original.service;
        restored[kind] = original;
      }
      if (slot.lifecycle) c.lifecycle = { ...(c.lifecycle as JsonObject), [slot.field]: restored };
      else c[slot.field] = restored;
      if (kind !== 'httpGet') notes.push(`${c.name} ${slot.field}: ${kind} restored from ${APP_PROBERS_ENV}`);
    }
  }
  return notes;
}
