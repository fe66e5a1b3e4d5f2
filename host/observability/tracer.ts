import { randomBytes } from 'node:crypto';
import type { AttributeValue, SpanData, SpanStatus } from '../../protocol/trace';
import { withLogContext } from './log';
import { redacted } from './redaction';
import { ContentRecorder, type RecordedContent } from './spanContent';

export type { RecordedContent };

/**
 * Where span snapshots go. A span's content comes only with its end snapshot, and beside it, never inside it: a sink
 * that forwards `span` alone (the trace viewer's notifications) sends no content, only `contentBytes`.
 */
export type SpanSink = (span: SpanData, content?: RecordedContent) => void;

/**
 * A span being recorded. Every change is reported to the sink as a fresh snapshot. Names, string attributes, status
 * messages and content are redacted as they are set, so no sink (the trace viewer, the store, the CLI, an exporter)
 * sees a secret.
 */
export class Span {
  private data: SpanData;
  private ended = false;
  private content: ContentRecorder | undefined;

  constructor(
    private readonly sink: SpanSink,
    init: { traceId: string; parentSpanId?: string; name: string; operation: string; attributes?: Record<string, AttributeValue> },
  ) {
    this.data = {
      traceId: init.traceId,
      spanId: randomBytes(8).toString('hex'),
      ...(init.parentSpanId ? { parentSpanId: init.parentSpanId } : {}),
      name: redacted(init.name),
      operation: init.operation,
      startTime: Date.now(),
      status: 'running',
      attributes: redactAttributes({ 'gen_ai.operation.name': init.operation, ...init.attributes }),
    };
    this.sink(this.data);
  }

  get spanId(): string {
    return this.data.spanId;
  }

  get traceId(): string {
    return this.data.traceId;
  }

  /** Attributes set after start are sent with the next update or the end. */
  setAttributes(attributes: Record<string, AttributeValue | undefined>): void {
    const defined = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<string, AttributeValue>;
    this.data = { ...this.data, attributes: { ...this.data.attributes, ...redactAttributes(defined) } };
  }

  /**
   * Records content under OpenTelemetry GenAI keys (`gen_ai.input.messages`, `gen_ai.tool.call.arguments`, …),
   * redacted and size-bounded now; it is handed to the sinks once, with the span's end. Set after the end, it is lost.
   */
  setContent(content: Record<string, unknown>): void {
    if (this.ended) return;
    this.content ??= new ContentRecorder();
    for (const [key, value] of Object.entries(content)) if (value !== undefined) this.content.set(key, value);
  }

  /** GenAI span names carry the model, which a routed call only knows once the router has chosen. */
  rename(name: string): void {
    this.data = { ...this.data, name: redacted(name) };
  }

  /** Sends the current attributes without ending the span, for long steps the viewer should see progress on. */
  update(): void {
    if (!this.ended) this.sink(this.data);
  }

  end(status: Exclude<SpanStatus, 'running'>, statusMessage?: string): void {
    if (this.ended) return;
    this.ended = true;
    const content = this.content?.recorded();
    this.data = {
      ...this.data,
      status,
      endTime: Date.now(),
      ...(statusMessage ? { statusMessage: redacted(statusMessage) } : {}),
      ...(content ? { contentBytes: Buffer.byteLength(content.json) } : {}),
    };
    this.content = undefined;
    this.sink(this.data, content);
  }

  child(name: string, operation: string, attributes?: Record<string, AttributeValue>): Span {
    return new Span(this.sink, { traceId: this.data.traceId, parentSpanId: this.data.spanId, name, operation, attributes });
  }

  /** Runs `work` inside a child span that ends `ok`, or `error`/`cancelled` with the thrown error's message. */
  async within<T>(name: string, operation: string, attributes: Record<string, AttributeValue>, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.child(name, operation, attributes);
    try {
      // Lines logged during the work name its span.
      const result = await withLogContext({ traceId: span.traceId, spanId: span.spanId }, () => work(span));
      span.end('ok');
      return result;
    } catch (error) {
      span.end(isAbort(error) ? 'cancelled' : 'error', errorMessage(error));
      throw error;
    }
  }
}

export function startTrace(sink: SpanSink, name: string, operation: string, attributes?: Record<string, AttributeValue>): Span {
  return new Span(sink, { traceId: randomBytes(16).toString('hex'), name, operation, attributes });
}

function redactAttributes(attributes: Record<string, AttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, typeof value === 'string' ? redacted(value) : value]));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'CancelledError');
}
