import * as l10n from '@vscode/l10n';
import type { AttributeValue } from '../../protocol/trace';
import type { ContextSection } from '../memory';
import type { ChatMessage } from '../models/types';
import { Compactor, cutToTokens, turnsOf, type Compaction, type Summarizer } from './compaction';
import { loadTokenCounter, messageTokens, REPLY_PRIMING, type TokenCounter } from './tokens';

export interface ContextInput {
  /** Always sent, first. */
  readonly system: string;
  /** The task as the user gave it; always sent, after the recalled sections. */
  readonly goal: string;
  readonly sections?: readonly ContextSection[];
  /** Everything after the goal, oldest first: assistant turns with tool calls, tool results, user follow-ups. */
  readonly conversation: readonly ChatMessage[];
}

export interface ContextBuilderOptions {
  /**
   * Tokens the messages may take: the model's context window less its answer (`maxOutputTokens`), the tool specs
   * offered, and a margin for tokenizers other than o200k_base.
   */
  readonly budget: number;
  /** Summarises older turns; without one they are shortened deterministically. */
  readonly summarize?: Summarizer;
  /** The conversation is compacted when it takes more than this share of the budget. Default 0.5. */
  readonly compactAt?: number;
  /** After compaction, the turns kept verbatim take at most this share of the budget. Default 0.25. */
  readonly keepShare?: number;
  /** The newest turns are never compacted, however large. Default 2. */
  readonly keepTurns?: number;
  /** The summary takes at most this share of the budget. Default 0.1. */
  readonly summaryShare?: number;
  /** A summariser slower than this counts as failed. Default 60 s. */
  readonly summaryTimeoutMs?: number;
  /** Default: o200k_base from gpt-tokenizer. */
  readonly countTokens?: TokenCounter;
}

export interface ContextPart {
  /** `system`, `goal`, `conversation`, `summary`, or a section's name. */
  readonly name: string;
  /** As sent; 0 when dropped. */
  readonly tokens: number;
  readonly status: 'kept' | 'trimmed' | 'dropped';
  /** Before trimming or dropping. */
  readonly fullTokens: number;
}

export interface CompactionReport {
  /** Conversation messages replaced by the summary message. */
  readonly messages: number;
  readonly method: 'summary' | 'truncation';
  /** Made on an earlier call with the same older messages: nothing was summarised this time. */
  readonly cached: boolean;
  /** Why the deterministic truncation stood in for the summariser. */
  readonly fallbackReason?: string;
}

export interface ContextReport {
  readonly budget: number;
  /** Of all messages sent, as counted (content, tool calls and framing). */
  readonly tokens: number;
  /** The system prompt, the goal and the newest turns alone exceed the budget; they are sent anyway. */
  readonly overBudget: boolean;
  readonly parts: readonly ContextPart[];
  readonly compaction?: CompactionReport;
  /** What was trimmed, dropped or compacted and why, as sentences for the trace. */
  readonly notes: readonly string[];
}

export interface BuiltContext {
  readonly messages: ChatMessage[];
  readonly report: ContextReport;
}

/** A section cut smaller than this is dropped instead: a few lines of a chunk mislead more than they help. */
const MIN_TRIMMED_TOKENS = 48;
/** Joining sections may merge a newline or two across the seam; this keeps the per-section sums conservative. */
const SEAM_TOKENS = 2;

/**
 * Working memory: fills a model's context window by priority within a token budget. The system prompt and the
 * goal are always kept and so are the newest turns, verbatim; recalled sections are trimmed or dropped, lowest
 * priority first; once the conversation outgrows its share, older turns are summarised into one message. One
 * builder per run: it caches summaries, so the same older turns are summarised once.
 */
export class ContextBuilder {
  private readonly options: Required<Omit<ContextBuilderOptions, 'summarize' | 'countTokens'>>;
  private readonly messageCounts = new WeakMap<ChatMessage, number>();
  private compactor: Compactor | undefined;

