/** The unused-rule checks of schema.ValidationAnalyzer.VirtualService (IST0130/IST0131), rule by rule. */
import { describe, expect, it } from 'vitest';
import { matchKey, unreachableRuleFindings } from '../../src/analyze/analyzers/virtualservice-unreachable-rules.js';

const route = [{ destination: { host: 'a' } }];
const texts = (spec: unknown): string[] => unreachableRuleFindings(spec).map((f) => `${f.kind} ${f.args.join(' | ')}`);

describe('unused VirtualService rules', () => {
  it('compares matches without their name and without zero values', () => {
    expect(matchKey({ name: 'x', uri: { prefix: '/a' }, ignoreUriCase: false })).toBe(matchKey({ uri: { prefix: '/a' } }));
    expect(matchKey({ headers: { b: { exact: '1' }, a: { exact: '2' } } })).toBe(matchKey({ headers: { a: { exact: '2' }, b: { exact: '1' } } }));
    expect(matchKey({ uri: { prefix: '/a' } })).not.toBe(matchKey({ uri: { exact: '/a' } }));
  });

  it('reports a later catch-all and every match after the first catch-all', () => {
    expect(texts({ http: [{ route }, { match: [{ uri: { exact: '/x' } }, { uri: { exact: '/y' } }], route }, { route }] })).toEqual([
      'unreachable #1 | route without matches defined before',
      'unreachable #1 | route without matches defined before',
      'unreachable #2 | only the last rule can have no matches',
    ]);
  });

  it('names rules and matches by their quoted names where HTTP gives them', () => {
    expect(texts({ http: [
      { name: 'first', match: [{ uri: { exact: '/x' } }], route },
      { name: 'second', match: [{ name: 'again', uri: { exact: '/x' } }, { uri: { exact: '/z' } }], route },
    ] })).toEqual(['ineffective "second" | "again" | "first"']);
  });

  it('finds prefixes covered by an earlier, shorter prefix with the same other conditions', () => {
    const m = (prefix: string, extra: object = {}): object => ({ match: [{ uri: { prefix }, ...extra }], route });
    expect(texts({ http: [m('/api'), m('/api/v1')] })).toEqual(['ineffective #1 | #0 of prefix /api/v1 | #0 of prefix /api on #0']);
    // A longer prefix first, a different method, port or header set: nothing is covered.
    expect(texts({ http: [m('/api/v1'), m('/api')] })).toEqual([]);
    expect(texts({ http: [m('/api', { method: { exact: 'POST' } }), m('/api/v1')] })).toEqual([]);
    expect(texts({ http: [m('/api', { port: 8080 }), m('/api/v1')] })).toEqual([]);
    expect(texts({ http: [m('/api', { headers: { h: { exact: 'v' } } }), m('/api/v1')] })).toEqual([]);
    // No method means GET: an explicit GET is covered.
    expect(texts({ http: [m('/api'), m('/api/v1', { method: { exact: 'GET' } })] })).toHaveLength(1);
    // A header value the earlier one starts with the later one's: covered.
    expect(texts({ http: [m('/api', { headers: { h: { prefix: 'ab' } } }), m('/api/v1', { headers: { h: { prefix: 'a' } } })] })).toHaveLength(1);
  });

  it('checks TCP and TLS rules for repeats and catch-alls, without names', () => {
    expect(texts({
      tcp: [{ match: [{ port: 1 }], route }, { match: [{ port: 1 }], route }],
      tls: [{ match: [{ sniHosts: ['a'] }], route }, { route }, { route }],
    })).toEqual([
      'ineffective #1 | #0 | #0',
      'unreachable #1 | all matches used by prior rules',
      'unreachable #2 | only the last rule can have no matches',
    ]);
  });
});
