/**
 * `KubeClient` on @kubernetes/client-node: the kubeconfig's authentication, TLS and transport come
 * from client-node; this file adds what a CLI run against a busy API server needs and client-node
 * lacks: retries with backoff (429 with Retry-After, 5xx, dropped connections), a per-request
 * timeout, cancellation, plain-JSON objects (client-node's typed models turn timestamps into Dates
 * and drop fields they do not know), and one discovery cache per run (built-in kinds skip it).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import {
  HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, ResponseContext, ServerConfiguration,
} from '@kubernetes/client-node';
import type { K8sObject } from '../manifest/objects.js';
import { InterruptedError } from '../errors.js';
import { ClusterUnreachableError, KubeError } from './errors.js';
import { FIELD_MANAGER } from './owner.js';
import { formatRef, refOf } from './refs.js';
import { sleep } from './sleep.js';
import type {
  ApplyAnswer, ApplyOptions, ClusterIdentity, DeleteOptions, KubeClient, ListOptions, ObjectRef, RequestStats, ResourceInfo, ServerVersion, WriteOptions,
} from './types.js';

/** How failed requests are retried. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** First backoff delay, ms; doubled per attempt, with jitter. */
  baseDelayMs: number;
  /** Longest backoff delay, ms. */
  maxDelayMs: number;
  /** Longest Retry-After honoured, ms (a server asking for more gets this much). */
  maxRetryAfterMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };

/** Statuses worth another attempt: throttling and server-side failures that are usually transient. */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Messages of 500 answers that say the request itself is wrong, so another attempt gets the same
 * answer: kube-apiserver answers a server-side apply whose object does not convert to the typed
 * object (a malformed quantity such as `cpu: lots`, a string where a number belongs) with 500
 * InternalError, not with 400 or 422.
 */
const PERMANENT_INTERNAL_ERRORS = [/failed to convert new object/, /unable to convert unstructured object/];

/**
 * Returns whether an answer with `status` and body `text` is worth another attempt: throttling
 * (429) and server-side failures (5xx) are, except a 500 whose message says the request can
 * never succeed (see PERMANENT_INTERNAL_ERRORS).
 */
export function isRetryableStatus(status: number, text: string): boolean {
  if (!RETRYABLE_STATUS.has(status)) return false;
  return !(status === 500 && PERMANENT_INTERNAL_ERRORS.some((re) => re.test(text)));
}

/** Network errors that mean the connection broke, not that the address or TLS is wrong. */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

interface Response {
  status: number;
  headers: Record<string, string>;
  text: string;
}

interface RequestSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/** Options of the client-node backed client. */
export interface ClientOptions {
  identity: ClusterIdentity;
  requestTimeoutMs: number;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; errno?: string; cause?: { code?: string }; message?: string };
  return e.code ?? e.errno ?? e.cause?.code ?? (/socket hang up/.test(e.message ?? '') ? 'ECONNRESET' : '');
}

/** Returns the delay before the next attempt, ms: the server's Retry-After when given, else exponential backoff with jitter. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter: string | undefined): number {
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return Math.min(Number(retryAfter) * 1000, policy.maxRetryAfterMs);
  const exp = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Verbs of an ordinary built-in resource. */
const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * URL names and scope of the GA built-in kinds meshctl reads and writes: fixed by the Kubernetes
 * API itself (typed clients such as client-go's clientsets hard-code them the same way), so
 * requests for them need no discovery round trip first. Keyed `apiVersion|kind`.
 */
const BUILTIN_RESOURCES: ReadonlyMap<string, ResourceInfo> = new Map(([
  ['v1', 'Namespace', 'namespaces', false],
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'Pod', 'pods', true],
  ['v1', 'Event', 'events', true],
  ['v1', 'Endpoints', 'endpoints', true],
  ['v1', 'Node', 'nodes', false],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['apps/v1', 'DaemonSet', 'daemonsets', true],
  ['apps/v1', 'StatefulSet', 'statefulsets', true],
  ['apps/v1', 'ReplicaSet', 'replicasets', true],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
] as const).map(([apiVersion, kind, plural, namespaced]) => [`${apiVersion}|${kind}`, { apiVersion, kind, plural, namespaced, verbs: STANDARD_VERBS }]));

