import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as l10n from '@vscode/l10n';
import type { RunFilter, RunSummary, SpanContent, SpanData, TraceSearchHit } from '../../protocol/trace';
import type { RecordedContent } from './spanContent';

/** How much of the past the store keeps: whichever limit is reached first drops the oldest traces. */
export interface TraceRetention {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export const DEFAULT_TRACE_RETENTION: TraceRetention = traceRetention({ maxSizeMb: 200, maxAgeDays: 30 });

/** The retention `keel.traces.maxSizeMb` and `keel.traces.maxAgeDays` ask for. */
export function traceRetention(settings: { readonly maxSizeMb: number; readonly maxAgeDays: number }): TraceRetention {
  return { maxBytes: settings.maxSizeMb * 1024 * 1024, maxAgeMs: settings.maxAgeDays * 24 * 60 * 60 * 1000 };
}

const INDEX = 'index.jsonl';
const CONTENT = '.content.jsonl';
/** The models a run's chat spans used, kept on its root span's line in the index so listing reads no trace. */
const MODELS_ATTRIBUTE = 'keel.run.models';
const MODEL_ATTRIBUTES = ['gen_ai.request.model', 'gen_ai.response.model'];
/** Lines wait this long in memory before they are appended, so a burst of spans is one write per trace. */
const FLUSH_MS = 100;
const MAX_SEARCH_HITS = 100;

/**
 * Every run's spans on disk, one JSON-lines file per trace under the host's storage folder, surviving reloads and
 * restarts. A span is written when it starts and when it ends (the updates in between are for the live view); the
 * root spans also go to `index.jsonl`, which lists the runs without reading their traces. A span's content (prompts,
 * answers, arguments, results) is appended once, at its end, to `<traceId>.content.jsonl`, and read only when the
 * viewer opens that span. Spans and content arrive redacted (the tracer redacts as they are set). A torn last line,
 * from a kill mid-write, is skipped when read.
 */
export class TraceStore {
  private readonly pending = new Map<string, string[]>();
  /** Per trace, the span snapshots already queued (`<spanId>:start`, `<spanId>:end`); forgotten when its root ends. */
  private readonly written = new Map<string, Set<string>>();
  /** Per running trace, the models its chat spans used so far; written on the root's last line. */
  private readonly models = new Map<string, Set<string>>();
  /** Files this process has appended to; each was checked once for a line torn by an earlier kill. */
  private readonly appended = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;

  constructor(private readonly dir: string, private readonly retention: TraceRetention = DEFAULT_TRACE_RETENTION, private readonly log: (message: string) => void = () => undefined) {}

