import * as l10n from '@vscode/l10n';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall, ToolSpec } from './types';
import { parseRetryAfter, tornStreamError, toModelError } from './errors';
import { assignedToolCallId } from './toolCallIds';
import { boundedFetch } from './boundedFetch';

/**
 * OpenAI's chat completions over SSE, also for OpenAI-compatible servers. Tool calls arrive as deltas keyed by
 * index and are assembled here; usage comes in a final chunk when `include_usage` is set.
 */
export class OpenAIModel implements ChatModel {
  readonly provider = 'openai' as const;
  private readonly client: OpenAI;

  constructor(readonly baseUrl: string, readonly model: string, apiKey: string | undefined) {
    // Retries are the caller's decision, so the client's own are off. Local compatible servers need no key.
    this.client = new OpenAI({ baseURL: baseUrl, apiKey: apiKey || 'no-key', maxRetries: 0, fetch: boundedFetch() });
  }

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    let chunks = 0;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: request.messages.map(toOpenAIMessage),
          ...(request.tools.length ? { tools: request.tools.map(toOpenAITool) } : {}),
          ...outputLimit(this.baseUrl, request.maxOutputTokens),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
      let content = '';
      let finishReason = '';
      let responseModel = this.model;
      let usage = { inputTokens: 0, outputTokens: 0 };
      const partial = new Map<number, { id: string; name: string; args: string }>();
      for await (const chunk of stream) {
        chunks++;
        responseModel = chunk.model || responseModel;
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.content) {
          content += choice.delta.content;
          request.onText?.(choice.delta.content);
        }
        for (const delta of choice.delta.tool_calls ?? []) {
          const call = partial.get(delta.index) ?? { id: '', name: '', args: '' };
          call.id ||= delta.id ?? '';
          call.name += delta.function?.name ?? '';
          call.args += delta.function?.arguments ?? '';
          partial.set(delta.index, call);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      if (chunks === 0) throw new Error(l10n.t('the stream held no chat completion chunks'));
      // Every server sends a finish reason last; a stream that closes without one was cut short.
      if (!finishReason) throw new Error(l10n.t('the stream ended before the model finished'));
      const toolCalls = [...partial.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, call]) => parseToolCall(call, call.id || assignedToolCallId(request.messages, index)));
      return { content, toolCalls, usage, finishReason, responseModel };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (chunks > 0) throw tornStreamError(error, this);
      const apiError = error instanceof OpenAI.APIError ? error : undefined;
      throw toModelError(error, this, apiError?.status, parseRetryAfter(apiError?.headers));
    }
  }
}

function parseToolCall(call: { name: string; args: string }, id: string): ToolCall {
  if (call.args.trim() === '') return { id, name: call.name, arguments: {} };
  try {
    return { id, name: call.name, arguments: JSON.parse(call.args) };
  } catch (error) {
    return { id, name: call.name, arguments: call.args, argumentsError: l10n.t('the arguments are not valid JSON ({0})', (error as Error).message) };
  }
}

function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    default:
      return { role: message.role, content: message.content };
  }
}

function toOpenAITool(tool: ToolSpec): ChatCompletionTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/**
 * OpenAI's own API takes `max_completion_tokens` (reasoning models refuse `max_tokens`); compatible servers
 * (vLLM, llama.cpp, LM Studio, OpenRouter) all read `max_tokens`, and not all know the newer name.
 */
function outputLimit(baseUrl: string, maxOutputTokens: number | undefined): { max_completion_tokens?: number; max_tokens?: number } {
  if (maxOutputTokens === undefined) return {};
  return new URL(baseUrl).hostname === 'api.openai.com' ? { max_completion_tokens: maxOutputTokens } : { max_tokens: maxOutputTokens };
}