  constructor(private readonly init: ContextBuilderOptions) {
    if (!(init.budget > 0)) throw new Error(l10n.t('The context budget must be a positive number of tokens, not {0}: pass the model\'s context window less its answer.', String(init.budget)));
    const { compactAt = 0.5, keepShare = 0.25, keepTurns = 2, summaryShare = 0.1, summaryTimeoutMs = 60_000 } = init;
    this.options = { budget: Math.floor(init.budget), compactAt, keepShare, keepTurns, summaryShare, summaryTimeoutMs };
  }

  /**
   * The messages to send and what was kept. Never fails because of compaction (a failing summariser is replaced by
   * truncation); rejects only when `signal` is aborted.
   */
  async build(input: ContextInput, signal: AbortSignal = new AbortController().signal): Promise<BuiltContext> {
    const count = this.init.countTokens ?? (await loadTokenCounter());
    const { budget } = this.options;
    const notes: string[] = [];
    const system: ChatMessage = { role: 'system', content: input.system };
    const goal: ChatMessage = { role: 'user', content: input.goal };
    const fixed = this.tokens(system, count) + this.tokens(goal, count) + REPLY_PRIMING;
    if (fixed > budget) notes.push(l10n.t('The system prompt and the goal alone take {0} tokens, more than the budget of {1}: shorten the goal or use a model with a larger context window.', fixed, budget));

    const conversation = await this.fitConversation(input.conversation, fixed, count, signal, notes);
    const room = budget - fixed - conversation.tokens;
    const sections = this.fitSections(input.sections ?? [], room, count, notes);

    const messages = [system, ...(sections.message ? [sections.message] : []), goal, ...conversation.messages];
    const tokens = messages.reduce((sum, m) => sum + this.tokens(m, count), REPLY_PRIMING);
    const conversationParts: ContextPart[] = conversation.compaction
      ? [
          { name: 'summary', tokens: this.tokens(conversation.compaction.message, count), status: 'kept', fullTokens: this.tokens(conversation.compaction.message, count) },
          { name: 'conversation', tokens: conversation.tokens - this.tokens(conversation.compaction.message, count), status: 'trimmed', fullTokens: conversation.fullTokens },
        ]
      : [{ name: 'conversation', tokens: conversation.tokens, status: 'kept', fullTokens: conversation.tokens }];
    const overBudget = tokens > budget;
    if (overBudget && fixed <= budget) notes.push(l10n.t('The newest turns alone exceed the budget ({0} of {1} tokens); they are sent whole because a turn is never split.', tokens, budget));
    return {
      messages,
      report: {
        budget,
        tokens,
        overBudget,
        parts: [
          { name: 'system', tokens: this.tokens(system, count), status: 'kept', fullTokens: this.tokens(system, count) },
          ...sections.parts,
          { name: 'goal', tokens: this.tokens(goal, count), status: 'kept', fullTokens: this.tokens(goal, count) },
          ...conversationParts,
        ],
        ...(conversation.report ? { compaction: conversation.report } : {}),
        notes,
      },
    };
  }

