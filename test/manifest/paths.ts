/** Paths into plain data, for tests that compare positions or values path by path. */

/** A path into plain data: map keys and list indexes. */
export type Path = (string | number)[];

/** Returns every path into `data` (maps and lists), the root included, plus one missing key per map. */
export function pathsOf(data: unknown, base: Path = [], out: Path[] = []): Path[] {
  out.push(base);
  if (Array.isArray(data)) data.forEach((v, i) => pathsOf(v, [...base, i], out));
  else if (data !== null && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) pathsOf(v, [...base, k], out);
    out.push([...base, '\u0000missing']);
  }
  return out;
}
