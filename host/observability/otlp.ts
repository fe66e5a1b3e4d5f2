/**
 * Where Keel's spans go beyond the trace viewer: an OTLP/HTTP collector (Jaeger, Langfuse, Phoenix, an OpenTelemetry
 * Collector), as traces and as metrics measured from them. This module is the cheap front: the OpenTelemetry SDK
 * (`otlpExport.ts`, `otlpMetrics.ts`) loads only once an endpoint is set, so a host without export never pays for it.
 */
import type { SpanData } from '../../protocol/trace';
import { registerSecrets } from './knownSecrets';
import type { OtlpExportOptions, OtlpExportStats } from './otlpSettings';
import type { RecordedContent, SpanSink } from './tracer';

export interface OtlpExporter {
  /** Takes every span snapshot; exports the finished ones. Never throws, never waits. */
  readonly sink: SpanSink;
  /** Sends what is queued within `ms`, logs what was sent and dropped, and stops. */
  shutdown(ms?: number): Promise<OtlpExportStats>;
}

/** How long shutdown waits for the collector: less than the extension's 2 s grace for the host to stop. */
export const OTLP_SHUTDOWN_MS = 1500;

/**
 * Starts exporting to `options.endpoint`. The header values are registered as secrets first, so that no span, log
 * line or error message can show them.
 */
export function startOtlpExport(options: OtlpExportOptions): OtlpExporter {
  registerSecrets(Object.values(options.headers).flatMap((value) => [value, value.match(/^\S+\s+(\S+)$/)?.[1]]));
  const loading = import('./otlpExport').then(({ OtlpExport }) => new OtlpExport(options));
  loading.catch((error: unknown) => options.log(`OTLP export is off: the OpenTelemetry SDK did not load (${(error as Error).message}).`));
  const metrics = import('./otlpMetrics').then(({ OtlpMetricsExport }) => new OtlpMetricsExport(options));
  metrics.catch((error: unknown) => options.log(`OTLP metrics export is off: the OpenTelemetry metrics SDK did not load (${(error as Error).message}).`));
  return {
    sink: (span: SpanData, content?: RecordedContent) => {
      if (span.endTime === undefined) return;
      void loading.then((exporter) => exporter.record(span, content), () => undefined);
      void metrics.then((exporter) => exporter.record(span), () => undefined);
    },
    async shutdown(ms = OTLP_SHUTDOWN_MS) {
      // Metrics are sent in the same time as the last spans.
      const metricsSent = metrics.then((exporter) => exporter.shutdown(ms), () => undefined);
      const stats = await (await loading.catch(() => undefined))?.shutdown(ms);
      await metricsSent;
      if (!stats) return { queued: 0, exported: 0, dropped: 0 };
      options.log(`OTLP export: ${stats.exported} span(s) sent, ${stats.dropped} dropped.`);
      return stats;
    },
  };
}

/** Two sinks in one: the host's own, then the exporter's. */
export function teeSpans(first: SpanSink, second: SpanSink | undefined): SpanSink {
  return second ? (span, content) => {
    first(span, content);
    second(span, content);
  } : first;
}
