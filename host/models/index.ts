/** The model layer's public surface: one interface over every provider, and the router in front of them. */
import type { ModelSettings } from '../../protocol/run';
import type { ModelTarget } from './errors';
import { OllamaModel } from './ollamaModel';
import { OpenAIModel } from './openaiModel';
import type { ChatModel } from './types';

export type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall, ToolSpec, Usage } from './types';
export { ModelError, type ModelErrorKind } from './errors';
export { TASK_CLASSES, modelEntrySchema, type ModelEntry, type TaskClass } from './catalog';
export { discoverOllamaModels } from './ollamaDiscovery';
export { parseRouterSettings, SETTING, type RouterSettings, type RouterSettingsInput } from './routerSettings';
export { ModelRouter, type ModelRouterOptions, type RoutedChatRequest, type RoutedChatResponse } from './router';
export { Accounting, BudgetExceededError, type BudgetEscalation, type Totals } from './accounting';
export { HeuristicClassifier, ModelClassifier, type DifficultyClassifier, type DifficultyVerdict } from './difficulty';

/** The client for one model; OpenAI-compatible servers that need no key get none. */
export function connectModel(target: ModelTarget, apiKey?: string): ChatModel {
  switch (target.provider) {
    case 'ollama':
      return new OllamaModel(target.baseUrl, target.model);
    case 'openai':
      return new OpenAIModel(target.baseUrl, target.model, apiKey);
  }
}

export function createChatModel(settings: ModelSettings): ChatModel {
  return connectModel(settings, settings.apiKey);
}
