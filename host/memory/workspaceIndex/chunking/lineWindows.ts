/** Limits that keep chunks small enough to rank well and to fit many into a model's context. */
export const CHUNK_LIMITS = {
  windowLines: 60,
  overlapLines: 10,
  /** A symbol longer than this is split into windows (a class, into its members first). */
  maxSymbolLines: 120,
  maxChars: 6000,
} as const;

/** A range of 0-based rows, inclusive. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Overlapping windows over rows `start..end` of `lines`: at most `windowLines` rows and `maxChars` characters each
 * (a single longer row stands alone), consecutive windows sharing `overlapLines` rows.
 */
export function lineWindows(lines: readonly string[], range: RowRange): RowRange[] {
  const { windowLines, overlapLines, maxChars } = CHUNK_LIMITS;
  const windows: RowRange[] = [];
  let start = range.start;
  for (;;) {
    let end = start;
    let chars = lines[start]!.length;
    while (end < range.end && end - start + 1 < windowLines && chars + lines[end + 1]!.length + 1 <= maxChars) {
      end++;
      chars += lines[end]!.length + 1;
    }
    windows.push({ start, end });
    if (end >= range.end) return windows;
    start = Math.max(start + 1, end + 1 - overlapLines);
  }
}

/** Whether rows `range` hold more than the limits allow in one chunk. */
export function exceedsLimits(lines: readonly string[], range: RowRange, maxLines: number): boolean {
  if (range.end - range.start + 1 > maxLines) return true;
  let chars = 0;
  for (let row = range.start; row <= range.end; row++) chars += lines[row]!.length + 1;
  return chars > CHUNK_LIMITS.maxChars;
}
