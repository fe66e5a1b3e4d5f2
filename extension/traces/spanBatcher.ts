/**
 * Span snapshots on their way to a webview, batched: a run streaming hundreds of spans a second costs the webview
 * one message per interval, each span once in its latest state. No `vscode` import, so it is unit-tested in Node.
 */
import type { SpanData } from '../../protocol/trace';

export const BATCH_MS = 50;

export class SpanBatcher {
  private pending = new Map<string, SpanData>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deliver: (spans: SpanData[]) => void, private readonly delayMs = BATCH_MS) {}

  add(span: SpanData): void {
    this.pending.set(span.spanId, span);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Sends what is pending now, e.g. before a message that must come after these spans. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const spans = [...this.pending.values()];
    this.pending = new Map();
    this.deliver(spans);
  }

  /** Drops pending spans of traces the store no longer keeps, so that they do not come back. */
  forget(traceIds: readonly string[]): void {
    const gone = new Set(traceIds);
    for (const [spanId, span] of this.pending) if (gone.has(span.traceId)) this.pending.delete(spanId);
  }

  clear(): void {
    this.pending.clear();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
