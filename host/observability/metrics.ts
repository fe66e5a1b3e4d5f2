/**
 * Metrics from spans as they end: runs (`invoke_agent`), model calls (`chat`) and tool calls (`execute_tool`), each
 * kept as one small observation for the last seven days, so a window's rates, percentiles and breakdowns are computed
 * from memory without reading the trace store. Past runs are read from the store once (`metricsHistory.ts`).
 */
import type { LatencyStats, MetricsBucket, MetricsRow, MetricsSnapshot, MetricsWindow } from '../../protocol/metrics';
import type { SpanData } from '../../protocol/trace';

export const WINDOW_MS: Readonly<Record<MetricsWindow, number>> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
/** The charts' slices: 12 × 5 min, 24 × 1 h, 28 × 6 h. */
const BUCKET_MS: Readonly<Record<MetricsWindow, number>> = { '1h': 300_000, '24h': 3_600_000, '7d': 6 * 3_600_000 };
export const KEPT_MS = WINDOW_MS['7d'];
/** Per kind; past this the oldest go first, so a flood of spans cannot grow the host's memory without bound. */
const MAX_OBSERVATIONS = 200_000;
/** Durations sorted for one percentile at most; see `latency`. */
const MAX_SORTED = 10_000;

export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * One span that ended, reduced to what the metrics need. Runs, model calls and tool calls share this one shape (its
 * fields always set, in one order), so the loops over them stay monomorphic and fast.
 */
interface Observation {
  /** When it ended (for a run the host died during: when it started), epoch milliseconds. */
  readonly end: number;
  /** Its duration; NaN when unknown (an interrupted run). */
  readonly ms: number;
  readonly error: boolean;
  /** The agent, model or tool. */
  readonly key: string;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** A run's outcome; undefined for a call. */
  readonly outcome: RunOutcome | undefined;
  /** A run no other run started: a task the user or a client gave. */
  readonly task: boolean;
  /** A model call made by a run, whose own cost already counts it. */
  readonly inRun: boolean;
}

/** A run that started and has not ended, for the stuck-run alert. */
export interface RunningRun {
  readonly runId: string;
  readonly traceId: string;
  readonly goal: string;
  readonly startTime: number;
}

/** Observations of one kind, oldest first. */
class Series {
  private items: Observation[] = [];
  /** Items before this index have been pruned; the array is compacted when they are many. */
  private head = 0;

