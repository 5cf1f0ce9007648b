/**
 * webhook.Analyzer: Istio's sidecar injection webhooks must not overlap, and must point at a
 * Service that exists (IST0139). Facts per Istio 1.30.3 pkg/config/analysis/analyzers/webhook/webhook.go:
 * - a MutatingWebhookConfiguration takes part when it names a revision (label `istio.io/rev`, or
 *   `istio.io/rev` in a webhook's namespace or object selector, under matchLabels or as an
 *   expression's values) or has a webhook whose name ends in `istio.io`;
 * - overlap is tested on sample labels: namespaces with no label, `istio-injection` enabled or
 *   disabled, and each of those with `istio.io/rev` set to every revision found; objects likewise
 *   with `sidecar.istio.io/inject` "true"/"false". Where a namespace and an object sample both
 *   satisfy more than one webhook (an unset selector matches everything), each of them is reported
 *   with the others it overlaps (`<configuration>/<webhook>`, sorted);
 * - a webhook calling a Service (not a URL) whose namespace and name match no Service is reported.
 * A configuration gets one finding per distinct text, as Istio's de-duplication leaves it.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, labelsOf, type Resource } from '../resource.js';
import { labelSelectorMatches } from '../util/labels.js';

const REV = 'istio.io/rev';

/** One webhook of a configuration that takes part. */
interface Hook {
  resource: Resource;
  index: number;
  /** `<configuration>/<webhook>`, as the overlap text names it. */
  id: string;
  namespaceSelector: unknown;
  objectSelector: unknown;
  service: Record<string, unknown> | undefined;
}

/** Returns the revisions a configuration names (see the file comment). */
function revisionsOf(r: Resource): string[] {
  const out = new Set<string>();
  const own = labelsOf(r)[REV];
  if (own !== undefined) out.add(own);
  for (const wh of asList(field(r.object, 'webhooks'))) {
    for (const sel of [field(wh, 'namespaceSelector'), field(wh, 'objectSelector')]) {
      const fromLabels = field(field(sel, 'matchLabels'), REV);
      if (typeof fromLabels === 'string') out.add(fromLabels);
      for (const expr of asList(field(sel, 'matchExpressions'))) {
        if (field(expr, 'key') === REV) for (const v of asList(field(expr, 'values'))) if (typeof v === 'string') out.add(v);
      }
    }
  }
  return [...out];
}

/** Returns the sample label sets: the base ones, then each with `istio.io/rev` set to every revision. */
function samples(key: string, on: string, off: string, revisions: readonly string[]): Record<string, string>[] {
  const base = (): Record<string, string>[] => [{}, { [key]: on }, { [key]: off }];
  return [...base(), ...revisions.flatMap((rev) => base().map((b) => ({ ...b, [REV]: rev })))];
}

export const webhookAnalyzer: Analyzer = {
  name: 'webhook.Analyzer',
  description: 'Flags Istio injection webhooks that overlap one another or call a control plane Service that does not exist',
  inputs: [K.MutatingWebhookConfiguration, K.Service],
  messages: [MESSAGES.InvalidWebhook],
  analyze(ctx) {
    const hooks: Hook[] = [];
    const revisions = new Set<string>();
    for (const r of ctx.list(K.MutatingWebhookConfiguration)) {
      const webhooks = asList(field(r.object, 'webhooks'));
      const revs = revisionsOf(r);
      const istio = webhooks.some((wh) => String(field(wh, 'name') ?? '').endsWith('istio.io'));
      if (revs.length === 0 && !istio) continue;
      for (const rev of revs) revisions.add(rev);
      const config = r.namespace ? `${r.namespace}/${r.name}` : r.name;
      webhooks.forEach((wh, index) => {
        const service = field(field(wh, 'clientConfig'), 'service');
        hooks.push({
          resource: r, index, id: `${config}/${String(field(wh, 'name') ?? '')}`,
          namespaceSelector: field(wh, 'namespaceSelector'), objectSelector: field(wh, 'objectSelector'),
          service: service === undefined || service === null ? undefined : asMap(service),
        });
      });
    }
    const reported = new Set<string>();
    const report = (h: Hook, text: string): void => {
      const key = `${h.resource.name}\u0000${text}`;
      if (reported.has(key)) return;
      reported.add(key);
      ctx.report(MESSAGES.InvalidWebhook, { resource: h.resource, path: ['webhooks', h.index, 'name'] }, text);
    };

    const revs = [...revisions].sort();
    const namespaces = samples('istio-injection', 'enabled', 'disabled', revs);
    const objects = samples('sidecar.istio.io/inject', 'true', 'false', revs);
    for (const ns of namespaces) {
      for (const obj of objects) {
        const matched = hooks.filter((h) => labelSelectorMatches(h.namespaceSelector, ns) && labelSelectorMatches(h.objectSelector, obj));
        const ids = [...new Set(matched.map((h) => h.id))];
        if (ids.length < 2) continue;
        for (const h of matched) {
          const others = ids.filter((id) => id !== h.id).sort();
          report(h, `Webhook overlaps with others: [${others.join(' ')}]. This may cause injection to occur twice.`);
        }
      }
    }

    for (const h of hooks) {
      if (!h.service) continue;
      const ns = typeof h.service.namespace === 'string' ? h.service.namespace : '';
      const name = typeof h.service.name === 'string' ? h.service.name : '';
      if (!ctx.get(K.Service, ns, name)) {
        report(h, `Injector refers to a control plane service that does not exist: ${ns ? `${ns}/` : ''}${name}.`);
      }
    }
  },
};
