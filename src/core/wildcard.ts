// IAM-style wildcard matching (`*` any run of characters, `?` exactly one) without regular
// expressions: a backtracking regex takes time exponential in the number of `*`, and
// policies come from handlers and from keystrokes in the panel. This greedy matcher only
// ever returns to the last `*`, so it needs at most (pattern length + 1) × (value length + 1)
// steps, whatever the pattern.

export const ANY = 0;
export const ONE = 1;
/** One pattern position: a literal character (one UTF-16 unit), ANY (`*`) or ONE (`?`). */
export type WildcardToken = string | typeof ANY | typeof ONE;

/** Counts the matcher's steps, so tests can check the bound without a clock. */
export interface WildcardStats {
  steps: number;
}

/** Whether `tokens` match the whole of `value`. */
export function wildcardMatch(tokens: readonly WildcardToken[], value: string, ignoreCase = false, stats?: WildcardStats): boolean {
  const pattern = ignoreCase ? tokens.map((t) => (typeof t === 'string' ? t.toLowerCase() : t)) : tokens;
  const text = ignoreCase ? value.toLowerCase() : value;
  let p = 0;
  let v = 0;
  let starAt = -1;
  let starValue = 0;
  let steps = 0;
  while (v < text.length) {
    steps++;
    const t = pattern[p];
    if (p < pattern.length && (t === ONE || t === text[v])) {
      p++;
      v++;
    } else if (p < pattern.length && t === ANY) {
      starAt = p++;
      starValue = v;
    } else if (starAt >= 0) {
      // Let the last `*` take one more character and retry what follows it.
      p = starAt + 1;
      v = ++starValue;
    } else {
      if (stats) stats.steps += steps;
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === ANY) p++;
  if (stats) stats.steps += steps;
  return p === pattern.length;
}