/** The client. Construct it with `connect()` (src/kube/connect.ts). */
export class ClientNodeKubeClient implements KubeClient {
  readonly identity: ClusterIdentity;
  readonly stats: RequestStats = { requests: 0, retries: 0 };
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly server: ServerConfiguration<Record<string, string>>;
  private readonly policy: RetryPolicy;
  private readonly discovery = new Map<string, Promise<ResourceInfo[] | undefined>>();
  private agent: HttpAgent | undefined;

  constructor(private readonly kc: KubeConfig, private readonly opts: ClientOptions) {
    this.identity = opts.identity;
    this.server = new ServerConfiguration(opts.identity.server.replace(/\/+$/, ''), {});
    this.policy = { ...DEFAULT_RETRY, ...opts.retry };
  }

  // One keep-alive agent per client: the TLS settings are client-node's (from the kubeconfig), but
  // its per-request agents would open a new TLS connection for every call. The TLS context (CA,
  // client certificate) is built once too; Node would otherwise parse it for every connection,
  // and concurrent requests open a connection each.
  private reuseAgent(ctx: RequestContext): void {
    if (this.kc.getCurrentCluster()?.proxyUrl) return;
    if (!this.agent) {
      const made = ctx.getAgent() as (HttpAgent & { options?: SecureContextOptions }) | undefined;
      if (!made) return;
      const options = { ...(made.options ?? {}), keepAlive: true };
      this.agent = made instanceof HttpsAgent ? new HttpsAgent({ ...options, secureContext: createSecureContext(options) }) : new HttpAgent(options);
    }
    ctx.setAgent(this.agent);
  }

