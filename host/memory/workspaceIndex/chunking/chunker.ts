import type { Chunk } from './chunk';
import { languageOf } from './languages';
import { CHUNK_LIMITS, exceedsLimits, lineWindows, type RowRange } from './lineWindows';
import { redactSecrets } from '../../../observability/redaction';
import { outline, type Outline, type OutlineItem } from './symbolOutline';
import type { SyntaxParsers } from './treeSitter';

/** Longer lines (minified code, data URLs) are cut: their tail would only add noise to ranking. */
const MAX_LINE_CHARS = 1000;
/** Declarations this short (one-line types, constants, overloads) are grouped with their short neighbours. */
const SHORT_ITEM_LINES = 3;
const MAX_LABEL_NAMES = 3;
/** A gap between symbols that holds only brackets, punctuation and blank lines is not worth a chunk. */
const CONTENTLESS = /^[\s{}()[\];,]*$/;

export interface ChunkedFile {
  readonly chunks: Chunk[];
  readonly redactions: number;
  /** Set when the file's grammar could not be used and it was chunked by line windows instead. */
  readonly syntaxError?: string;
}

/**
 * Splits a file into chunks: one per top-level declaration for TypeScript, JavaScript and Python (the comments just
 * above it included; a class too big for one chunk split into its members), line windows for other files and for the
 * code between declarations. Secrets are redacted first.
 */
export async function chunkFile(path: string, rawText: string, parsers: SyntaxParsers): Promise<ChunkedFile> {
  const { language, grammar } = languageOf(path);
  const { text, redactions } = redactSecrets(rawText, path);
  const lines = text.split('\n').map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line));
  const whole = { start: 0, end: lines.length - 1 };
  let parsed: Outline | undefined;
  let syntaxError: string | undefined;
  if (grammar) {
    try {
      const tree = await parsers.parse(grammar, text);
      try {
        parsed = outline(tree, grammar);
      } finally {
        tree.delete();
      }
    } catch (error) {
      syntaxError = (error as Error).message;
    }
  }
  const emitter = new ChunkEmitter(path, language, lines, parsed?.importRows ?? new Set());
  if (parsed) emitter.sequence(parsed.items, whole, undefined);
  else emitter.gap(whole, undefined);
  return { chunks: emitter.chunks, redactions, ...(syntaxError ? { syntaxError } : {}) };
}

function isShort(item: OutlineItem): boolean {
  return item.end - item.start + 1 <= SHORT_ITEM_LINES;
}

class ChunkEmitter {
  readonly chunks: Chunk[] = [];

  constructor(
    private readonly path: string,
    private readonly language: string,
    private readonly lines: readonly string[],
    /** Left out of chunks: see `Outline.importRows`. */
    private readonly skippedRows: ReadonlySet<number>,
  ) {}

  /** Each item in `range` as its own chunk; the rows between them as windows labelled `symbol` (the enclosing one). */
  sequence(items: readonly OutlineItem[], range: RowRange, symbol: string | undefined): void {
    let cursor = range.start;
    for (let i = 0; i < items.length; ) {
      const item = items[i]!;
      if (item.start > cursor) this.gap({ start: cursor, end: item.start - 1 }, symbol);
      let last = i;
      while (isShort(items[last]!) && items[last + 1] && isShort(items[last + 1]!) && items[last + 1]!.start - items[last]!.end <= 2) last++;
      if (last > i) this.shortRun(items.slice(i, last + 1));
      else this.item(item);
      cursor = items[last]!.end + 1;
      i = last + 1;
    }
    if (cursor <= range.end) this.gap({ start: cursor, end: range.end }, symbol);
  }

  /** Rows between declarations, as windows; import rows split the gap and are left out. */
  gap(range: RowRange, symbol: string | undefined): void {
    let start = range.start;
    for (let row = range.start; row <= range.end + 1; row++) {
      if (row <= range.end && !this.skippedRows.has(row)) continue;
      if (row > start) this.windows({ start, end: row - 1 }, symbol);
      start = row + 1;
    }
  }

  private windows(range: RowRange, symbol: string | undefined): void {
    let { start, end } = range;
    while (start <= end && !this.lines[start]!.trim()) start++;
    while (end >= start && !this.lines[end]!.trim()) end--;
    if (start > end) return;
    for (const window of lineWindows(this.lines, { start, end })) {
      const text = this.text(window);
      if (!CONTENTLESS.test(text)) this.push(window, symbol, text);
    }
  }

  private item(item: OutlineItem): void {
    if (!exceedsLimits(this.lines, item, CHUNK_LIMITS.maxSymbolLines)) {
      this.push(item, item.symbol, this.text(item));
    } else if (item.members.length > 0) {
      this.sequence(item.members, item, item.symbol);
    } else {
      for (const window of lineWindows(this.lines, item)) this.push(window, item.symbol, this.text(window));
    }
  }

  /** Adjacent short declarations share chunks, each labelled with the names it holds: one-line chunks rank badly. */
  private shortRun(run: readonly OutlineItem[]): void {
    for (const window of lineWindows(this.lines, { start: run[0]!.start, end: run.at(-1)!.end })) {
      const names = [...new Set(run.filter((i) => i.start <= window.end && i.end >= window.start).map((i) => i.symbol))];
      const label = names.length <= MAX_LABEL_NAMES ? names.join(', ') : `${names.slice(0, MAX_LABEL_NAMES).join(', ')} +${names.length - MAX_LABEL_NAMES} more`;
      this.push(window, label, this.text(window));
    }
  }

  private text(range: RowRange): string {
    return this.lines.slice(range.start, range.end + 1).join('\n');
  }

  private push(range: RowRange, symbol: string | undefined, text: string): void {
    this.chunks.push({
      path: this.path,
      startLine: range.start + 1,
      endLine: range.end + 1,
      ...(symbol !== undefined ? { symbol } : {}),
      language: this.language,
      text,
    });
  }
}
