/**
 * Metrics the host derives from its trace store, the alerts it raises on them, and the messages of the Metrics view.
 * Shared by the host, the extension and the Metrics webview.
 */

/** How far back a metrics answer looks. */
export type MetricsWindow = '1h' | '24h' | '7d';
export const METRICS_WINDOWS: readonly MetricsWindow[] = ['1h', '24h', '7d'];

/** Durations of one kind of operation in a window; the percentiles are null when nothing ended in it. */
export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

/** One row of a breakdown by agent, model or tool. */
export interface MetricsRow {
  /** The agent's, model's or tool's name. */
  readonly key: string;
  /** Runs, model calls or tool calls that ended in the window. */
  readonly count: number;
  /** Those that failed (for runs: failed or interrupted). */
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** One time slice of a window, for the small charts. */
export interface MetricsBucket {
  /** Epoch milliseconds where the slice starts. */
  readonly start: number;
  readonly runs: number;
  readonly failedRuns: number;
  readonly modelCalls: number;
  readonly toolCalls: number;
  readonly costUsd: number;
  readonly tokens: number;
  /** Model calls' 95th percentile in this slice, or null without any. */
  readonly modelP95Ms: number | null;
}

export interface MetricsSnapshot {
  readonly window: MetricsWindow;
  /** Epoch milliseconds: the window is [from, to). */
  readonly from: number;
  readonly to: number;
  /** Tasks: runs that no other run started, by how they ended, plus those still running. */
  readonly tasks: { readonly finished: number; readonly succeeded: number; readonly failed: number; readonly cancelled: number; readonly interrupted: number; readonly running: number };
  /** Succeeded over finished tasks; null when none finished. */
  readonly completionRate: number | null;
  /** Failed or interrupted over finished tasks; null when none finished. */
  readonly errorRate: number | null;
  readonly latency: { readonly run: LatencyStats; readonly modelCall: LatencyStats; readonly toolCall: LatencyStats };
  /** What every model call cost, runs' and MCP servers' sampling requests alike. */
  readonly costUsd: number;
  /** Tasks' cost over finished tasks; null when none finished. */
  readonly costPerTaskUsd: number | null;
  readonly tokens: { readonly input: number; readonly output: number };
  readonly modelCalls: { readonly count: number; readonly errors: number };
  readonly toolCalls: { readonly count: number; readonly errors: number };
  readonly byAgent: readonly MetricsRow[];
  readonly byModel: readonly MetricsRow[];
  readonly byTool: readonly MetricsRow[];
  /** Equal slices of the window, oldest first. */
  readonly bucketMs: number;
  readonly buckets: readonly MetricsBucket[];
  /** True while the host is still reading the trace store's past runs into the metrics. */
  readonly loadingHistory: boolean;
}

/** The kinds of alert rule. */
export type AlertRuleKind = 'errorRate' | 'costPerDay' | 'stuckRun' | 'p95Latency' | 'deadLetters';

/** The rules, from `keel.alerts.*`; a rule set to null is off. */
export interface AlertRules {
  /** Failed share of the tasks that finished in `window`, once at least `minRuns` did. */
  readonly errorRate: { readonly threshold: number; readonly window: MetricsWindow; readonly minRuns: number } | null;
  /** USD spent on models since local midnight. */
  readonly costPerDayUsd: number | null;
  /** A run still going after this many minutes. */
  readonly stuckRunMinutes: number | null;
  /** The 95th percentile of one kind of operation over `window`, in seconds. */
  readonly p95Latency: { readonly of: 'run' | 'modelCall' | 'toolCall'; readonly seconds: number; readonly window: MetricsWindow } | null;
  /** Whether a dead-letter queue that is not empty raises an alert. */
  readonly deadLetters: boolean;
}

/** An alert that fired and has not cleared. */
export interface ActiveAlert {
  /** The rule kind, or `stuckRun:<runId>`: one episode each. */
  readonly id: string;
  readonly rule: AlertRuleKind;
  /** What is wrong, in a sentence for a notification. */
  readonly message: string;
  /** Epoch milliseconds when it fired. */
  readonly since: number;
  /** The run it is about, when it is about one. */
  readonly runId?: string;
  readonly traceId?: string;
}

/** Messages from the extension to the Metrics webview. */
export type ToMetricsView =
  | { readonly type: 'snapshot'; readonly snapshot: MetricsSnapshot; readonly alerts: readonly ActiveAlert[] }
  | { readonly type: 'unavailable'; readonly message: string };

/** Messages from the Metrics webview to the extension. */
export type FromMetricsView =
  | { readonly type: 'ready'; readonly window: MetricsWindow }
  | { readonly type: 'window'; readonly window: MetricsWindow }
  | { readonly type: 'refresh' };

export function isFromMetricsView(value: unknown): value is FromMetricsView {
  if (typeof value !== 'object' || value === null) return false;
  const { type, window } = value as { type?: unknown; window?: unknown };
  if (type === 'window' || type === 'ready') return METRICS_WINDOWS.includes(window as MetricsWindow);
  return type === 'refresh';
}
