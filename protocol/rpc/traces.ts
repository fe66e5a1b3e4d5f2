/** Spans as runs produce them (`trace/…`). */
import * as l10n from '@vscode/l10n';
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { integer, text } from '../params';
import type { RunSummary, SpanContent, SpanData, TraceSearchHit } from '../trace';

const traceId = z.string().regex(/^[0-9a-f]{1,64}$/i, { error: () => l10n.t('must be a trace id') });

export namespace SpanNotification {
  /** Host → extension: a span started or ended; the latest snapshot of a span replaces earlier ones. */
  export const type = new NotificationType<SpanData>('trace/span');
}

export namespace TraceListRunsRequest {
  export const params = z
    .object({
      outcome: z.enum(['succeeded', 'failed', 'cancelled', 'interrupted']).optional(),
      agent: text(200, 1).optional(),
      model: text(200, 1).optional(),
      since: z.number().min(0).optional(),
      minCostUsd: z.number().min(0).optional(),
      limit: integer(1, 1000).optional(),
    })
    .readonly();
  /** Extension → host: the runs the trace store keeps, newest first, for the history of the trace viewer. */
  export const type = new RequestType<z.infer<typeof params>, { runs: RunSummary[] }, void>('trace/listRuns');
}

export namespace TraceGetRequest {
  export const params = z.object({ traceId }).readonly();
  /** Extension → host: one kept trace's spans. */
  export const type = new RequestType<z.infer<typeof params>, { spans: SpanData[] }, void>('trace/get');
}

export namespace TraceSpanContentRequest {
  export const params = z.object({ traceId, spanId: z.string().regex(/^[0-9a-f]{1,32}$/i, { error: () => l10n.t('must be a span id') }) }).readonly();
  /** Extension → host: the content kept for one span (null when none was recorded or it has been pruned). */
  export const type = new RequestType<z.infer<typeof params>, { content: SpanContent | null }, void>('trace/spanContent');
}

export namespace TraceSearchRequest {
  export const params = z.object({ text: text(500, 1), limit: integer(1, 100).optional() }).readonly();
  /** Extension → host: spans of kept runs whose name, attributes or content hold the text. */
  export const type = new RequestType<z.infer<typeof params>, { hits: TraceSearchHit[] }, void>('trace/search');
}
