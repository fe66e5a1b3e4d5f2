/** Metrics from the trace store (`metrics/…`). */
import { NotificationType0, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import type { MetricsSnapshot } from '../metrics';

export const metricsWindow = z.enum(['1h', '24h', '7d']);

export namespace MetricsGetRequest {
  export const params = z.object({ window: metricsWindow }).readonly();
  /** Extension → host: completion and error rates, latencies, cost, tokens and tool calls over a window, for the Metrics view. */
  export const type = new RequestType<z.infer<typeof params>, MetricsSnapshot, void>('metrics/get');
}

export namespace MetricsChangedNotification {
  /** Host → extension: a run ended, so the metrics changed; sent at most every two seconds. */
  export const type = new NotificationType0('metrics/changed');
}
