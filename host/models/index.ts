/** The model layer's public surface: one interface over every provider, and the router in front of them. */
export { connectModel } from './connect';
export type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall, ToolSpec, Usage } from './types';
export { ModelError, type ModelErrorKind } from './errors';
export { TASK_CLASSES, modelEntrySchema, type ModelEntry, type TaskClass } from './catalog';
export { discoverOllamaModels } from './ollamaDiscovery';
export { parseRouterSettings, SETTING, type RouterSettings, type RouterSettingsInput } from './routerSettings';
export { ModelRouter, type ModelRouterOptions, type RoutedChatRequest, type RoutedChatResponse } from './router';
export { Accounting, BudgetExceededError, type BudgetEscalation, type Totals } from './accounting';
export { HeuristicClassifier, ModelClassifier, type DifficultyClassifier, type DifficultyVerdict } from './difficulty';
export { RouterCache, routerSettingsFrom, type RouterCacheOptions } from './routerCache';
export type { VsCodeChat } from './vscodeModel';
export { embedChecked, type Embedder } from './embedder';