  /** Takes a span snapshot, and with its end its content; never throws, and never waits for the disk. */
  record(span: SpanData, content?: RecordedContent): void {
    const ended = span.endTime !== undefined;
    const key = `${span.spanId}:${ended ? 'end' : 'start'}`;
    const written = this.written.get(span.traceId) ?? new Set<string>();
    if (written.has(key)) return;
    written.add(key);
    this.written.set(span.traceId, written);
    if (ended && span.operation === 'chat') this.noteModels(span);
    let line: string;
    if (span.parentSpanId === undefined && ended) {
      const models = this.models.get(span.traceId);
      line = `${JSON.stringify(models ? { ...span, attributes: { ...span.attributes, [MODELS_ATTRIBUTE]: JSON.stringify([...models]) } } : span)}\n`;
      this.written.delete(span.traceId);
      this.models.delete(span.traceId);
    } else {
      line = `${JSON.stringify(span)}\n`;
    }
    this.queue(`${span.traceId}.jsonl`, line);
    if (span.parentSpanId === undefined) this.queue(INDEX, line);
    // The content is JSON already; the span id leads the line so that a lookup finds it without parsing the others.
    if (ended && content) this.queue(`${span.traceId}${CONTENT}`, `{"spanId":${JSON.stringify(span.spanId)},"content":${content.json}}\n`);
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
      for (const [file, lines] of batch) {
        const path = join(this.dir, file);
        // A line torn by a kill has no line break: the first line appended after it starts on a line of its own.
        const heal = !this.appended.has(file) && (await endsTorn(path));
        this.appended.add(file);
        await appendFile(path, `${heal ? '\n' : ''}${lines.join('')}`);
      }
      if (endedRuns) await this.prune();
    }).catch((error: unknown) => this.log(`trace store: not written (${(error as Error).message})`));
    return this.writing;
  }

  /** The runs kept, newest first, as their root spans last said. */
  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    await this.flush();
    const roots = fold(await this.lines(INDEX));
    const runs: RunSummary[] = [];
    for (const root of roots) {
      const run = summarize(root);
      runs.push(run.models || root.endTime !== undefined ? run : { ...run, models: await this.modelsSoFar(root.traceId) });
    }
    return runs.filter((run) => matches(run, filter)).sort((a, b) => b.startTime - a.startTime).slice(0, filter.limit ?? 50);
  }

  /**
   * The models of a run whose root has not ended: still running (known here), or interrupted by a host that died,
   * read from its trace. Only those runs cost a read.
   */
  private async modelsSoFar(traceId: string): Promise<string[]> {
    const live = this.models.get(traceId);
    if (live) return [...live];
    const models = new Set<string>();
    if (!TRACE_ID.test(traceId)) return [];
    for (const span of await this.lines(`${traceId}.jsonl`)) {
      if (span.operation !== 'chat') continue;
      for (const key of MODEL_ATTRIBUTES) if (typeof span.attributes?.[key] === 'string' && span.attributes[key]) models.add(span.attributes[key]);
    }
    return [...models];
  }

  /** One trace's spans, each as it was last recorded. */
  async trace(traceId: string): Promise<SpanData[]> {
    checkTraceId(traceId);
    await this.flush();
    return fold(await this.lines(`${traceId}.jsonl`));
  }

  /** The content kept for one span; null when it recorded none, its trace was pruned, or its line was torn. */
  async spanContent(traceId: string, spanId: string): Promise<SpanContent | null> {
    checkTraceId(traceId);
    if (!SPAN_ID.test(spanId)) throw new Error(l10n.t('"{0}" is not a span id.', spanId));
    await this.flush();
    const prefix = `{"spanId":"${spanId}",`;
    let found: string | undefined;
    await this.eachLine(`${traceId}${CONTENT}`, (line) => {
      if (line.startsWith(prefix)) found = line;
    });
    if (found === undefined) return null;
    try {
      return (JSON.parse(found) as { content: SpanContent }).content;
    } catch {
      return null;
    }
  }

  /**
   * Spans of the kept runs whose name, attributes or content contain `text` (any case), newest runs first. Content is
   * searched in its JSON text, so only the lines that match are parsed.
   */
  async search(text: string, limit = MAX_SEARCH_HITS): Promise<TraceSearchHit[]> {
    const needle = text.toLowerCase();
    // As the needle reads inside a JSON string: quotes, backslashes and line breaks escaped.
    const escaped = JSON.stringify(needle).slice(1, -1);
    const hits: TraceSearchHit[] = [];
    for (const run of await this.listRuns({ limit: 1000 })) {
      const spans = await this.trace(run.traceId);
      const hit = new Set<string>();
      for (const span of spans) {
        const haystack = [span.name, span.statusMessage ?? '', ...Object.values(span.attributes).map(String)].join('\n');
        const snippet = around(haystack, needle);
        if (snippet === undefined) continue;
        hit.add(span.spanId);
        hits.push({ traceId: span.traceId, spanId: span.spanId, runId: run.runId, name: span.name, snippet });
        if (hits.length >= limit) return hits;
      }
      const names = new Map(spans.map((span) => [span.spanId, span.name]));
      const found: TraceSearchHit[] = [];
      await this.eachLine(`${run.traceId}${CONTENT}`, (line) => {
        if (hits.length + found.length >= limit || !line.toLowerCase().includes(escaped)) return;
        const entry = parseContentLine(line);
        if (!entry || hit.has(entry.spanId)) return;
        const snippet = around(stringsOf(entry.content).join('\n'), needle);
        if (snippet === undefined) return;
        hit.add(entry.spanId);
        found.push({ traceId: run.traceId, spanId: entry.spanId, runId: run.runId, name: names.get(entry.spanId) ?? entry.spanId, snippet });
      });
      hits.push(...found);
      if (hits.length >= limit) return hits;
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

  private noteModels(span: SpanData): void {
    const models = this.models.get(span.traceId) ?? new Set<string>();
    for (const key of MODEL_ATTRIBUTES) {
      const model = span.attributes[key];
      if (typeof model === 'string' && model) models.add(model);
    }
    if (models.size) this.models.set(span.traceId, models);
  }

  /** Calls `each` with every line of a file, one line in memory at a time; a missing file has none. */
  private async eachLine(file: string, each: (line: string) => void): Promise<void> {
    const stream = createReadStream(join(this.dir, file), { encoding: 'utf8' });
    const opened = new Promise<boolean>((resolve) => {
      stream.once('open', () => resolve(true));
      stream.once('error', () => resolve(false));
    });
    if (!(await opened)) return;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line) each(line);
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

  /**
   * Drops traces past the age limit, then the oldest while the store is over its size (a trace's spans and content
   * counted together, and deleted together), and rewrites the index.
   */
  private async prune(): Promise<void> {
    const traces = new Map<string, { bytes: number; mtimeMs: number }>();
    for (const name of await readdir(this.dir)) {
      const traceId = name.endsWith(CONTENT) ? name.slice(0, -CONTENT.length) : name.endsWith('.jsonl') && name !== INDEX ? name.slice(0, -'.jsonl'.length) : undefined;
      if (traceId === undefined) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (!info) continue;
      const trace = traces.get(traceId) ?? { bytes: 0, mtimeMs: 0 };
      traces.set(traceId, { bytes: trace.bytes + info.size, mtimeMs: Math.max(trace.mtimeMs, info.mtimeMs) });
    }
    const newestFirst = [...traces.entries()].sort(([, a], [, b]) => b.mtimeMs - a.mtimeMs);
    const now = Date.now();
    let total = 0;
    const dropped = new Set<string>();
    for (const [traceId, trace] of newestFirst) {
      total += trace.bytes;
      if (now - trace.mtimeMs > this.retention.maxAgeMs || total > this.retention.maxBytes) dropped.add(traceId);
    }
    if (dropped.size === 0) return;
    await Promise.all([...dropped].flatMap((traceId) => [`${traceId}.jsonl`, `${traceId}${CONTENT}`].map((name) => unlink(join(this.dir, name)).catch(() => undefined))));
    const kept = (await this.lines(INDEX)).filter((span) => !dropped.has(span.traceId));
    const temporary = join(this.dir, `${INDEX}.tmp`);
    await writeFile(temporary, kept.map((span) => `${JSON.stringify(span)}\n`).join(''));
    await rename(temporary, join(this.dir, INDEX));
  }
}

const SPAN_ID = /^[0-9a-f]{1,32}$/i;

/** Whether a file's last line lacks its line break; a missing or empty file has no torn line. */
async function endsTorn(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const { size } = await file.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await file.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await file.close();
  }
}

