/**
 * A span's content (prompts, answers, tool arguments and results, code) as it is kept: every string redacted, every
 * value and the whole span bounded. Huge values are cut with a marker rather than refused, so a trace always says
 * what happened even when a tool returned megabytes.
 */
import type { SpanContent } from '../../protocol/trace';
import { redacted } from './redaction';

/** The longest string kept in one content value; the rest is cut with a marker. */
export const MAX_CONTENT_STRING_CHARS = 256 * 1024;
/** All of one span's content together; values set after this is spent are cut to markers. */
export const MAX_SPAN_CONTENT_CHARS = 1024 * 1024;
/**
 * How far past a cut a string is still redacted: a secret that straddles the cut (a private key is a few KiB) is
 * recognised whole, so the part before the cut does not survive as an unrecognised fragment.
 */
const REDACT_PAST_CUT_CHARS = 16 * 1024;
/** Deeper nesting than this is not content anyone reads; it stops a cyclic or hostile value. */
const MAX_DEPTH = 64;

/** What a span's sinks get with its end: the content, and its JSON as the trace store writes it. */
export interface RecordedContent {
  readonly values: SpanContent;
  readonly json: string;
}

/** One span's content as it is set: redacted and bounded value by value, within the span's budget. */
export class ContentRecorder {
  private readonly values: Record<string, unknown> = {};
  private readonly sizes = new Map<string, number>();
  private used = 0;

  set(key: string, value: unknown): void {
    this.used -= this.sizes.get(key) ?? 0;
    const budget = { left: MAX_SPAN_CONTENT_CHARS - this.used };
    const kept = bounded(value, budget, 0);
    const size = MAX_SPAN_CONTENT_CHARS - this.used - budget.left;
    this.values[key] = kept;
    this.sizes.set(key, size);
    this.used += size;
  }

  /** The content so far, or undefined when none was set. */
  recorded(): RecordedContent | undefined {
    if (this.sizes.size === 0) return undefined;
    return { values: this.values, json: JSON.stringify(this.values) };
  }
}

/** `value` with strings redacted and cut; charges what it keeps to `budget`. */
function bounded(value: unknown, budget: { left: number }, depth: number): unknown {
  if (typeof value === 'string') return boundedString(value, budget);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    budget.left -= 8;
    return value;
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') return boundedString(String(value), budget);
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  // Brackets, commas and colons count too: a million empty lists is megabytes of JSON.
  budget.left -= 2;
  if (Array.isArray(value)) {
    const kept: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (budget.left <= 0) {
        kept.push(`[${value.length - i} more items cut]`);
        break;
      }
      budget.left -= 1;
      kept.push(bounded(value[i], budget, depth + 1) ?? null);
    }
    return kept;
  }
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return bounded(json.call(value), budget, depth + 1);
  const kept: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = 0; i < entries.length; i++) {
    if (budget.left <= 0) {
      kept['[cut]'] = `${entries.length - i} more fields cut`;
      break;
    }
    const [key, item] = entries[i]!;
    budget.left -= 2;
    const boundedItem = bounded(item, budget, depth + 1);
    if (boundedItem !== undefined) kept[boundedString(key, budget)] = boundedItem;
  }
  return kept;
}

function boundedString(text: string, budget: { left: number }): string {
  const limit = Math.max(0, Math.min(MAX_CONTENT_STRING_CHARS, budget.left));
  if (text.length <= limit) {
    budget.left -= text.length + 2;
    return redacted(text);
  }
  const kept = redacted(text.slice(0, limit + REDACT_PAST_CUT_CHARS)).slice(0, limit);
  const cut = `${kept}${kept ? '\n' : ''}[${text.length - limit} more characters cut]`;
  budget.left -= cut.length + 2;
  return cut;
}
