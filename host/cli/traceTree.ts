import * as l10n from '@vscode/l10n';
import { spanDurationMs, type SpanData } from '../../protocol/trace';

const MARK: Record<SpanData['status'], string> = { running: '…', ok: '✓', error: '✗', cancelled: '⊘' };

/** Renders spans as an indented tree, children in start order, one line each; span names are data, not translated. */
export function renderTraceTree(spans: Iterable<SpanData>, now = Date.now()): string {
  const all = [...spans].sort((a, b) => a.startTime - b.startTime);
  const ids = new Set(all.map((s) => s.spanId));
  const parentOf = (s: SpanData) => (s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of all.filter((s) => parentOf(s) === parent)) {
      const message = span.statusMessage ? ` — ${span.statusMessage.split('\n')[0]}` : '';
      lines.push(`${'  '.repeat(depth)}${MARK[span.status]} ${span.name} (${l10n.t('{0} ms', spanDurationMs(span, now))})${message}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
