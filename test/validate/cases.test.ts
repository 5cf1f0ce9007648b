/**
 * Golden cases for `meshctl validate`: every `test/testdata/validate/cases/<name>.yaml` is validated
 * in-process and its exit code and stderr are compared with `<name>.out` (update with `vitest -u`).
 * Adding a case means dropping in a YAML file.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from '../helpers.js';

const casesDir = join(repoRoot, 'test/testdata/validate/cases');
const cases = readdirSync(casesDir).filter((f) => f.endsWith('.yaml')).sort();
// Paths as a user would type them, relative to the working directory, then shown without the
// directory so the goldens do not depend on where the tests run from.
const dirArg = relative(process.cwd(), casesDir) || '.';

describe('validate golden cases', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  it.each(cases)('%s', async (name) => {
    const r = await run(['validate', '-f', join(dirArg, name)]);
    expect(r.stdout).toBe('');
    const stderr = r.stderr.split(`${join(dirArg, name)}`).join(name);
    await expect(`exit ${r.code}\n${stderr}`).toMatchFileSnapshot(join(casesDir, name.replace(/\.yaml$/, '.out')));
  });
});
