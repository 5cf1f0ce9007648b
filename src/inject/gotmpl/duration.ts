/**
 * Go's time.Duration text forms: time.ParseDuration and Duration.String, on int64 nanoseconds
 * (BigInt, so the full range is exact).
 */

const units: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1000n],
  ['\u00b5s', 1000n], // U+00B5 micro sign
  ['\u03bcs', 1000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const maxDuration = 1n << 63n;

/**
 * Returns time.ParseDuration(s) in nanoseconds, or undefined where Go returns an error
 * ("1h30m", "1.5s", "-2ms", "0"; units ns, us, µs, ms, s, m, h).
 */
export function parseDuration(s: string): bigint | undefined {
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) return undefined;
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    let v = intPart === '' ? 0n : BigInt(intPart);
    if (v > maxDuration) return undefined;
    const pre = intPart.length > 0;
    let post = false;
    let f = 0;
    let scale = 1;
    if (s[0] === '.') {
      s = s.slice(1);
      const frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      post = frac.length > 0;
      let overflow = false;
      for (const c of frac) {
        if (overflow) continue;
        if (f > (2 ** 63 - 1) / 10) {
          overflow = true;
          continue;
        }
        f = f * 10 + Number(c);
        scale *= 10;
      }
    }
    if (!pre && !post) return undefined;
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') return undefined;
    s = s.slice(unitText.length);
    const unit = units.get(unitText);
    if (unit === undefined) return undefined;
    if (v > maxDuration / unit) return undefined;
    v *= unit;
    if (f > 0) {
      v += BigInt(Math.trunc(f * (Number(unit) / scale)));
      if (v > maxDuration) return undefined;
    }
    d += v;
    if (d > maxDuration) return undefined;
  }
  if (neg) return -d;
  if (d > maxDuration - 1n) return undefined;
  return d;
}

/** Prints v / 10^prec without trailing zeros (Go's fmtFrac); returns the fraction text and v / 10^prec. */
function frac(v: bigint, prec: number): [string, bigint] {
  let out = '';
  let printed = false;
  for (let k = 0; k < prec; k++) {
    const digit = v % 10n;
    printed = printed || digit !== 0n;
    if (printed) out = digit.toString() + out;
    v /= 10n;
  }
  return [printed ? `.${out}` : '', v];
}

/** Returns Duration.String() of a duration in nanoseconds: "1h2m3.5s", "150ms", "0s". */
export function formatDuration(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let prec: number;
    let unit: string;
    if (u < 1000n) {
      prec = 0;
      unit = 'ns';
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = '\u00b5s';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [f, rest] = frac(u, prec);
    out = `${rest}${f}${unit}`;
  } else {
    const [f, secs] = frac(u, 9);
    u = secs;
    out = `${u % 60n}${f}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
