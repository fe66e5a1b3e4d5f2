import { appendFile, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunFilter, RunSummary, SpanData, TraceSearchHit } from '../../protocol/trace';

/** How much of the past the store keeps: whichever limit is reached first drops the oldest traces. */
export interface TraceRetention {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export const DEFAULT_TRACE_RETENTION: TraceRetention = { maxBytes: 200 * 1024 * 1024, maxAgeMs: 30 * 24 * 60 * 60 * 1000 };

const INDEX = 'index.jsonl';
/** Lines wait this long in memory before they are appended, so a burst of spans is one write per trace. */
const FLUSH_MS = 100;
const MAX_SEARCH_HITS = 100;

/**
 * Every run's spans on disk, one JSON-lines file per trace under the host's storage folder, surviving reloads and
 * restarts. A span is written when it starts and when it ends (the updates in between are for the live view); the
 * root spans also go to `index.jsonl`, which lists the runs without reading their traces. Spans arrive redacted (the
 * tracer redacts as attributes are set). A torn last line, from a kill mid-write, is skipped when read.
 */
export class TraceStore {
  private readonly pending = new Map<string, string[]>();
  /** Per trace, the span snapshots already queued (`<spanId>:start`, `<spanId>:end`); forgotten when its root ends. */
  private readonly written = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;

  constructor(private readonly dir: string, private readonly retention: TraceRetention = DEFAULT_TRACE_RETENTION, private readonly log: (message: string) => void = () => undefined) {}

  /** Takes a span snapshot; never throws, and never waits for the disk. */
  record(span: SpanData): void {
    const key = `${span.spanId}:${span.endTime === undefined ? 'start' : 'end'}`;
    const written = this.written.get(span.traceId) ?? new Set<string>();
    if (written.has(key)) return;
    written.add(key);
    this.written.set(span.traceId, written);
    const line = `${JSON.stringify(span)}\n`;
    this.queue(`${span.traceId}.jsonl`, line);
    if (span.parentSpanId === undefined) {
      this.queue(INDEX, line);
      if (span.endTime !== undefined) this.written.delete(span.traceId);
    }
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is queued; resolves when it is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    const endedRuns = batch.some(([file, lines]) => file === INDEX && lines.some((l) => l.includes('"endTime"')));
    this.writing = this.writing.then(async () => {
      await this.open();
      for (const [file, lines] of batch) await appendFile(join(this.dir, file), lines.join(''));
      if (endedRuns) await this.prune();
    }).catch((error: unknown) => this.log(`trace store: not written (${(error as Error).message})`));
    return this.writing;
  }

  /** The runs kept, newest first, as their root spans last said. */
  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    await this.flush();
    const roots = fold(await this.lines(INDEX));
    const runs = roots.map(summarize).filter((run) => matches(run, filter));
    return runs.sort((a, b) => b.startTime - a.startTime).slice(0, filter.limit ?? 50);
  }

  /** One trace's spans, each as it was last recorded. */
  async trace(traceId: string): Promise<SpanData[]> {
    if (!/^[0-9a-f]{1,64}$/i.test(traceId)) throw new Error(`"${traceId}" is not a trace id.`);
    await this.flush();
    return fold(await this.lines(`${traceId}.jsonl`));
  }

  /** Spans of the kept runs whose name or attributes contain `text` (any case), newest runs first. */
  async search(text: string, limit = MAX_SEARCH_HITS): Promise<TraceSearchHit[]> {
    const needle = text.toLowerCase();
    const hits: TraceSearchHit[] = [];
    for (const run of await this.listRuns({ limit: 1000 })) {
      for (const span of await this.trace(run.traceId)) {
        const haystack = [span.name, span.statusMessage ?? '', ...Object.values(span.attributes).map(String)].join('\n');
        const at = haystack.toLowerCase().indexOf(needle);
        if (at < 0) continue;
        hits.push({ traceId: span.traceId, spanId: span.spanId, runId: run.runId, name: span.name, snippet: haystack.slice(Math.max(0, at - 60), at + needle.length + 60).replace(/\s+/g, ' ') });
        if (hits.length >= limit) return hits;
      }
    }
    return hits;
  }

  private queue(file: string, line: string): void {
    const lines = this.pending.get(file);
    if (lines) lines.push(line);
    else this.pending.set(file, [line]);
  }

  private open(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => this.prune());
    return this.ready;
  }

  private async lines(file: string): Promise<SpanData[]> {
    const text = await readFile(join(this.dir, file), 'utf8').catch(() => '');
    const spans: SpanData[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        spans.push(JSON.parse(line) as SpanData);
      } catch {
        // A line torn by a kill mid-write; the spans before it stand.
      }
    }
    return spans;
  }

  /** Drops traces past the age limit, then the oldest while the store is over its size, and rewrites the index. */
  private async prune(): Promise<void> {
    const files = (await readdir(this.dir)).filter((name) => name.endsWith('.jsonl') && name !== INDEX);
    const traces = await Promise.all(files.map(async (name) => ({ name, ...(await stat(join(this.dir, name))) })));
    traces.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const now = Date.now();
    let total = 0;
    const dropped = new Set<string>();
    for (const trace of traces) {
      total += trace.size;
      if (now - trace.mtimeMs > this.retention.maxAgeMs || total > this.retention.maxBytes) dropped.add(trace.name.slice(0, -'.jsonl'.length));
    }
    if (dropped.size === 0) return;
    await Promise.all([...dropped].map((traceId) => unlink(join(this.dir, `${traceId}.jsonl`)).catch(() => undefined)));
    const kept = (await this.lines(INDEX)).filter((span) => !dropped.has(span.traceId));
    const temporary = join(this.dir, `${INDEX}.tmp`);
    await writeFile(temporary, kept.map((span) => `${JSON.stringify(span)}\n`).join(''));
    await rename(temporary, join(this.dir, INDEX));
  }
}

/** The last snapshot of each span, in the order spans first appeared. */
function fold(snapshots: readonly SpanData[]): SpanData[] {
  const spans = new Map<string, SpanData>();
  for (const span of snapshots) spans.set(span.spanId, span);
  return [...spans.values()];
}

function summarize(root: SpanData): RunSummary {
  const a = root.attributes;
  const text = (key: string) => (typeof a[key] === 'string' ? (a[key] as string) : undefined);
  const number = (key: string) => (typeof a[key] === 'number' ? (a[key] as number) : undefined);
  return {
    traceId: root.traceId,
    runId: text('keel.run.id') ?? root.traceId,
    goal: text('keel.run.goal') ?? root.name,
    agent: text('gen_ai.agent.name') ?? 'keel',
    // A root that never ended belongs to a host that died during the run.
    outcome: text('keel.run.outcome') ?? (root.endTime === undefined ? 'interrupted' : root.status === 'ok' ? 'succeeded' : 'failed'),
    startTime: root.startTime,
    ...(root.endTime !== undefined ? { endTime: root.endTime } : {}),
    costUsd: number('keel.cost.usd') ?? 0,
    inputTokens: number('gen_ai.usage.input_tokens') ?? 0,
    outputTokens: number('gen_ai.usage.output_tokens') ?? 0,
  };
}

function matches(run: RunSummary, filter: RunFilter): boolean {
  return (
    (filter.outcome === undefined || run.outcome === filter.outcome) &&
    (filter.agent === undefined || run.agent === filter.agent) &&
    (filter.since === undefined || run.startTime >= filter.since) &&
    (filter.minCostUsd === undefined || run.costUsd >= filter.minCostUsd)
  );
}
