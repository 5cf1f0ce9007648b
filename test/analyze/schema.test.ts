/** IST0106 findings carry the schema message and point at the offending node. */
import { describe, expect, it } from 'vitest';
import { analyzeTestFiles } from './harness.js';

describe('schema.ValidationAnalyzer', () => {
  it('points an unknown field at its key and a bad value at the value', async () => {
    const result = await analyzeTestFiles(['schema-istio-kinds.yaml'], ['schema.ValidationAnalyzer']);
    const byOrigin = (kind: string) => result.findings.filter((f) => f.resource?.kind === kind && f.resource.name === 'bad');
    const [sidecar] = byOrigin('Sidecar');
    expect(sidecar!.message).toBe('Schema validation error: unknown field "spec.egres"');
    expect(sidecar!.position).toMatchObject({ line: 147, column: 3 });
    const [dr] = byOrigin('DestinationRule');
    expect(dr!.message).toMatch(/^Schema validation error: spec\.trafficPolicy\.tls\.mode: Unsupported value: "STRICTT"/);
    expect(dr!.position).toMatchObject({ line: 37, column: 13 });
    expect(dr!.path).toEqual(['spec', 'trafficPolicy', 'tls', 'mode']);
  });
});
