import type { Message, Tool } from 'ollama';
import type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall, ToolSpec } from './types';
import { tornStreamError, toModelError } from './errors';
import { ollamaClient, ollamaStatus } from './ollamaClient';
import { assignedToolCallId } from './toolCallIds';

/** Ollama's `/api/chat` with NDJSON streaming. Ollama sends tool arguments as objects and no call ids. */
export class OllamaModel implements ChatModel {
  readonly provider = 'ollama' as const;

  constructor(readonly baseUrl: string, readonly model: string) {}

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    const { client, retryAfterMs } = ollamaClient(this.baseUrl, signal);
    let streamed = false;
    try {
      if (signal.aborted) throw signal.reason;
      const stream = await client.chat({
        model: this.model,
        messages: request.messages.map(toOllamaMessage),
        tools: request.tools.map(toOllamaTool),
        ...(request.maxOutputTokens !== undefined ? { options: { num_predict: request.maxOutputTokens } } : {}),
        stream: true,
      });
      let content = '';
      const toolCalls: ToolCall[] = [];
      let last: { done_reason?: string; prompt_eval_count?: number; eval_count?: number; model?: string } = {};
      for await (const chunk of stream) {
        streamed = true;
        if (chunk.message.content) {
          content += chunk.message.content;
          request.onText?.(chunk.message.content);
        }
        for (const call of chunk.message.tool_calls ?? []) {
          toolCalls.push({ id: assignedToolCallId(request.messages, toolCalls.length), name: call.function.name, arguments: call.function.arguments });
        }
        last = chunk;
      }
      if (signal.aborted) throw signal.reason;
      return {
        content,
        toolCalls,
        usage: { inputTokens: last.prompt_eval_count ?? 0, outputTokens: last.eval_count ?? 0 },
        finishReason: toolCalls.length > 0 ? 'tool_calls' : (last.done_reason ?? 'stop'),
        responseModel: last.model ?? this.model,
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      // Includes the client's "Did not receive done" when the stream ends early without an error.
      if (streamed) throw tornStreamError(error, this);
      throw toModelError(error, this, ollamaStatus(error), retryAfterMs());
    }
  }
}

function toOllamaMessage(message: ChatMessage): Message {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? { tool_calls: message.toolCalls.map((c) => ({ function: { name: c.name, arguments: isRecord(c.arguments) ? c.arguments : {} } })) }
          : {}),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_name: message.toolName };
    default:
      return { role: message.role, content: message.content };
  }
}

function toOllamaTool(tool: ToolSpec): Tool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
