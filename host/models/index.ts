/** The model layer's public surface: one interface over every provider. */
import type { ModelSettings } from '../../protocol/run';
import { OllamaModel } from './ollamaModel';
import { OpenAIModel } from './openaiModel';
import type { ChatModel } from './types';

export type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall, ToolSpec, Usage } from './types';
export { ModelError } from './errors';

export function createChatModel(settings: ModelSettings): ChatModel {
  switch (settings.provider) {
    case 'ollama':
      return new OllamaModel(settings.baseUrl, settings.model);
    case 'openai':
      return new OpenAIModel(settings.baseUrl, settings.model, settings.apiKey);
  }
}
