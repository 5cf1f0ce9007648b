import { describe, expect, it } from 'vitest';
import { upgradeVerdict } from '../../src/kube/precheck.js';

describe('upgradeVerdict', () => {
  it('accepts the same version and an upgrade by one minor version', () => {
    expect(upgradeVerdict('1.30.3', '1.30.3')).toMatchObject({ within: true, text: expect.stringContaining('reconfigure') });
    expect(upgradeVerdict('1.30.1', '1.30.3').within).toBe(true);
    expect(upgradeVerdict('1.29.4', '1.30.3')).toMatchObject({ within: true, text: expect.stringContaining('upgrade within') });
  });
  it('rejects skipping minor versions and downgrades, saying what to do', () => {
    expect(upgradeVerdict('1.27.0', '1.30.3')).toMatchObject({ within: false, text: expect.stringContaining('skip 2 minor') });
    expect(upgradeVerdict('1.31.0', '1.30.3')).toMatchObject({ within: false, text: expect.stringContaining('downgrade') });
  });
  it('does not judge versions it cannot parse', () => {
    expect(upgradeVerdict('unknown', '1.30.3').within).toBe(true);
  });
});
