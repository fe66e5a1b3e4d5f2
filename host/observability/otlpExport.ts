/**
 * OTLP/HTTP export of Keel's spans with the OpenTelemetry JS SDK. Keel's tracer makes its own spans (its own ids and
 * clock), so each finished `SpanData` becomes a `ReadableSpan` and goes through the SDK's `BatchSpanProcessor`
 * (batching, a bounded queue, a timer) to its protobuf OTLP exporter (retries with backoff on 429, 502, 503, 504).
 * Nothing here can slow or fail a run: `record` only queues, and a collector that is down, slow or refusing costs
 * dropped spans, counted, never a wait.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type SpanContext, type SpanStatus as OtelStatus } from '@opentelemetry/api';
import { ExportResultCode, hrTimeDuration, millisToHrTime, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, SpanData } from '../../protocol/trace';
import type { OtlpExportOptions, OtlpExportStats } from './otlpSettings';
import type { RecordedContent } from './spanContent';

/**
 * Attributes that hold what the user or a model wrote, left out unless `captureContent` is on: the GenAI conventions'
 * opt-in content attributes and Keel's own.
 */
const CONTENT_ATTRIBUTES = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.prompt',
  'gen_ai.completion',
  'keel.run.goal',
  'keel.retrieval.query',
  'gen_ai.retrieval.query.text',
]);

/** GenAI spans that call a model server are client spans; the agent, tools and Keel's own steps are internal. */
const CLIENT_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

/**
 * Content bigger than this is not exported with its span (the span still is, saying so): collectors cap request
 * sizes, and the whole trace stays in the local store.
 */
const MAX_EXPORTED_CONTENT_BYTES = 256 * 1024;
/** Content waiting in the queue, at most: past it, spans are exported without their content rather than held. */
const MAX_QUEUED_CONTENT_BYTES = 16 * 1024 * 1024;

/** How often, at most, a line about dropped spans is logged while the host runs. */
const DROP_LOG_INTERVAL_MS = 30_000;

export class OtlpExport {
  private readonly processor: BatchSpanProcessor;
  private readonly resource;
  private readonly scope;
  private readonly maxQueueSize: number;
  private queued = 0;
  private exported = 0;
  /** Queued spans the collector refused, or that were still unsent at shutdown. */
  private failed = 0;
  /** Spans never queued: the queue was full, or export had stopped. */
  private overflowed = 0;
  private queuedContentBytes = 0;
  /** What each queued span's content weighs, to give it back to the budget once the span is settled. */
  private readonly contentBytes = new WeakMap<ReadableSpan, number>();
  private lastError: string | undefined;
  private lastDropLog = 0;
  private closed = false;
  private whenSettled: (() => void) | undefined;

  constructor(private readonly options: OtlpExportOptions) {
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    const timeoutMillis = options.exportTimeoutMs ?? 10_000;
    const exporter = new OTLPTraceExporter({ url: tracesUrl(options.endpoint), headers: { ...options.headers }, timeoutMillis });
    this.processor = new BatchSpanProcessor(new CountingExporter(exporter, (spans, result) => this.settled(spans, result)), {
      maxQueueSize: this.maxQueueSize,
      maxExportBatchSize: Math.min(512, this.maxQueueSize),
      scheduledDelayMillis: options.scheduledDelayMs ?? 1000,
      // Longer than the exporter's own timeout, so every batch is settled by the exporter's callback and counted once.
      exportTimeoutMillis: timeoutMillis + 5000,
    });
    this.resource = resourceFromAttributes({ 'service.name': 'keel', 'service.version': options.serviceVersion });
    this.scope = { name: 'keel', version: options.serviceVersion };
  }

