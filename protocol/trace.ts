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
}

export function spanDurationMs(span: SpanData, now: number): number {
  return (span.endTime ?? now) - span.startTime;
}
