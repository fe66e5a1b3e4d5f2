/**
 * Messages between the extension and the trace viewer webview (the sidebar view and editor-area panels run the same
 * UI). Both ends are typed by these unions; what the webview sends is untrusted and checked by `parseFromWebview`.
 */
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { RunResult } from './run';
import type { RunSummary, SpanContent, SpanData, TraceSearchHit } from './trace';

export type ToWebview =
  /** Everything the viewer should show, replacing what it showed. */
  | { readonly type: 'reset'; readonly spans: readonly SpanData[]; readonly runs: readonly RunResult[] }
  /** Span snapshots batched by the extension; a later snapshot of a span replaces an earlier one. */
  | { readonly type: 'spans'; readonly spans: readonly SpanData[] }
  | { readonly type: 'runFinished'; readonly result: RunResult }
  /** Traces the extension no longer keeps: the viewer drops them too. */
  | { readonly type: 'forget'; readonly traceIds: readonly string[] }
  /** The answer to `spanContent`: null when none was recorded, `error` when it could not be loaded. */
  | { readonly type: 'spanContent'; readonly spanId: string; readonly content: SpanContent | null; readonly error?: string }
  | { readonly type: 'history'; readonly runs: readonly RunSummary[]; readonly error?: string }
  | { readonly type: 'searchResults'; readonly text: string; readonly hits: readonly TraceSearchHit[]; readonly error?: string }
  /** Select (and scroll to) a span, e.g. after a run was opened from the history. */
  | { readonly type: 'reveal'; readonly traceId: string; readonly spanId?: string }
  /** Two runs side by side, for a compare panel. */
  | { readonly type: 'compare'; readonly left: readonly SpanData[]; readonly right: readonly SpanData[] };

const id = (name: string) => z.string().regex(/^[0-9a-f]{1,64}$/i, { error: () => l10n.t({ message: 'must be a {0} id', args: [name], comment: ['{0} names what the id is of, as code: trace, span, run'] }) });
const outcome = z.enum(['succeeded', 'failed', 'cancelled', 'interrupted']);

const fromWebview = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('clear') }),
  z.strictObject({ type: z.literal('runTask') }),
  z.strictObject({ type: z.literal('spanContent'), traceId: id('trace'), spanId: id('span') }),
  z.strictObject({ type: z.literal('openFile'), path: z.string().min(1).max(1024) }),
  z.strictObject({ type: z.literal('listRuns'), outcome: outcome.optional() }),
  z.strictObject({ type: z.literal('search'), text: z.string().min(1).max(500) }),
  z.strictObject({ type: z.literal('openRun'), traceId: id('trace'), spanId: id('span').optional() }),
  z.strictObject({ type: z.literal('openInPanel'), traceId: id('trace') }),
  z.strictObject({ type: z.literal('compare'), traceIds: z.tuple([id('trace'), id('trace')]) }),
]);

export type FromWebview = z.infer<typeof fromWebview>;

/** The message if it is one the webview may send, else undefined: a webview holding model output is not trusted. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  const parsed = fromWebview.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function isFromWebview(value: unknown): value is FromWebview {
  return parseFromWebview(value) !== undefined;
}
