/**
 * Kubernetes resource quantities in canonical form ("2000m" -> "2", "1024Mi" -> "1Gi",
 * "0.5" -> "500m"), as k8s.io/apimachinery's resource.Quantity prints them. Injected resources go
 * through that type in istiod, so meshctl prints them the same way. Own code: no maintained npm
 * package implements Quantity's canonical form.
 */
import { boundedMemo } from '../memo.js';

const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** An exact decimal: value = mantissa * 10^exponent. */
interface Decimal { mantissa: bigint; exponent: number }

function normalize(d: Decimal): Decimal {
  if (d.mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  let { mantissa, exponent } = d;
  while (mantissa % 10n === 0n) { mantissa /= 10n; exponent += 1; }
  return { mantissa, exponent };
}

/**
 * Returns the canonical form of a quantity string, or the input unchanged when it is not a
 * valid quantity (the API server would reject it; injection leaves that to it). Values finer than
 * 1n are rounded up, as Kubernetes does. Kept by text: a file repeats the same few quantities.
 */
export const canonicalQuantity = boundedMemo(canonicalForm, 10_000);

function canonicalForm(input: string): string {
  const m = PATTERN.exec(input.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return input;
  const [, sign, whole = '', frac = '', suffix, exp] = m;
  let value: Decimal = { mantissa: BigInt((whole || '0') + frac), exponent: -frac.length };
  const negative = sign === '-';
  let binary = false;
  if (suffix !== undefined && suffix in BINARY) {
    binary = true;
    value = { mantissa: value.mantissa * (1n << BigInt(BINARY[suffix]!)), exponent: value.exponent };
  } else if (suffix !== undefined) {
    value = { mantissa: value.mantissa, exponent: value.exponent + DECIMAL[suffix]! };
  } else if (exp !== undefined) {
    value = { mantissa: value.mantissa, exponent: value.exponent + Number(exp) };
  }
  value = normalize(value);
  // Round up below nano precision.
  if (value.exponent < -9) {
    const scale = 10n ** BigInt(-9 - value.exponent);
    value = normalize({ mantissa: (value.mantissa + scale - 1n) / scale, exponent: -9 });
  }
  const prefix = negative && value.mantissa !== 0n ? '-' : '';
  if (exp !== undefined && suffix === undefined) return prefix + decimalExponentForm(value);
  if (binary && value.exponent >= 0) {
    const integer = value.mantissa * 10n ** BigInt(value.exponent);
    if (integer >= 1024n) {
      let i = 0;
      let n = integer;
      while (i < BINARY_SUFFIX.length - 1 && n % 1024n === 0n) { n /= 1024n; i += 1; }
      return prefix + n.toString() + BINARY_SUFFIX[i];
    }
  }
  return prefix + decimalSIForm(value);
}

function decimalSIForm(value: Decimal): string {
  if (value.mantissa === 0n) return '0';
  // Largest exponent that is a multiple of 3, at most value.exponent rounded down, at most 18.
  let e3 = Math.floor(value.exponent / 3) * 3;
  if (e3 > 18) e3 = 18;
  const mantissa = value.mantissa * 10n ** BigInt(value.exponent - e3);
  return mantissa.toString() + DECIMAL_SUFFIX[e3]!;
}

function decimalExponentForm(value: Decimal): string {
  if (value.mantissa === 0n) return '0';
  const e3 = Math.floor(value.exponent / 3) * 3;
  const mantissa = value.mantissa * 10n ** BigInt(value.exponent - e3);
  return e3 === 0 ? mantissa.toString() : `${mantissa.toString()}e${e3}`;
}
