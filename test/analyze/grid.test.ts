/**
 * The analyzer grid: for each row, the analyzer run over the input files reports exactly the
 * expected `[code, origin]` multiset. Rows live in grid-*.ts files, one per area; the inputs hold
 * good and bad objects side by side, so a row fails both on a missed and on a false finding.
 */
import { describe, expect, it } from 'vitest';
import { GRID } from './grid.js';
import { analyzeTestFiles, byPair, codeOrigins } from './harness.js';

describe('analyzer grid', () => {
  for (const row of GRID) {
    it(`${row.analyzer} on ${row.files.join(' + ')}`, async () => {
      const result = await analyzeTestFiles(row.files, [row.analyzer], row.meshConfigFile, row.meshNetworksFile);
      expect(result.problems).toEqual([]);
      expect(codeOrigins(result)).toEqual([...row.expected].sort(byPair));
    });
  }
});