  /** The conversation as it fits its share, older turns compacted when it does not. */
  private async fitConversation(conversation: readonly ChatMessage[], fixed: number, count: TokenCounter, signal: AbortSignal, notes: string[]) {
    const { budget, compactAt, keepShare, keepTurns } = this.options;
    const compactor = this.compactorFor(count);
    const fullTokens = this.sum(conversation, count);
    const limit = Math.max(0, Math.min(Math.floor(budget * compactAt), budget - fixed));
    let compaction = compactor.latest(conversation);
    let cached = compaction !== undefined;
    let view = this.view(conversation, compaction);
    let tokens = this.sum(view, count);
    if (tokens > limit) {
      // Keep the newest turns that fit the kept share (never fewer than keepTurns); compact everything before them.
      const done = compaction?.end ?? 0;
      const turns = turnsOf(conversation);
      let split = conversation.length;
      let kept = 0;
      let keptTurns = 0;
      for (let i = turns.length - 1; i >= 0 && turns[i]!.start >= done; i--) {
        const turn = turns[i]!;
        const size = this.sum(conversation.slice(turn.start, turn.end), count);
        if (keptTurns >= keepTurns && kept + size > budget * keepShare) break;
        kept += size;
        keptTurns++;
        split = turn.start;
      }
      if (split > done) {
        compaction = await compactor.compact(conversation, split, compaction, signal);
        cached = false;
        view = this.view(conversation, compaction);
        tokens = this.sum(view, count);
      } else {
        notes.push(l10n.t('The conversation takes {0} tokens, over its share of {1}, but only the newest {2} turns are left, which are kept verbatim.', tokens, limit, keepTurns));
      }
    }
    if (compaction) {
      const { end, fallbackReason } = compaction;
      notes.push(
        compaction.method !== 'summary'
          ? l10n.t('The first {0} conversation messages were shortened by truncation because the summariser failed: {1}.', end, String(fallbackReason))
          : cached
            ? l10n.t('The first {0} conversation messages were summarised (cached summary).', end)
            : l10n.t('The first {0} conversation messages were summarised.', end),
      );
    }
    const report: CompactionReport | undefined = compaction
      ? { messages: compaction.end, method: compaction.method, cached, ...(compaction.fallbackReason ? { fallbackReason: compaction.fallbackReason } : {}) }
      : undefined;
    return { messages: view, tokens, fullTokens, compaction, report };
  }

  /** The sections that fit in `room`, highest priority first, as one user message in their given order. */
  private fitSections(sections: readonly ContextSection[], room: number, count: TokenCounter, notes: string[]) {
    const rendered = new Map<ContextSection, { text: string; tokens: number; status: ContextPart['status'] }>();
    const fullTokens = new Map(sections.map((s) => [s, count(render(s, s.items.length))] as const));
    // A message's framing, plus the seams between sections.
    const overhead = this.tokens({ role: 'user', content: '' }, count);
    let used = overhead;
    const byPriority = [...sections].sort((a, b) => b.priority - a.priority);
    // Once one section has been cut, every lower one is dropped: a lower priority never gets room a higher one lacked.
    let full = false;
    for (const section of byPriority) {
      const left = full ? 0 : room - used - SEAM_TOKENS;
      const tokens = fullTokens.get(section)!;
      const fitted = tokens <= left ? { text: render(section, section.items.length), tokens, status: 'kept' as const } : trimmed(section, left, count);
      if (!fitted) {
        notes.push(full
          ? l10n.t('Dropped the {0} section ({1} tokens): a section of higher priority was already cut.', section.name, tokens)
          : l10n.t('Dropped the {0} section ({1} tokens): the budget left {2} tokens for it.', section.name, tokens, Math.max(0, left)));
        full = true;
        continue;
      }
      if (fitted.status === 'trimmed') {
        notes.push(l10n.t('Trimmed the {0} section from {1} to {2} tokens to fit the budget.', section.name, tokens, fitted.tokens));
        full = true;
      }
      rendered.set(section, fitted);
      used += fitted.tokens + SEAM_TOKENS;
    }
    // Counted whole, the joined text can differ from the sum of its parts; drop from the lowest priority until it fits.
    let message = joined(sections, rendered);
    for (const section of [...byPriority].reverse()) {
      if (!message || this.tokens(message, count) <= room) break;
      if (!rendered.delete(section)) continue;
      notes.push(l10n.t('Dropped the {0} section to fit the budget.', section.name));
      message = joined(sections, rendered);
    }
    const parts: ContextPart[] = sections.map((s) => {
      const kept = rendered.get(s);
      return { name: s.name, tokens: kept?.tokens ?? 0, status: kept?.status ?? 'dropped', fullTokens: fullTokens.get(s)! };
    });
    return { message: message && this.tokens(message, count) <= room ? message : undefined, parts };
  }

  private view(conversation: readonly ChatMessage[], compaction: Compaction | undefined): readonly ChatMessage[] {
    return compaction ? [compaction.message, ...conversation.slice(compaction.end)] : conversation;
  }

