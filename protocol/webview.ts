/** Messages between the extension and the trace viewer webview. Both ends are typed by these unions. */
import type { RunResult } from './run';
import type { SpanData } from './trace';

export type ToWebview =
  | { readonly type: 'reset'; readonly spans: readonly SpanData[]; readonly runs: readonly RunResult[] }
  | { readonly type: 'span'; readonly span: SpanData }
  | { readonly type: 'runFinished'; readonly result: RunResult };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'clear' }
  | { readonly type: 'runTask' };

export function isFromWebview(value: unknown): value is FromWebview {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'clear' || type === 'runTask';
}
