/** Go-style durations for flags such as `--readiness-timeout 300s` (as istioctl's flags take them). */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Returns the duration in ms of a Go-style string: one or more `<number><unit>` parts with units
 * ms, s, m, h (`300s`, `5m`, `1m30s`, `1.5s`). A bare number is seconds. Throws UsageError naming
 * `flag` for anything else, or for a negative value.
 */
export function parseDuration(flag: string, text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(t); m; m = part.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = part.lastIndex;
  }
  if (!t || end !== t.length) throw new UsageError(`invalid ${flag} "${text}": use a duration such as 300s, 5m or 1m30s`);
  return Math.round(total);
}

/** Formats ms as Go does for whole units: `5m0s`, `300ms`, `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}