  private compactorFor(count: TokenCounter): Compactor {
    this.compactor ??= new Compactor({
      ...(this.init.summarize ? { summarize: this.init.summarize } : {}),
      maxSummaryTokens: Math.max(64, Math.floor(this.options.budget * this.options.summaryShare)),
      summaryTimeoutMs: this.options.summaryTimeoutMs,
      count,
    });
    return this.compactor;
  }

  private sum(messages: readonly ChatMessage[], count: TokenCounter): number {
    return messages.reduce((total, m) => total + this.tokens(m, count), 0);
  }

  /** Messages are immutable and a run re-sends them every step, so each is counted once. */
  private tokens(message: ChatMessage, count: TokenCounter): number {
    let tokens = this.messageCounts.get(message);
    if (tokens === undefined) {
      tokens = messageTokens(message, count);
      this.messageCounts.set(message, tokens);
    }
    return tokens;
  }
}

/** Span attributes summarising a context report, for the `chat` span it preceded. */
export function contextAttributes(report: ContextReport): Record<string, AttributeValue> {
  const dropped = report.parts.filter((p) => p.status === 'dropped').map((p) => p.name);
  const trimmed = report.parts.filter((p) => p.status === 'trimmed').map((p) => p.name);
  return {
    'keel.context.budget': report.budget,
    'keel.context.tokens': report.tokens,
    'keel.context.parts': JSON.stringify(Object.fromEntries(report.parts.map((p) => [p.name, p.tokens]))),
    ...(dropped.length ? { 'keel.context.dropped': dropped.join(', ') } : {}),
    ...(trimmed.length ? { 'keel.context.trimmed': trimmed.join(', ') } : {}),
    ...(report.compaction
      ? {
          'keel.context.compaction': `${report.compaction.method}${report.compaction.cached ? ' (cached)' : ''} of ${report.compaction.messages} messages`,
          ...(report.compaction.fallbackReason ? { 'keel.context.compaction.fallback_reason': report.compaction.fallbackReason } : {}),
        }
      : {}),
    ...(report.overBudget ? { 'keel.context.over_budget': true } : {}),
    ...(report.notes.length ? { 'keel.context.notes': report.notes.join(' ') } : {}),
  };
}

/** The section with its first `shown` items and a line saying how many were left out. */
function render(section: ContextSection, shown: number, items: readonly string[] = section.items): string {
  const omitted = section.items.length - shown;
  return [
    section.header,
    ...items.slice(0, shown),
    ...(omitted > 0 ? [`[${omitted} more ${omitted === 1 ? 'entry' : 'entries'} left out to fit the context window]`] : []),
    ...(section.footer ? [section.footer] : []),
  ].join('\n');
}

/** The most of a section that fits in `room` tokens: as many whole items as fit, else the first item cut short. */
function trimmed(section: ContextSection, room: number, count: TokenCounter): { text: string; tokens: number; status: 'trimmed' } | undefined {
  if (room < MIN_TRIMMED_TOKENS || section.items.length === 0) return undefined;
  let low = 0;
  let high = section.items.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (count(render(section, mid)) <= room) low = mid;
    else high = mid - 1;
  }
  if (low > 0) {
    const text = render(section, low);
    return { text, tokens: count(text), status: 'trimmed' };
  }
  const frame = count(render(section, 1, [''])) + SEAM_TOKENS;
  if (room - frame < MIN_TRIMMED_TOKENS) return undefined;
  const text = render(section, 1, [cutToTokens(section.items[0]!, room - frame, count)]);
  const tokens = count(text);
  return tokens <= room ? { text, tokens, status: 'trimmed' } : undefined;
}

function joined(sections: readonly ContextSection[], rendered: ReadonlyMap<ContextSection, { text: string }>): ChatMessage | undefined {
  const texts = sections.flatMap((s) => (rendered.has(s) ? [rendered.get(s)!.text] : []));
  return texts.length ? { role: 'user', content: texts.join('\n\n') } : undefined;
}
