import * as vscode from 'vscode';
import type { RunResult } from '../../protocol/run';
import type { SpanData } from '../../protocol/trace';

const KEEP_TRACES = 30;

/** The spans of recent runs, so a trace viewer opened late still shows them. Oldest traces are dropped first. */
export class TraceStore implements vscode.Disposable {
  private readonly spans = new Map<string, SpanData>();
  private readonly results = new Map<string, RunResult>();
  private readonly traceOrder: string[] = [];
  private readonly spanEmitter = new vscode.EventEmitter<SpanData>();
  private readonly runEmitter = new vscode.EventEmitter<RunResult>();
  private readonly resetEmitter = new vscode.EventEmitter<void>();
  private readonly forgetEmitter = new vscode.EventEmitter<string[]>();
  readonly onDidUpdateSpan = this.spanEmitter.event;
  readonly onDidFinishRun = this.runEmitter.event;
  readonly onDidReset = this.resetEmitter.event;
  /** Traces dropped to keep the store bounded; viewers drop them too. */
  readonly onDidForget = this.forgetEmitter.event;

  upsert(span: SpanData): void {
    if (!this.traceOrder.includes(span.traceId)) {
      this.traceOrder.push(span.traceId);
      if (this.traceOrder.length > KEEP_TRACES) {
        const dropped = this.traceOrder.shift()!;
        this.drop(dropped);
        this.forgetEmitter.fire([dropped]);
      }
    }
    this.spans.set(span.spanId, span);
    this.spanEmitter.fire(span);
  }

  finish(result: RunResult): void {
    this.results.set(result.runId, result);
    // An interrupted run's host died, so its open spans will never end on their own.
    if (result.outcome === 'interrupted') this.endOpenSpans(result.runId, result.message);
    this.runEmitter.fire(result);
  }

  clear(): void {
    this.spans.clear();
    this.results.clear();
    this.traceOrder.length = 0;
    this.resetEmitter.fire();
  }

  all(): SpanData[] {
    return [...this.spans.values()];
  }

  runs(): RunResult[] {
    return [...this.results.values()];
  }

  has(traceId: string): boolean {
    return this.traceOrder.includes(traceId);
  }

  spansOf(traceId: string): SpanData[] {
    return [...this.spans.values()].filter((span) => span.traceId === traceId);
  }

  /** The result of the run a trace records, if it has finished. */
  resultOf(traceId: string): RunResult | undefined {
    const root = this.spansOf(traceId).find((span) => span.parentSpanId === undefined);
    const runId = root?.attributes['keel.run.id'];
    return typeof runId === 'string' ? this.results.get(runId) : undefined;
  }

  dispose(): void {
    this.spanEmitter.dispose();
    this.runEmitter.dispose();
    this.resetEmitter.dispose();
    this.forgetEmitter.dispose();
  }

  private endOpenSpans(runId: string, message: string): void {
    const root = [...this.spans.values()].find((s) => s.attributes['keel.run.id'] === runId && s.parentSpanId === undefined);
    if (!root) return;
    for (const span of [...this.spans.values()]) {
      if (span.traceId === root.traceId && span.status === 'running') {
        this.upsert({ ...span, status: 'error', statusMessage: message, endTime: Date.now() });
      }
    }
  }

  private drop(traceId: string): void {
    for (const [id, span] of this.spans) {
      if (span.traceId !== traceId) continue;
      this.spans.delete(id);
      const runId = span.attributes['keel.run.id'];
      if (typeof runId === 'string') this.results.delete(runId);
    }
  }
}