  /**
   * Queues a finished span, with its content as GenAI attributes when `captureContent` is on; a running snapshot is
   * ignored. Drops (and counts) it when the queue is full.
   */
  record(span: SpanData, content?: RecordedContent): void {
    if (span.endTime === undefined || span.status === 'running') return;
    if (this.closed || this.pending() >= this.maxQueueSize) {
      this.overflowed++;
      this.droppedSome();
      return;
    }
    this.queued++;
    const attributes = this.attributes(span);
    let weight = 0;
    if (content && this.options.captureContent) {
      weight = content.json.length;
      if (weight > MAX_EXPORTED_CONTENT_BYTES || this.queuedContentBytes + weight > MAX_QUEUED_CONTENT_BYTES) {
        attributes['keel.content.omitted'] = `${weight} characters of content are too many to export now; the local trace keeps them`;
        weight = 0;
      } else {
        // Content never replaces an attribute: `keel.retrieval.hits` is a count as an attribute and the hits as content.
        for (const [key, value] of Object.entries(content.values)) attributes[key in attributes ? `${key}.content` : key] = typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
    const readable = this.readable(span, attributes);
    if (weight) {
      this.queuedContentBytes += weight;
      this.contentBytes.set(readable, weight);
    }
    this.processor.onEnd(readable);
  }

  stats(): OtlpExportStats {
    return { queued: this.queued, exported: this.exported, dropped: this.overflowed + this.failed };
  }

  /** Sends what is queued, waiting at most `ms`; what has not been sent by then counts as dropped. */
  async shutdown(ms: number): Promise<OtlpExportStats> {
    if (!this.closed) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      // forceFlush sends the queue; a batch the timer started earlier may still be on its way, and is waited for too.
      const settled = new Promise<void>((resolve) => (this.whenSettled = resolve));
      await Promise.race([this.processor.forceFlush().catch(() => undefined).then(() => (this.pending() === 0 ? undefined : settled)), deadline]);
      clearTimeout(timer);
      this.closed = true;
      this.failed += this.pending();
      // The exporter's open requests end with their own timeout; nothing waits for them.
      void this.processor.shutdown().catch(() => undefined);
    }
    return this.stats();
  }

  /** Spans queued or on their way: the queue's bound counts both, so it bounds what export holds in memory. */
  private pending(): number {
    return this.queued - this.exported - this.failed;
  }

  private settled(spans: readonly ReadableSpan[], result: ExportResult): void {
    for (const span of spans) this.queuedContentBytes -= this.contentBytes.get(span) ?? 0;
    const count = spans.length;
    if (this.closed) return;
    if (result.code === ExportResultCode.SUCCESS) {
      this.exported += count;
    } else {
      this.lastError = result.error?.message;
      this.failed += count;
      this.droppedSome();
    }
    if (this.pending() === 0) this.whenSettled?.();
  }

  private droppedSome(): void {
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLog = now;
    this.options.log(`OTLP export: ${this.overflowed + this.failed} span(s) dropped so far${this.lastError ? ` (${this.lastError})` : ''}; runs are not affected.`);
  }

  private readable(span: SpanData, attributes: Attributes): ReadableSpan {
    const startTime = millisToHrTime(span.startTime);
    const endTime = millisToHrTime(span.endTime!);
    const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
    return {
      name: span.name,
      kind: CLIENT_OPERATIONS.has(span.operation) ? SpanKind.CLIENT : SpanKind.INTERNAL,
      spanContext: () => context,
      parentSpanContext: span.parentSpanId ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED } : undefined,
      startTime,
      endTime,
      duration: hrTimeDuration(startTime, endTime),
      status: status(span),
      attributes,
      links: [],
      events: [],
      ended: true,
      resource: this.resource,
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  /** The tracer redacted every string as it was set; content attributes are left out unless asked for. */
  private attributes(span: SpanData): Record<string, AttributeValue> {
    const attributes: Record<string, AttributeValue> = {};
    for (const [key, value] of Object.entries(span.attributes)) {
      if (this.options.captureContent || !CONTENT_ATTRIBUTES.has(key)) attributes[key] = value;
    }
    if (span.status === 'cancelled') attributes['keel.status'] = 'cancelled';
    return attributes;
  }
}

/** A cancelled span did not fail: its status is left unset, and `keel.status` says why it ended. */
function status(span: SpanData): OtelStatus {
  if (span.status === 'ok') return { code: SpanStatusCode.OK };
  if (span.status === 'error') return { code: SpanStatusCode.ERROR, ...(span.statusMessage ? { message: span.statusMessage } : {}) };
  return { code: SpanStatusCode.UNSET };
}

/**
 * `http://localhost:4318` → `http://localhost:4318/v1/traces`, as `OTEL_EXPORTER_OTLP_ENDPOINT` is read; a URL that
 * already ends in `/v1/traces` (Langfuse's, Phoenix's) is kept.
 */
export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

/** Reports each batch's outcome; the SDK's `BatchSpanProcessor` keeps its own drop count private. */
class CountingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter, private readonly settled: (spans: readonly ReadableSpan[], result: ExportResult) => void) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let reported = false;
    const report = (result: ExportResult) => {
      if (reported) return;
      reported = true;
      this.settled(spans, result);
      done(result);
    };
    try {
      this.inner.export(spans, report);
    } catch (error) {
      report({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