const TRACE_ID = /^[0-9a-f]{1,64}$/i;

function checkTraceId(traceId: string): void {
  if (!TRACE_ID.test(traceId)) throw new Error(l10n.t('"{0}" is not a trace id.', traceId));
}

function parseContentLine(line: string): { spanId: string; content: SpanContent } | undefined {
  try {
    const entry = JSON.parse(line) as { spanId?: unknown; content?: unknown };
    return typeof entry.spanId === 'string' && entry.content && typeof entry.content === 'object' ? { spanId: entry.spanId, content: entry.content as SpanContent } : undefined;
  } catch {
    return undefined;
  }
}

/** Every string in a content value, keys included, depth first. */
function stringsOf(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') out.push(item);
    else if (Array.isArray(item)) stack.push(...item);
    else if (item && typeof item === 'object') for (const [key, inner] of Object.entries(item)) stack.push(inner, key);
  }
  return out;
}

/** The text around the first match of `needle` (lower case), on one line; undefined when it does not occur. */
function around(haystack: string, needle: string): string | undefined {
  const at = haystack.toLowerCase().indexOf(needle);
  if (at < 0) return undefined;
  return haystack.slice(Math.max(0, at - 60), at + needle.length + 60).replace(/\s+/g, ' ');
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
    ...(text(MODELS_ATTRIBUTE) ? { models: modelList(text(MODELS_ATTRIBUTE)!) } : {}),
  };
}

function matches(run: RunSummary, filter: RunFilter): boolean {
  return (
    (filter.outcome === undefined || run.outcome === filter.outcome) &&
    (filter.agent === undefined || run.agent === filter.agent) &&
    (filter.model === undefined || (run.models ?? []).includes(filter.model)) &&
    (filter.since === undefined || run.startTime >= filter.since) &&
    (filter.minCostUsd === undefined || run.costUsd >= filter.minCostUsd)
  );
}

function modelList(json: string): string[] {
  try {
    const models = JSON.parse(json) as unknown;
    return Array.isArray(models) ? models.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}
