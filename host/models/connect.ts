import type { ModelTarget } from './errors';
import { OllamaModel } from './ollamaModel';
import { OpenAIModel } from './openaiModel';
import type { ChatModel } from './types';
import { VsCodeModel, type VsCodeChat } from './vscodeModel';

/** The client for one model. OpenAI-compatible servers that need no key get none; VS Code's models need the extension. */
export function connectModel(target: ModelTarget, options: { apiKey?: string; vscodeChat?: VsCodeChat } = {}): ChatModel {
  switch (target.provider) {
    case 'ollama':
      return new OllamaModel(target.baseUrl, target.model);
    case 'openai':
      return new OpenAIModel(target.baseUrl, target.model, options.apiKey);
    case 'vscode':
      return new VsCodeModel(target.model, options.vscodeChat);
  }
}
