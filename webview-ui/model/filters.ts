/** Which spans the viewer shows: kinds (errors, model calls, tools, approvals, subagents) and a search text. */
import * as l10n from '@vscode/l10n';
import type { SpanData } from '../../protocol/trace';

export type SpanKind = 'errors' | 'chat' | 'tools' | 'approvals' | 'subagents';

export const SPAN_KINDS: readonly { readonly kind: SpanKind; readonly label: string }[] = [
  { kind: 'errors', label: l10n.t('Errors') },
  { kind: 'chat', label: l10n.t('Model calls') },
  { kind: 'tools', label: l10n.t('Tools') },
  { kind: 'approvals', label: l10n.t('Approvals') },
  { kind: 'subagents', label: l10n.t('Subagents') },
];

export interface ViewFilter {
  /** Spans of any of these kinds match; none selected: every kind does. */
  readonly kinds: ReadonlySet<SpanKind>;
  /** Case-insensitive text in the span's name, status message, attribute keys or values; empty: any. */
  readonly text: string;
}

export const NO_FILTER: ViewFilter = { kinds: new Set(), text: '' };

export function isFiltering(filter: ViewFilter): boolean {
  return filter.kinds.size > 0 || filter.text.trim() !== '';
}

export function isKind(span: SpanData, kind: SpanKind): boolean {
  switch (kind) {
    case 'errors':
      return span.status === 'error';
    case 'chat':
      return span.operation === 'chat';
    case 'tools':
      return span.operation === 'execute_tool';
    case 'approvals':
      return span.operation === 'approval';
    case 'subagents':
      return span.operation === 'invoke_agent' && span.parentSpanId !== undefined;
  }
}

export function matches(span: SpanData, filter: ViewFilter): boolean {
  if (filter.kinds.size > 0 && ![...filter.kinds].some((kind) => isKind(span, kind))) return false;
  const text = filter.text.trim().toLowerCase();
  return text === '' || containsText(span, text);
}

/** `needle` must already be lower case. */
function containsText(span: SpanData, needle: string): boolean {
  if (span.name.toLowerCase().includes(needle)) return true;
  if (span.statusMessage?.toLowerCase().includes(needle)) return true;
  for (const [key, value] of Object.entries(span.attributes)) {
    if (key.toLowerCase().includes(needle) || String(value).toLowerCase().includes(needle)) return true;
  }
  return false;
}