  private async send(spec: RequestSpec): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      if (this.opts.signal?.aborted) throw new InterruptedError();
      const ctx = this.server.makeRequestContext(spec.path, spec.method);
      for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, v);
      ctx.setHeaderParam('Accept', 'application/json');
      ctx.setHeaderParam('User-Agent', 'meshctl');
      if (spec.body !== undefined) {
        ctx.setHeaderParam('Content-Type', spec.contentType ?? 'application/json');
        ctx.setBody(JSON.stringify(spec.body));
      }
      await this.kc.applySecurityAuthentication(ctx);
      this.reuseAgent(ctx);
      const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs);
      ctx.setSignal(this.opts.signal ? AbortSignal.any([timeout, this.opts.signal]) : timeout);
      this.stats.requests++;
      if (attempt > 0) this.stats.retries++;
      const last = attempt + 1 >= this.policy.attempts;
      let res: ResponseContext;
      let text: string;
      try {
        res = await this.http.send(ctx).toPromise();
        // Read the whole body inside the retry loop: a connection dropped mid-body is retried too.
        text = await res.body.text();
      } catch (err) {
        if (this.opts.signal?.aborted) throw new InterruptedError();
        const code = timeout.aborted ? 'ETIMEDOUT' : errorCode(err);
        if (!last && RETRYABLE_CODES.has(code)) {
          await sleep(retryDelayMs(this.policy, attempt, undefined), this.opts.signal);
          continue;
        }
        const reason = timeout.aborted ? `no response within ${this.opts.requestTimeoutMs} ms` : (err instanceof Error ? err.message : String(err));
        throw new ClusterUnreachableError(`cannot reach the cluster at ${this.identity.server} (context "${this.identity.context}"): ${reason}${attempt ? ` (after ${attempt + 1} attempts)` : ''}`);
      }
      if (!last && isRetryableStatus(res.httpStatusCode, text)) {
        await sleep(retryDelayMs(this.policy, attempt, res.headers['retry-after']), this.opts.signal);
        continue;
      }
      return { status: res.httpStatusCode, headers: res.headers, text };
    }
  }

  /** Sends the request and returns the parsed JSON body; throws KubeError for a non-2xx answer. */
  private async json<T>(spec: RequestSpec, action: string): Promise<T> {
    const res = await this.send(spec);
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.text) as T;
    throw this.error(res, action);
  }

  private error(res: Response, action: string): KubeError {
    let reason = '';
    let message = res.text.slice(0, 500);
    try {
      const status = JSON.parse(res.text) as { reason?: string; message?: string };
      reason = status.reason ?? '';
      message = status.message ?? message;
    } catch {
      // not a Status body: keep the text
    }
    if (res.status === 401) message = `${message || 'Unauthorized'} (the credentials of context "${this.identity.context}" were rejected)`;
    return new KubeError(res.status, reason, `${action}: ${message || `HTTP ${res.status}`}`);
  }

  private async resourceList(apiVersion: string, refresh: boolean): Promise<ResourceInfo[] | undefined> {
    let cached = this.discovery.get(apiVersion);
    if (!cached || refresh) {
      cached = (async () => {
        const res = await this.send({ method: HttpMethod.GET, path: groupVersionPath(apiVersion) });
        if (res.status === 404) return undefined;
        if (res.status < 200 || res.status >= 300) throw this.error(res, `discover ${apiVersion}`);
        const list = JSON.parse(res.text) as { resources?: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] };
        return (list.resources ?? [])
          .filter((r) => !r.name.includes('/'))
          .map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs }));
      })();
      this.discovery.set(apiVersion, cached);
      cached.catch(() => this.discovery.delete(apiVersion));
    }
    return cached;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const found = (await this.resourceList(apiVersion, false))?.find((r) => r.kind === kind);
    if (found) return found;
    // A kind missing from a cached list may have been served since (a CRD just became Established).
    return (await this.resourceList(apiVersion, true))?.find((r) => r.kind === kind);
  }

  async listableResources(): Promise<ResourceInfo[]> {
    const core = await this.json<{ versions: string[] }>({ method: HttpMethod.GET, path: '/api' }, 'discover /api');
    const groups = await this.json<{ groups: { versions: { groupVersion: string }[] }[] }>({ method: HttpMethod.GET, path: '/apis' }, 'discover /apis');
    const gvs = [...core.versions, ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
    const lists = await Promise.all(gvs.map((gv) => this.resourceList(gv, false)));
    return lists.flatMap((l) => l ?? []).filter((r) => r.verbs.includes('list'));
  }

  private async path(ref: { apiVersion: string; kind: string; namespace?: string; name?: string }, action: string): Promise<string> {
    const info = BUILTIN_RESOURCES.get(`${ref.apiVersion}|${ref.kind}`) ?? await this.resourceFor(ref.apiVersion, ref.kind);
    if (!info) throw new KubeError(404, 'NotFound', `${action}: the server does not serve ${ref.kind} (${ref.apiVersion}); are its CRDs installed?`);
    const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    return `${groupVersionPath(ref.apiVersion)}${ns}/${info.plural}${ref.name ? `/${encodeURIComponent(ref.name)}` : ''}`;
  }

  async serverVersion(): Promise<ServerVersion> {
    const v = await this.json<ServerVersion>({ method: HttpMethod.GET, path: '/version' }, 'read the server version');
    return { major: String(v.major).replace(/\D+$/, ''), minor: String(v.minor).replace(/\D+$/, ''), gitVersion: v.gitVersion };
  }

  async get<T extends K8sObject = K8sObject>(ref: ObjectRef): Promise<T | undefined> {
    const action = `get ${formatRef(ref)}`;
    // A built-in kind a server does not serve answers 404 as well, which means the same here.
    if (!BUILTIN_RESOURCES.has(`${ref.apiVersion}|${ref.kind}`) && !(await this.resourceFor(ref.apiVersion, ref.kind))) return undefined;
    const res = await this.send({ method: HttpMethod.GET, path: await this.path(ref, action) });
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw this.error(res, action);
    return JSON.parse(res.text) as T;
  }

  async *list<T extends K8sObject = K8sObject>(apiVersion: string, kind: string, opts: ListOptions = {}): AsyncIterable<T> {
    const action = `list ${kind}${opts.namespace ? ` in namespace ${opts.namespace}` : ''}`;
    const path = await this.path({ apiVersion, kind, namespace: opts.namespace }, action);
    let token: string | undefined;
    do {
      const page = await this.json<{ items?: T[]; metadata?: { continue?: string } }>({
        method: HttpMethod.GET, path,
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: String(opts.pageSize ?? 500), continue: token },
      }, action);
      // List items omit apiVersion/kind; put them back so every yielded object is self-describing.
      for (const item of page.items ?? []) yield { ...item, apiVersion, kind };
      token = page.metadata?.continue || undefined;
    } while (token);
  }

  async apply<T extends K8sObject = K8sObject>(obj: T, opts: ApplyOptions = {}): Promise<T> {
    return (await this.applyWithAnswer(obj, opts)).object;
  }

  async applyWithAnswer<T extends K8sObject = K8sObject>(obj: T, opts: ApplyOptions = {}): Promise<ApplyAnswer<T>> {
    const action = `apply ${formatRef(refOf(obj))}`;
    const res = await this.send({
      method: HttpMethod.PATCH,
      path: await this.path(refOf(obj), action),
      query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
    if (res.status < 200 || res.status >= 300) throw this.error(res, action);
    return { object: JSON.parse(res.text) as T, created: res.status === 201 };
  }

  async create<T extends K8sObject = K8sObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ref = refOf(obj);
    const action = `create ${formatRef(ref)}`;
    return this.json<T>({
      method: HttpMethod.POST,
      path: await this.path({ ...ref, name: undefined }, action),
      query: { fieldManager: FIELD_MANAGER, dryRun: opts.dryRun ? 'All' : undefined },
      body: obj,
    }, action);
  }

  async mergePatch<T extends K8sObject = K8sObject>(ref: ObjectRef, patch: object, opts: WriteOptions = {}): Promise<T> {
    const action = `patch ${formatRef(ref)}`;
    return this.json<T>({
      method: HttpMethod.PATCH,
      path: await this.path(ref, action),
      query: { fieldManager: FIELD_MANAGER, dryRun: opts.dryRun ? 'All' : undefined },
      body: patch,
      contentType: 'application/merge-patch+json',
    }, action);
  }

  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    const action = `delete ${formatRef(ref)}`;
    if (!BUILTIN_RESOURCES.has(`${ref.apiVersion}|${ref.kind}`) && !(await this.resourceFor(ref.apiVersion, ref.kind))) return false;
    const res = await this.send({
      method: HttpMethod.DELETE,
      path: await this.path(ref, action),
      query: { dryRun: opts.dryRun ? 'All' : undefined },
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagationPolicy ?? 'Background' },
    });
    if (res.status === 404) return false;
    if (res.status < 200 || res.status >= 300) throw this.error(res, action);
    return true;
  }

  async canI(verb: string, group: string, resource: string, namespace?: string): Promise<{ allowed: boolean; reason?: string }> {
    const review = await this.json<{ status?: { allowed?: boolean; reason?: string; evaluationError?: string } }>({
      method: HttpMethod.POST,
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) } },
      },
    }, `check permission to ${verb} ${group ? `${resource}.${group}` : resource}`);
    const allowed = review.status?.allowed === true;
    const reason = review.status?.reason || review.status?.evaluationError || undefined;
    return reason ? { allowed, reason } : { allowed };
  }
}
