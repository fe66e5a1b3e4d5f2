/**
 * Spans as the host reports them and the trace viewer shows them. Names and attribute keys follow the
 * OpenTelemetry GenAI semantic conventions (`invoke_agent`, `chat`, `execute_tool`) plus Keel's own
 * operations (`approval`).
 */
export type SpanStatus = 'running' | 'ok' | 'error' | 'cancelled';

export type AttributeValue = string | number | boolean;

export interface SpanData {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  /** e.g. `invoke_agent keel`, `chat qwen2.5-coder:7b`, `execute_tool read_file`. */
  readonly name: string;
  /** `gen_ai.operation.name`, or a Keel operation such as `approval`. */
  readonly operation: string;
  /** Milliseconds since the epoch. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly status: SpanStatus;
  readonly statusMessage?: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /**
   * Bytes of content (messages, arguments, results, code) the host keeps on disk for this span. Content never
   * travels with span updates; the viewer asks for it with `trace/spanContent` when a span is opened.
   */
  readonly contentBytes?: number;
}

/**
 * A span's recorded content, redacted, keyed by OpenTelemetry GenAI attribute names where one exists:
 * `chat`: `gen_ai.system_instructions` (ChatContentPart[], as the GenAI conventions record instructions),
 * `gen_ai.input.messages`, `gen_ai.output.messages` (ChatContentMessage[]);
 * `execute_tool`: `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`; `retrieval`: `keel.retrieval.hits`;
 * `approval`: `keel.approval.question`, `keel.approval.answer`; `sandbox.eval`: `keel.sandbox.code`,
 * `keel.sandbox.console`. Values are JSON.
 */
export type SpanContent = Readonly<Record<string, unknown>>;

/** One message of a model call as the GenAI conventions record it (`gen_ai.input.messages` / `output.messages`). */
export interface ChatContentMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly parts: readonly ChatContentPart[];
  readonly finish_reason?: string;
}

export type ChatContentPart =
  | { readonly type: 'text'; readonly content: string }
  | { readonly type: 'tool_call'; readonly id: string; readonly name: string; readonly arguments: unknown }
  | { readonly type: 'tool_call_response'; readonly id: string; readonly response: unknown };

/** A run as the trace store lists it: from its root span, without reading the rest of its trace. */
export interface RunSummary {
  readonly traceId: string;
  readonly runId: string;
  readonly goal: string;
  readonly agent: string;
  /** `succeeded`, `failed`, `cancelled`, or `interrupted` when the host died during the run. */
  readonly outcome: string;
  readonly startTime: number;
  readonly endTime?: number;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The models the run's chat spans used. */
  readonly models?: readonly string[];
}

/** Which kept runs to list; every field narrows. */
export interface RunFilter {
  readonly outcome?: string;
  readonly agent?: string;
  /** Runs that called this model. */
  readonly model?: string;
  /** Runs started at or after this time, in epoch milliseconds. */
  readonly since?: number;
  readonly minCostUsd?: number;
  /** At most this many, newest first (default 50). */
  readonly limit?: number;
}

/** A span whose name, attributes or content hold the searched text. */
export interface TraceSearchHit {
  readonly traceId: string;
  readonly spanId: string;
  readonly runId: string;
  readonly name: string;
  /** The text around the match. */
  readonly snippet: string;
}

export function spanDurationMs(span: SpanData, now: number): number {
  return (span.endTime ?? now) - span.startTime;
}
