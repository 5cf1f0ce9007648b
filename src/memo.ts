/**
 * Returns `fn` with its results kept by argument, in a map emptied when it reaches `limit`
 * entries: hot paths that meet the same texts again and again (quantities, scalars written by the
 * edit renderer) compute each once, and inputs seen once cannot make the map grow without bound.
 * `fn` must be pure.
 */
export function boundedMemo<T>(fn: (key: string) => T, limit: number): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    // One lookup on a hit; `has` only tells a kept undefined from a miss.
    const kept = memo.get(key);
    if (kept !== undefined || memo.has(key)) return kept as T;
    const value = fn(key);
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
    return value;
  };
}
