/**
 * OpenTelemetry metrics from Keel's spans, exported over OTLP/HTTP (protobuf) beside the traces, with the SDK's
 * `MeterProvider`, a periodic reader and its OTLP exporter. Each finished span is measured once: model calls as the
 * GenAI conventions' `gen_ai.client.operation.duration` and `gen_ai.client.token.usage`, runs, tool calls and cost as
 * Keel's own instruments. Loaded with the trace exporter, only when export is on. Like it, it never slows a run: a
 * measurement is a few additions in memory; a collector that is down costs exports, logged, never a wait.
 */
import type { Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SpanData } from '../../protocol/trace';
import type { OtlpExportOptions } from './otlpSettings';

/** The GenAI conventions' advised buckets for durations (seconds) and token counts. */
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** How often metrics are sent; the OpenTelemetry default. */
const EXPORT_INTERVAL_MS = 60_000;
/** How often, at most, a failed export is logged. */
const FAILURE_LOG_INTERVAL_MS = 30_000;

export class OtlpMetricsExport {
  private readonly provider: MeterProvider;
  private readonly operationDuration;
  private readonly tokenUsage;
  private readonly runDuration;
  private readonly toolDuration;
  private readonly cost;

  constructor(options: OtlpExportOptions) {
    const timeoutMillis = options.exportTimeoutMs ?? 10_000;
    const exporter = new LoggingExporter(new OTLPMetricExporter({ url: metricsUrl(options.endpoint), headers: { ...options.headers }, timeoutMillis }), options.log);
    const interval = options.metricsIntervalMs ?? EXPORT_INTERVAL_MS;
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'keel', 'service.version': options.serviceVersion }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: Math.min(interval, timeoutMillis) })],
    });
    const meter = this.provider.getMeter('keel', options.serviceVersion);
    this.operationDuration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'GenAI operation duration.', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.tokenUsage = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Number of input and output tokens used.', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } });
    this.runDuration = meter.createHistogram('keel.agent.run.duration', { unit: 's', description: 'How long an agent run took, by agent and outcome.', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.toolDuration = meter.createHistogram('keel.tool.call.duration', { unit: 's', description: 'How long a tool call took, by tool.', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.cost = meter.createCounter('keel.model.cost', { unit: '{USD}', description: 'What model calls cost, by model.' });
  }

  /** Measures a finished span; a running snapshot, or a span of another kind, is ignored. */
  record(span: SpanData): void {
    if (span.endTime === undefined || span.status === 'running') return;
    const seconds = Math.max(0, span.endTime - span.startTime) / 1000;
    const error = span.status === 'error' ? { 'error.type': text(span, 'error.type') ?? '_OTHER' } : {};
    if (span.operation === 'chat') {
      const model = pick(span, ['gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model']);
      const attributes = { 'gen_ai.operation.name': 'chat', ...model };
      this.operationDuration.record(seconds, { ...attributes, ...error });
      for (const type of ['input', 'output'] as const) {
        const tokens = span.attributes[`gen_ai.usage.${type}_tokens`];
        if (typeof tokens === 'number' && tokens >= 0) this.tokenUsage.record(tokens, { ...attributes, 'gen_ai.token.type': type });
      }
      const cost = span.attributes['keel.cost.usd'];
      if (typeof cost === 'number' && cost > 0) this.cost.add(cost, model);
    } else if (span.operation === 'execute_tool') {
      this.toolDuration.record(seconds, { ...pick(span, ['gen_ai.tool.name']), ...error });
    } else if (span.operation === 'invoke_agent') {
      this.runDuration.record(seconds, { ...pick(span, ['gen_ai.agent.name', 'keel.run.outcome']), ...error });
    }
  }

  /** Sends what was measured since the last export, waiting at most `ms`, and stops. */
  async shutdown(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.provider.shutdown().catch(() => undefined), deadline]);
    clearTimeout(timer);
  }
}

/**
 * `http://localhost:4318` → `http://localhost:4318/v1/metrics`; a full traces URL (`…/v1/traces`) gives the metrics
 * URL beside it.
 */
export function metricsUrl(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  if (trimmed.endsWith('/v1/metrics')) return trimmed;
  return trimmed.endsWith('/v1/traces') ? `${trimmed.slice(0, -'/v1/traces'.length)}/v1/metrics` : `${trimmed}/v1/metrics`;
}

/** Attributes are low-cardinality names only: never the goal, a path or a message. */
function pick(span: SpanData, keys: readonly string[]): Attributes {
  const out: Attributes = {};
  for (const key of keys) {
    const value = text(span, key);
    if (value) out[key] = value.slice(0, 200);
  }
  return out;
}

function text(span: SpanData, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' && value ? value : undefined;
}

/** Logs a failed export (at most every 30 s); the SDK's reader would report it only to its silent diagnostics. */
class LoggingExporter implements PushMetricExporter {
  private lastLog = 0;
  /** The OTLP exporter's choices (cumulative temporality, the advised buckets) stand. */
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];

  constructor(private readonly inner: PushMetricExporter, private readonly log: (message: string) => void) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      if (result.code !== ExportResultCode.SUCCESS && Date.now() - this.lastLog > FAILURE_LOG_INTERVAL_MS) {
        this.lastLog = Date.now();
        this.log(`OTLP metrics export failed${result.error ? ` (${result.error.message})` : ''}; runs are not affected.`);
      }
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
