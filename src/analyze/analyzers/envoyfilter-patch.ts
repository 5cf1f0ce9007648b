/**
 * envoyfilter.EnvoyPatchAnalyzer: EnvoyFilter patch operations that Istio ignores or may apply out
 * of order. Facts per Istio 1.30.3 analyzers/envoyfilter/envoyfilter.go:
 * - `ADD` on `ROUTE_CONFIGURATION` or `HTTP_ROUTE` is ignored (IST0153), so is `REMOVE` there
 *   (IST0154); `REPLACE` applies only to `HTTP_FILTER`, `NETWORK_FILTER` and `VIRTUAL_HOST`
 *   (IST0152);
 * - the relative operations (`REMOVE` and `REPLACE` where they apply, `INSERT_BEFORE`,
 *   `INSERT_AFTER`) in an EnvoyFilter without `priority` get IST0151, or IST0155 when an earlier
 *   patch with a `match.proxy.proxyVersion` targeted the same filter name. That name is the
 *   patch value's `name`, else, when the value has no `name`, the listener match's
 *   `filterChain.filter.name`; a name from a value never equals one from a match (upstream
 *   compares the protobuf text of the value's `name` with the match's plain string);
 * - names of proxyVersion patches accumulate over all EnvoyFilters in input order (upstream's
 *   order is its store's); a patch without `patch` ends the EnvoyFilter's checks;
 * - upstream finds no line for a patch value, so each message appears once per EnvoyFilter; meshctl
 *   reports each code once per EnvoyFilter too, at the first patch's `operation`.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES, type MessageType } from '../messages.js';
import { asList, field, type JsonMap } from '../resource.js';

/** `applyTo` values where ADD and REMOVE are ignored. */
const ROUTE_TARGETS: ReadonlySet<unknown> = new Set(['ROUTE_CONFIGURATION', 'HTTP_ROUTE']);
/** `applyTo` values REPLACE applies to. */
const REPLACEABLE: ReadonlySet<unknown> = new Set(['NETWORK_FILTER', 'HTTP_FILTER', 'VIRTUAL_HOST']);

/**
 * Returns the key a patch is compared by for IST0155: `value:` and the JSON of the patch value's
 * `name` when the value is a map holding one, else the listener match's filter name (`''` when
 * none), else `''`.
 */
export function patchTargetKey(patch: unknown): string {
  const value = field(field(patch, 'patch'), 'value');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return '';
  if (Object.hasOwn(value, 'name')) return `value:${JSON.stringify((value as JsonMap).name)}`;
  const filterChain = field(field(field(patch, 'match'), 'listener'), 'filterChain');
  if (filterChain === null || typeof filterChain !== 'object') return '';
  const name = field(field(filterChain, 'filter'), 'name');
  return typeof name === 'string' ? name : '';
}

function hasProxyVersion(patch: unknown): boolean {
  const v = field(field(field(patch, 'match'), 'proxy'), 'proxyVersion');
  return typeof v === 'string' && v !== '';
}

export const envoyPatchAnalyzer: Analyzer = {
  name: 'envoyfilter.EnvoyPatchAnalyzer',
  description: 'Flags EnvoyFilter patch operations that Istio ignores or may apply in an unstable order',
  inputs: [K.EnvoyFilter],
  messages: [
    MESSAGES.EnvoyFilterUsesRelativeOperation, MESSAGES.EnvoyFilterUsesReplaceOperationIncorrectly,
    MESSAGES.EnvoyFilterUsesAddOperationIncorrectly, MESSAGES.EnvoyFilterUsesRemoveOperationIncorrectly,
    MESSAGES.EnvoyFilterUsesRelativeOperationWithProxyVersion,
  ],
  analyze(ctx) {
    const versionedTargets = new Set<string>();
    for (const ef of ctx.list(K.EnvoyFilter)) {
      const priority = field(ef.object.spec, 'priority');
      const unprioritized = priority === undefined || priority === null || priority === 0;
      const reported = new Set<MessageType>();
      const report = (type: MessageType, i: number): void => {
        if (reported.has(type)) return;
        reported.add(type);
        ctx.report(type, { resource: ef, path: ['spec', 'configPatches', i, 'patch', 'operation'] });
      };
      const patches = asList(field(ef.object.spec, 'configPatches'));
      for (let i = 0; i < patches.length; i++) {
        const p = patches[i];
        const patch = field(p, 'patch');
        if (patch === undefined || patch === null) break;
        const target = patchTargetKey(p);
        const applyTo = field(p, 'applyTo');
        const relative = (): void => {
          if (!unprioritized) return;
          report(versionedTargets.has(target) ? MESSAGES.EnvoyFilterUsesRelativeOperationWithProxyVersion
            : MESSAGES.EnvoyFilterUsesRelativeOperation, i);
        };
        switch (field(patch, 'operation')) {
          case 'ADD':
            if (ROUTE_TARGETS.has(applyTo)) report(MESSAGES.EnvoyFilterUsesAddOperationIncorrectly, i);
            break;
          case 'REMOVE':
            if (ROUTE_TARGETS.has(applyTo)) report(MESSAGES.EnvoyFilterUsesRemoveOperationIncorrectly, i);
            else relative();
            break;
          case 'REPLACE':
            if (!REPLACEABLE.has(applyTo)) report(MESSAGES.EnvoyFilterUsesReplaceOperationIncorrectly, i);
            else relative();
            break;
          case 'INSERT_BEFORE':
          case 'INSERT_AFTER':
            relative();
            break;
          default:
            break;
        }
        if (hasProxyVersion(p)) versionedTargets.add(target);
      }
    }
  },
};