  add(item: Observation): void {
    // Spans end in order, nearly: a later one that ended a moment earlier is put in its place.
    let at = this.items.length;
    while (at > this.head && this.items[at - 1]!.end > item.end) at--;
    this.items.splice(at, 0, item);
    if (this.items.length - this.head > MAX_OBSERVATIONS) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** Past observations, all older than every one added live. */
  prepend(past: Observation[]): void {
    past.sort((a, b) => a.end - b.end);
    this.items = [...past.slice(Math.max(0, past.length - MAX_OBSERVATIONS)), ...this.items.slice(this.head)];
    this.head = Math.max(0, this.items.length - MAX_OBSERVATIONS);
  }

  dropBefore(time: number): void {
    while (this.head < this.items.length && this.items[this.head]!.end < time) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** The observations that ended in [from, to). */
  between(from: number, to: number): Observation[] {
    let low = this.head;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.items[mid]!.end < from) low = mid + 1;
      else high = mid;
    }
    const out: Observation[] = [];
    for (let i = low; i < this.items.length && this.items[i]!.end < to; i++) out.push(this.items[i]!);
    return out;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

/**
 * The metrics of the runs, model calls and tool calls that ended in the last seven days. `record` takes every span
 * snapshot the host's sink sees and costs a few comparisons; queries sort only the durations of their window.
 */
export class RunMetrics {
  private readonly runs = new Series();
  private readonly chats = new Series();
  private readonly tools = new Series();
  private readonly running = new Map<string, RunningRun>();
  private history: Promise<void> | undefined;
  private historyLoaded = false;

  /**
   * `readHistory` hands over the spans that ended before `since`, the time this host started: every span after it
   * reaches `record`, so none is counted twice.
   */
  constructor(private readonly readHistory: (before: number, take: (span: SpanData) => void) => Promise<void> = async () => undefined, readonly since = Date.now()) {}

  /** Takes a span snapshot; only ends (and the start of a task) matter. Never throws. */
  record(span: SpanData): void {
    if (isRun(span) && span.parentSpanId === undefined) {
      const runId = runIdOf(span);
      if (span.endTime === undefined) this.running.set(runId, { runId, traceId: span.traceId, goal: text(span, 'keel.run.goal') ?? '', startTime: span.startTime });
      else this.running.delete(runId);
    }
    if (span.endTime === undefined) return;
    const classified = classify(span);
    if (classified?.kind === 'run') this.runs.add(classified.observation);
    else if (classified?.kind === 'chat') this.chats.add(classified.observation);
    else if (classified) this.tools.add(classified.observation);
  }

  /** Reads the past runs from the trace store once; later calls wait for the same read. */
  loadHistory(): Promise<void> {
    this.history ??= this.readPast().finally(() => (this.historyLoaded = true));
    return this.history;
  }

  /** Tasks that started in this host and have not ended. */
  runningRuns(): RunningRun[] {
    return [...this.running.values()];
  }

  /** What models cost in [from, to): tasks' totals, plus model calls made outside a run (MCP sampling). */
  costUsd(from: number, to: number): number {
    const tasks = this.runs.between(from, to).filter((run) => run.task);
    const outside = this.chats.between(from, to).filter((chat) => !chat.inRun);
    return sum(tasks, (run) => run.costUsd) + sum(outside, (chat) => chat.costUsd);
  }

  /** Finished tasks in [from, to), and how many failed or were interrupted. */
  taskOutcomes(from: number, to: number): { finished: number; failed: number } {
    const tasks = this.runs.between(from, to).filter((run) => run.task);
    return { finished: tasks.length, failed: tasks.filter((run) => run.error).length };
  }

  latency(of: 'run' | 'modelCall' | 'toolCall', from: number, to: number): LatencyStats {
    const series = of === 'run' ? this.runs : of === 'modelCall' ? this.chats : this.tools;
    return latency(series.between(from, to).filter((o) => of !== 'run' || o.task));
  }

  snapshot(window: MetricsWindow, now = Date.now()): MetricsSnapshot {
    this.prune(now);
    const to = now + 1;
    const from = to - WINDOW_MS[window];
    const runs = this.runs.between(from, to);
    const tasks = runs.filter((run) => run.task);
    const chats = this.chats.between(from, to);
    const tools = this.tools.between(from, to);
    const count = (outcome: RunOutcome) => tasks.filter((run) => run.outcome === outcome).length;
    const finished = tasks.length;
    const succeeded = count('succeeded');
    const failed = tasks.filter((run) => run.error).length;
    const taskCost = sum(tasks, (run) => run.costUsd);
    return {
      window,
      from,
      to,
      tasks: { finished, succeeded, failed: count('failed'), cancelled: count('cancelled'), interrupted: count('interrupted'), running: this.running.size },
      completionRate: finished ? succeeded / finished : null,
      errorRate: finished ? failed / finished : null,
      latency: { run: latency(tasks), modelCall: latency(chats), toolCall: latency(tools) },
      costUsd: taskCost + sum(chats.filter((chat) => !chat.inRun), (chat) => chat.costUsd),
      costPerTaskUsd: finished ? taskCost / finished : null,
      tokens: { input: sum(chats, (c) => c.inputTokens), output: sum(chats, (c) => c.outputTokens) },
      modelCalls: { count: chats.length, errors: chats.filter((c) => c.error).length },
      toolCalls: { count: tools.length, errors: tools.filter((t) => t.error).length },
      byAgent: breakdown(runs),
      byModel: breakdown(chats),
      byTool: breakdown(tools),
      bucketMs: BUCKET_MS[window],
      buckets: buckets(from, to, BUCKET_MS[window], tasks, chats, tools),
      loadingHistory: !this.historyLoaded,
    };
  }

  private async readPast(): Promise<void> {
    const past: Record<Classification['kind'], Observation[]> = { run: [], chat: [], tool: [] };
    await this.readHistory(this.since, (span) => {
      if (span.endTime === undefined && isRun(span) && span.parentSpanId === undefined) {
        // A task whose end was never written: the host died during it.
        past.run.push(observation(span, agentOf(span), { outcome: 'interrupted', task: true }));
      } else if (span.endTime !== undefined && span.endTime < this.since) {
        const classified = classify(span);
        if (classified) past[classified.kind].push(classified.observation);
      }
    });
    this.runs.prepend(past.run);
    this.chats.prepend(past.chat);
    this.tools.prepend(past.tool);
  }

  private prune(now: number): void {
    for (const series of [this.runs, this.chats, this.tools]) series.dropBefore(now - KEPT_MS);
  }
}

interface Classification {
  readonly kind: 'run' | 'chat' | 'tool';
  readonly observation: Observation;
}

/** An agent's run, or a workflow's (whose agents are runs beneath it): at the root, a task. */
function isRun(span: SpanData): boolean {
  return span.operation === 'invoke_agent' || span.operation === 'invoke_workflow';
}

/** What an ended span counts as: a run, a model call, a tool call, or (undefined) none of them. */
function classify(span: SpanData): Classification | undefined {
  if (isRun(span)) return { kind: 'run', observation: observation(span, agentOf(span), { outcome: outcomeOf(span), task: span.parentSpanId === undefined }) };
  if (span.operation === 'chat') return { kind: 'chat', observation: observation(span, modelOf(span), undefined, span.parentSpanId !== undefined) };
  if (span.operation === 'execute_tool') return { kind: 'tool', observation: observation(span, text(span, 'gen_ai.tool.name') ?? span.name.replace(/^execute_tool /, '')) };
  return undefined;
}

/** A span without an end is a run the host died during: it counts when it started, with no duration. */
function observation(span: SpanData, key: string, run?: { outcome: RunOutcome; task: boolean }, inRun = false): Observation {
  const end = span.endTime ?? span.startTime;
  return {
    end,
    ms: span.endTime === undefined ? Number.NaN : Math.max(0, end - span.startTime),
    error: run ? run.outcome === 'failed' || run.outcome === 'interrupted' : span.status === 'error',
    key: key.slice(0, 200),
    costUsd: number(span, 'keel.cost.usd'),
    inputTokens: number(span, 'gen_ai.usage.input_tokens'),
    outputTokens: number(span, 'gen_ai.usage.output_tokens'),
    outcome: run?.outcome,
    task: run?.task ?? false,
    inRun,
  };
}

function outcomeOf(span: SpanData): RunOutcome {
  const outcome = text(span, 'keel.run.outcome');
  if (outcome === 'succeeded' || outcome === 'failed' || outcome === 'cancelled' || outcome === 'interrupted') return outcome;
  return span.status === 'ok' ? 'succeeded' : span.status === 'cancelled' ? 'cancelled' : 'failed';
}

const runIdOf = (span: SpanData) => text(span, 'keel.run.id') ?? span.traceId;
const agentOf = (span: SpanData) => text(span, 'gen_ai.agent.name') ?? span.name.replace(/^invoke_agent /, '');
/** The model asked for; a call that failed before the router chose one counts under the deployment or `unknown`. */
const modelOf = (span: SpanData) => text(span, 'gen_ai.request.model') ?? text(span, 'keel.route.model_id') ?? 'unknown';

function text(span: SpanData, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' && value ? value : undefined;
}

/** A numeric attribute; anything else (absent, a string, NaN, negative) counts as 0. */
function number(span: SpanData, key: string): number {
  const value = span.attributes[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

/** Nearest-rank percentile of ascending `sorted`; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * Percentiles of the durations. Past `MAX_SORTED` observations they are taken from an even sample across the window
 * (every k-th, in time order), so a busy week costs a bounded sort: the ranks move by a fraction of a percent.
 */
function latency(items: readonly Observation[]): LatencyStats {
  const step = Math.ceil(items.length / MAX_SORTED) || 1;
  // A typed array sorts numbers natively, several times faster than a compared sort of a plain array.
  const sample = new Float64Array(Math.ceil(items.length / step));
  let count = 0;
  let sampled = 0;
  for (let i = 0; i < items.length; i++) {
    const ms = items[i]!.ms;
    if (Number.isNaN(ms)) continue;
    if (count++ % step === 0) sample[sampled++] = ms;
  }
  const sorted = sample.subarray(0, sampled).sort();
  return { count, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
}

/** One row per key, the busiest first. */
function breakdown(items: readonly Observation[]): MetricsRow[] {
  const groups = new Map<string, Observation[]>();
  for (const item of items) {
    const group = groups.get(item.key);
    if (group) group.push(item);
    else groups.set(item.key, [item]);
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const { p50Ms, p95Ms } = latency(group);
      return {
        key,
        count: group.length,
        errors: group.filter((o) => o.error).length,
        p50Ms,
        p95Ms,
        costUsd: sum(group, (o) => o.costUsd),
        inputTokens: sum(group, (o) => o.inputTokens),
        outputTokens: sum(group, (o) => o.outputTokens),
      };
    })
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function buckets(from: number, to: number, size: number, tasks: readonly Observation[], chats: readonly Observation[], tools: readonly Observation[]): MetricsBucket[] {
  const count = Math.ceil((to - from) / size);
  const slot = (o: Observation) => Math.min(count - 1, Math.floor((o.end - from) / size));
  const slices = Array.from({ length: count }, (_, i) => ({ start: from + i * size, tasks: [] as Observation[], chats: [] as Observation[], tools: 0 }));
  for (const task of tasks) slices[slot(task)]!.tasks.push(task);
  for (const chat of chats) slices[slot(chat)]!.chats.push(chat);
  for (const tool of tools) slices[slot(tool)]!.tools++;
  return slices.map((s) => ({
    start: s.start,
    runs: s.tasks.length,
    failedRuns: s.tasks.filter((t) => t.error).length,
    modelCalls: s.chats.length,
    toolCalls: s.tools,
    costUsd: sum(s.tasks, (t) => t.costUsd) + sum(s.chats.filter((c) => !c.inRun), (c) => c.costUsd),
    tokens: sum(s.chats, (c) => c.inputTokens + c.outputTokens),
    modelP95Ms: latency(s.chats).p95Ms,
  }));
}
