import type { ChatMessage, ToolCall, ToolSpec, Usage } from '../../protocol/models';
import type { ModelProvider } from '../../protocol/run';

export type { ChatMessage, ToolCall, ToolSpec, Usage };

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  /** Called with each piece of streamed text as it arrives. */
  readonly onText?: (delta: string) => void;
  /** The most tokens the answer may have (`max_tokens`, `num_predict`); the router sends its `maxOutputTokens`. */
  readonly maxOutputTokens?: number;
}

export interface ChatResponse {
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: Usage;
  readonly finishReason: string;
  /** The model that actually answered, as the server named it. */
  readonly responseModel: string;
}

/** One provider's model behind Keel's interface. Implementations never retry; callers decide. */
export interface ChatModel {
  readonly provider: ModelProvider;
  readonly model: string;
  readonly baseUrl: string;
  chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;
}
