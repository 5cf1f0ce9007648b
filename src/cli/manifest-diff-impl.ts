/** What `meshctl manifest diff` does, loaded only when it runs (apart from generate's code: it loads a diff library and colour). */
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { diffManifests, formatManifestDiff, summarizeManifestDiff } from '../manifest/diff.js';
import { loadObjects } from '../manifest/load.js';
import { toJson } from '../manifest/serialize.js';
import { readInputFiles } from './inputs.js';
import { colorDiff } from './style.js';

/** Compares two manifests object by object; sets exit code 1 on differences with --exit-code. */
export async function runManifestDiff(deps: Deps, a: string, b: string, opts: { output: 'text' | 'json'; exitCode: boolean; color: boolean }): Promise<void> {
  if (a === '-' && b === '-') throw new UsageError('only one side can be standard input ("-")');
  const files = await readInputFiles(deps, [a, b]);
  const [left, right] = files.map((f) => loadObjects(f.text, f.name)) as [ReturnType<typeof loadObjects>, ReturnType<typeof loadObjects>];
  const d = diffManifests(left, right);
  if (opts.output === 'json') deps.stdout.write(toJson(d));
  else {
    const text = formatManifestDiff(d, [a, b]);
    deps.stdout.write(opts.color ? colorDiff(text) : text);
  }
  deps.stderr.write(`${summarizeManifestDiff(d)}\n`);
  if (opts.exitCode && (d.added.length || d.removed.length || d.changed.length)) deps.exitCode = 1;
}
