import type { ChatMessage, ChatResponse, ToolSpec, Usage } from './types';

/**
 * About four characters a token for English and code with GPT-style tokenizers. Only used to pick a model
 * and to bound cost before a call; the provider's own count is what gets billed and recorded.
 */
const CHARS_PER_TOKEN = 4;
/** Each message costs a few tokens of framing (role, separators) on top of its text. */
const TOKENS_PER_MESSAGE = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimateInputTokens(messages: readonly ChatMessage[], tools: readonly ToolSpec[]): number {
  let tokens = 0;
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE + estimateTokens(message.content);
    if (message.role === 'assistant') {
      for (const call of message.toolCalls ?? []) tokens += estimateTokens(call.name + JSON.stringify(call.arguments));
    }
  }
  for (const tool of tools) tokens += estimateTokens(tool.name + tool.description + JSON.stringify(tool.parameters));
  return tokens;
}

/**
 * Usage as every provider should report it. Servers that send none (some OpenAI-compatible ones ignore
 * `include_usage`; Ollama has dropped `prompt_eval_count` for cached prompts, ollama/ollama#2068) would make a
 * call look free and slip past budgets, so missing counts are estimated and marked as such.
 */
export function completeUsage(response: ChatResponse, estimatedInputTokens: number): Usage {
  const { inputTokens, outputTokens } = response.usage;
  // No real prompt is zero tokens, and a non-empty answer is not zero tokens either.
  const answer = response.content + response.toolCalls.map((call) => call.name + JSON.stringify(call.arguments)).join('');
  const inputMissing = inputTokens === 0;
  const outputMissing = outputTokens === 0 && answer.length > 0;
  if (!inputMissing && !outputMissing) return response.usage;
  return {
    inputTokens: inputMissing ? estimatedInputTokens : inputTokens,
    outputTokens: outputMissing ? estimateTokens(answer) : outputTokens,
    estimated: true,
  };
}
