/**
 * Reads past runs from the trace store's files for the metrics, once per host: `index.jsonl` for the runs, then their
 * trace files, newest first, for the model and tool calls. Bounded by age (the metrics' seven days) and by bytes read,
 * and it yields to the event loop between files, so a large store never holds up a request or a ping. It reads the
 * files as `traceStore.ts` writes them (one span snapshot per line, the last one standing) and skips what it cannot
 * parse.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SpanData } from '../../protocol/trace';
import { KEPT_MS } from './metrics';

/** Trace files past this total are left out: their runs still count, their model and tool calls do not. */
const MAX_HISTORY_BYTES = 64 * 1024 * 1024;
/** Lines longer than this hold content, not a span the metrics need. */
const MAX_LINE_CHARS = 256 * 1024;

export interface HistoryOptions {
  readonly maxBytes?: number;
  readonly now?: () => number;
}

/** A `readHistory` for `RunMetrics` over the trace store in `dir`. */
export function traceStoreHistory(dir: string, options: HistoryOptions = {}): (before: number, take: (span: SpanData) => void) => Promise<void> {
  return async (before, take) => {
    const since = (options.now?.() ?? Date.now()) - KEPT_MS;
    let budget = options.maxBytes ?? MAX_HISTORY_BYTES;
    const roots = (await spansIn(join(dir, 'index.jsonl'))).filter((root) => (root.endTime ?? root.startTime) >= since && root.startTime < before);
    roots.sort((a, b) => b.startTime - a.startTime);
    for (const root of roots) {
      await yieldToEventLoop();
      const file = join(dir, `${root.traceId}.jsonl`);
      const size = await stat(file).then((s) => s.size, () => 0);
      if (size > budget) {
        take(root);
        continue;
      }
      budget -= size;
      const spans = await spansIn(file);
      // The root as the index has it, should its trace file have lost it.
      if (!spans.some((span) => span.spanId === root.spanId)) take(root);
      for (const span of spans) take(span);
    }
  };
}

/** The last snapshot of each span in a JSON-lines file; an unreadable file or line is skipped. */
async function spansIn(file: string): Promise<SpanData[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const spans = new Map<string, SpanData>();
  for (const line of text.split('\n')) {
    if (!line || line.length > MAX_LINE_CHARS) continue;
    try {
      const span = JSON.parse(line) as unknown;
      if (isSpan(span)) spans.set(span.spanId, span);
    } catch {
      // A line torn by a kill mid-write.
    }
  }
  return [...spans.values()];
}

function isSpan(value: unknown): value is SpanData {
  if (typeof value !== 'object' || value === null) return false;
  const span = value as Partial<Record<keyof SpanData, unknown>>;
  return typeof span.traceId === 'string' && typeof span.spanId === 'string' && typeof span.operation === 'string' && typeof span.name === 'string' &&
    typeof span.startTime === 'number' && (span.endTime === undefined || typeof span.endTime === 'number') &&
    (span.parentSpanId === undefined || typeof span.parentSpanId === 'string') && typeof span.attributes === 'object' && span.attributes !== null;
}
