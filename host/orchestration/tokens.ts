import type { ChatMessage } from '../models/types';

/** The number of tokens a text takes. */
export type TokenCounter = (text: string) => number;

/**
 * Framing tokens per message in OpenAI's chat format (`<|im_start|>role\n … <|im_end|>\n`), and the tokens that
 * prime the reply. Other providers frame messages differently but at a similar cost.
 */
const MESSAGE_OVERHEAD = 4;
export const REPLY_PRIMING = 3;
/** A tool call's framing: its type, the JSON keys around name and arguments. */
const TOOL_CALL_OVERHEAD = 8;

let loading: Promise<TokenCounter> | undefined;

/**
 * Counts with o200k_base, the encoding of GPT-4o, GPT-4.1, GPT-5 and the o-series. Other families (Qwen, Llama)
 * count somewhat differently, so a budget should leave a margin. Loaded on first use: reading the encoding's ranks
 * takes about 150 ms, which host start-up should not pay.
 */
export function loadTokenCounter(): Promise<TokenCounter> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then(({ countTokens }) => {
    // Text such as `<|endoftext|>` in a file is counted as text; by default the encoder refuses it.
    const ordinary = { disallowedSpecial: new Set<string>() };
    return remembering(boundedCounter((text: string) => countTokens(text, ordinary)));
  });
  return loading;
}

/** Texts of this many characters are remembered once counted (at most 256 × 16 KiB held). */
const REMEMBERED_MIN_CHARS = 64;
const REMEMBERED_MAX_CHARS = 16 * 1024;
const REMEMBERED_TEXTS = 256;

/**
 * Remembers the counts of the last long texts: every agent and subagent of a run counts the same system prompt and
 * tool schemas again at each call, which is most of a short subagent's own cost.
 */
function remembering(count: TokenCounter): TokenCounter {
  const counts = new Map<string, number>();
  return (text) => {
    if (text.length < REMEMBERED_MIN_CHARS || text.length > REMEMBERED_MAX_CHARS) return count(text);
    const known = counts.get(text);
    if (known !== undefined) return known;
    const tokens = count(text);
    if (counts.size >= REMEMBERED_TEXTS) counts.delete(counts.keys().next().value!);
    counts.set(text, tokens);
    return tokens;
  };
}

/** Past this many characters a text's count is extrapolated from its first part. */
const EXACT_COUNT_CHARS = 32 * 1024;
/** BPE merges a run without spaces in time quadratic in its length; longer runs are counted in pieces. */
const MAX_RUN_CHARS = 256;
/** Starts only where a run starts: tried inside every word, it rescanned each word from each of its letters. */
const LONG_RUN = new RegExp(`(?<!\\S)\\S{${MAX_RUN_CHARS + 1},}`, 'g');

/**
 * A counter whose cost is bounded whatever the text: 0.1 MB without a space took the encoder 6 s, and a model or a
 * file can send far more, while the host's event loop must keep answering. Long runs are counted in pieces (a
 * token never spans 256 characters of them in practice) and huge texts from a sample, which a prompt budget can
 * afford: it only decides what fits, and the provider's own count is what gets billed.
 */
export function boundedCounter(count: TokenCounter): TokenCounter {
  const exact = (text: string): number => {
    let tokens = 0;
    let from = 0;
    for (const run of text.matchAll(LONG_RUN)) {
      if (run.index > from) tokens += count(text.slice(from, run.index));
      for (let at = 0; at < run[0].length; at += MAX_RUN_CHARS) tokens += count(run[0].slice(at, at + MAX_RUN_CHARS));
      from = run.index + run[0].length;
    }
    return from === 0 ? count(text) : tokens + (from < text.length ? count(text.slice(from)) : 0);
  };
  return (text) => (text.length <= EXACT_COUNT_CHARS ? exact(text) : Math.ceil((exact(text.slice(0, EXACT_COUNT_CHARS)) * text.length) / EXACT_COUNT_CHARS));
}

/** A message's tokens as a provider bills them: content, tool calls with their arguments, and framing. */
export function messageTokens(message: ChatMessage, count: TokenCounter): number {
  let tokens = MESSAGE_OVERHEAD + count(message.content);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) tokens += TOOL_CALL_OVERHEAD + count(call.id) + count(call.name) + count(argumentsText(call.arguments));
  } else if (message.role === 'tool') {
    tokens += count(message.toolCallId);
  }
  return tokens;
}

/** Arguments as the provider receives them: a string as sent, anything else as JSON. */
export function argumentsText(args: unknown): string {
  return typeof args === 'string' ? args : (JSON.stringify(args) ?? '');
}
