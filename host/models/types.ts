import type { ModelProvider } from '../../protocol/run';

/** A tool as offered to a model: name, description and a JSON schema for its arguments. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

export interface ToolCall {
  /** Stable within a run; assigned by Keel where the provider sends none (Ollama). */
  readonly id: string;
  readonly name: string;
  /** Parsed arguments, or the raw text when the model sent JSON that does not parse. */
  readonly arguments: unknown;
  readonly argumentsError?: string;
}

export type ChatMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly toolCallId: string; readonly toolName: string };

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  /** Called with each piece of streamed text as it arrives. */
  readonly onText?: (delta: string) => void;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** True when the server reported no counts and Keel estimated them (about four characters a token). */
  readonly estimated?: boolean;
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
