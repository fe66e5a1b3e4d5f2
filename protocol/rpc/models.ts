/** Models the host reaches through the extension, and model discovery (`model/…`). */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema, type CatalogEntry, type VsCodeChatParams, type VsCodeChatResult } from '../models';
import type { ModelProvider } from '../run';
import { httpUrl, text } from '../params';
import { id } from './names';

export namespace VsCodeChatRequest {
  /** Host → extension: one chat with one of VS Code's language models (`vscode.lm`); text streams as `model/chatText`. */
  export const type = new RequestType<VsCodeChatParams, VsCodeChatResult, void>('model/vscodeChat');
}

export namespace VsCodeChatTextNotification {
  export const params = z.object({ requestId: id(), delta: text(1_000_000) }).readonly();
  /** Extension → host: a piece of a `model/vscodeChat` answer as it streams. */
  export const type = new NotificationType<z.infer<typeof params>>('model/chatText');
}

export namespace DiscoverOllamaModelsRequest {
  export const params = z.object({ baseUrl: httpUrl() }).readonly();
  /** Extension → host: the models an Ollama server has pulled, as suggested catalogue entries. */
  export const type = new RequestType<z.infer<typeof params>, { entries: CatalogEntry[] }, void>('model/discoverOllama');
}

export namespace CheckModelRequest {
  export const params = z.object({ models: modelConfigSchema }).readonly();
  /**
   * Extension → host: asks the model runs would use for the `act` step one short question, once, without retries,
   * so the sidebar and the walkthrough can say whether it answers before a run depends on it.
   */
  export const type = new RequestType<z.infer<typeof params>, ModelCheckResult, void>('model/check');
}
/** What `model/check` found. `error` says what to do next; `kind` lets the extension offer the right fix. */
export interface ModelCheckResult {
  /** The catalogue id of the model checked, e.g. `ollama/qwen2.5-coder:7b`. */
  readonly modelId: string;
  readonly provider: ModelProvider;
  readonly model: string;
  /** Where it is served; `vscode://lm` for VS Code's language models. */
  readonly baseUrl: string;
  readonly answers: boolean;
  readonly latencyMs: number;
  readonly error?: { readonly kind: string; readonly message: string };
}
