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
    return (text: string) => countTokens(text, ordinary);
  });
  return loading;
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
