/**
 * Registry and catalog meta-tests: every analyzer file is registered, names and descriptions are
 * unique, every analyzer and every message it declares is exercised by the grid, analyzers read
 * only declared kinds, and the catalog agrees with Istio 1.30.3's codes and levels.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../src/analyze/analyzer.js';
import { ISTIO_CODES, MESSAGES, formatMessage } from '../../src/analyze/messages.js';
import { ANALYZERS, selectAnalyzers } from '../../src/analyze/registry.js';
import { repoRoot } from '../helpers.js';
import { GRID } from './grid.js';
import { analyzeTestFiles, analyzeTestdata } from './harness.js';

const analyzerDir = join(repoRoot, 'src', 'analyze', 'analyzers');

function isAnalyzer(v: unknown): v is Analyzer {
  return typeof v === 'object' && v !== null && typeof (v as Analyzer).analyze === 'function' && typeof (v as Analyzer).name === 'string';
}

describe('analyzer registry', () => {
  it('registers every analyzer exported from src/analyze/analyzers/', async () => {
    const exported: Analyzer[] = [];
    for (const file of readdirSync(analyzerDir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(join(analyzerDir, file))) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        if (isAnalyzer(v)) exported.push(v);
        if (Array.isArray(v)) exported.push(...v.filter(isAnalyzer));
      }
    }
    expect(exported.length).toBeGreaterThan(0);
    for (const a of exported) expect(ANALYZERS, a.name).toContain(a);
  });

  it('keeps names and descriptions unique and non-empty, sorted by name', () => {
    const names = ANALYZERS.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
    for (const a of ANALYZERS) {
      expect(a.description.trim(), a.name).not.toBe('');
      expect(a.inputs.length, a.name).toBeGreaterThan(0);
      expect(a.messages.length, a.name).toBeGreaterThan(0);
    }
    const descriptions = ANALYZERS.map((a) => a.description);
    expect(new Set(descriptions).size).toBe(descriptions.length);
  });

  it('exercises every analyzer and every message it declares in the grid', () => {
    for (const a of ANALYZERS) {
      const rows = GRID.filter((r) => r.analyzer === a.name);
      expect(rows.length, `${a.name} has no grid row`).toBeGreaterThan(0);
      const codes = new Set(rows.flatMap((r) => r.expected.map(([code]) => code)));
      for (const m of a.messages) expect(codes.has(m.code), `${a.name}: no grid row expects ${m.code}`).toBe(true);
    }
  });

  it('runs every analyzer over every test input reading only declared kinds', async () => {
    const files = readdirSync(analyzeTestdata, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('bad'));
    // strictInputs makes the context throw on an undeclared kind or message.
    const result = await analyzeTestFiles(files, ANALYZERS.map((a) => a.name));
    expect(result.analyzers).toEqual(ANALYZERS.map((a) => a.name));
  });

  it('selects analyzers by name or family prefix and names unknown ones', () => {
    expect(selectAnalyzers(['service.PortNameAnalyzer']).analyzers.map((a) => a.name)).toEqual(['service.PortNameAnalyzer']);
    expect(selectAnalyzers(['service']).analyzers.map((a) => a.name)).toEqual(['service.PortNameAnalyzer', 'service.PortProtocolAnalyzer']);
    expect(selectAnalyzers(['service.Port']).unknown).toEqual(['service.Port']);
  });

  it('leaves opt-in analyzers out of a default run and selects them only by full name', () => {
    expect(selectAnalyzers([]).analyzers.map((a) => a.name)).toEqual(ANALYZERS.filter((a) => !a.optIn).map((a) => a.name));
    expect(selectAnalyzers([]).analyzers.map((a) => a.name)).not.toContain('annotations.AlphaAnalyzer');
    expect(selectAnalyzers(['annotations']).analyzers.map((a) => a.name)).toEqual(['annotations.K8sAnalyzer']);
    expect(selectAnalyzers(['annotations.AlphaAnalyzer']).analyzers.map((a) => a.name)).toEqual(['annotations.AlphaAnalyzer']);
  });
});

describe('message catalog', () => {
  const entries = Object.entries(MESSAGES);

  it('has unique codes, and every IST code is one of Istio 1.30.3', () => {
    const codes = entries.map(([, m]) => m.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, m] of entries) {
      expect(m.name).toBe(name);
      if (m.code.startsWith('IST')) expect(ISTIO_CODES.has(m.code), m.code).toBe(true);
      else expect(m.code).toMatch(/^MSH\d{4}$/);
    }
  });

  it('keeps Istio 1.30.3 levels for the codes meshctl reports', () => {
    // Levels from istio-1.30.3 messages.yaml.
    const upstream: Record<string, string> = {
      IST0101: 'Error', IST0102: 'Info', IST0103: 'Warning', IST0106: 'Error', IST0107: 'Warning', IST0108: 'Warning',
      IST0109: 'Error', IST0110: 'Error', IST0111: 'Error', IST0112: 'Error', IST0116: 'Warning', IST0118: 'Info',
      IST0123: 'Warning', IST0125: 'Warning', IST0132: 'Warning', IST0135: 'Info', IST0137: 'Warning', IST0144: 'Warning',
      IST0145: 'Error', IST0148: 'Info', IST0150: 'Warning', IST0162: 'Warning', IST0173: 'Error', IST0174: 'Warning',
      IST0127: 'Warning', IST0128: 'Warning', IST0129: 'Warning', IST0134: 'Warning', IST0138: 'Warning', IST0149: 'Error',
      IST0151: 'Warning', IST0152: 'Error', IST0153: 'Error', IST0154: 'Error', IST0155: 'Warning', IST0161: 'Error',
      IST0175: 'Warning',
      IST0002: 'Warning', IST0146: 'Warning', IST0147: 'Error', IST0157: 'Warning', IST0158: 'Warning', IST0159: 'Error',
      IST0160: 'Error', IST0163: 'Warning', IST0164: 'Info', IST0166: 'Warning', IST0176: 'Warning',
      IST0126: 'Error', IST0130: 'Warning', IST0131: 'Info', IST0136: 'Info', IST0139: 'Error', IST0140: 'Warning',
      IST0165: 'Warning', IST0167: 'Warning', IST0171: 'Warning',
    };
    for (const [, m] of entries) if (m.code.startsWith('IST')) expect(m.level, m.code).toBe(upstream[m.code]);
  });

  it('formats Go verbs as istioctl prints them', () => {
    expect(formatMessage('Referenced %s not found: %q', ['gateway', 'bogus'])).toBe('Referenced gateway not found: "bogus"');
    expect(formatMessage('ports %v, port %d', [['http', 'grpc'], 80])).toBe('ports [http grpc], port 80');
    expect(formatMessage('%s and %s', ['one'])).toBe('one and %!s(MISSING)');
    expect(formatMessage('100%% %q', ['a"b'])).toBe('100% "a\\"b"');
  });
});
