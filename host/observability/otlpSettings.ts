/** What OTLP export needs to know, from the extension's settings or the CLI's environment. */

export interface OtlpSettings {
  /** The collector's base URL (`http://localhost:4318`) or its full traces URL (`…/v1/traces`). */
  readonly endpoint: string;
  /** Sent with every export, e.g. `Authorization`; treated as secrets. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether attributes that hold prompts, goals and outputs are exported. */
  readonly captureContent: boolean;
}

export interface OtlpExportOptions extends OtlpSettings {
  readonly serviceVersion: string;
  readonly log: (message: string) => void;
  readonly maxQueueSize?: number;
  readonly scheduledDelayMs?: number;
  /** How long one export request may take, retries included. */
  readonly exportTimeoutMs?: number;
  /** How often metrics are sent (default a minute). */
  readonly metricsIntervalMs?: number;
}

export interface OtlpExportStats {
  /** Finished spans accepted into the queue. */
  readonly queued: number;
  /** Spans the collector acknowledged. */
  readonly exported: number;
  /** Spans refused by a full queue, by the collector, or still unsent at shutdown. */
  readonly dropped: number;
}

/**
 * The OpenTelemetry environment variables the headless CLI honours: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as
 * is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended), `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or
 * `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values percent-encoded), and `KEEL_OTLP_CAPTURE_CONTENT=1`.
 * Undefined when no endpoint is set.
 */
export function otlpSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): OtlpSettings | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  return {
    endpoint,
    headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? ''),
    captureContent: /^(1|true|yes)$/i.test(env.KEEL_OTLP_CAPTURE_CONTENT?.trim() ?? ''),
  };
}

/** `Authorization=Bearer%20abc,x-team=keel` → `{ Authorization: 'Bearer abc', 'x-team': 'keel' }`; malformed pairs are skipped. */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      const name = decodeURIComponent(pair.slice(0, at).trim());
      const value = decodeURIComponent(pair.slice(at + 1).trim());
      if (name) headers[name] = value;
    } catch {
      // A bad percent-escape: the pair is skipped rather than sent half-decoded.
    }
  }
  return headers;
}
