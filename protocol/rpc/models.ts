/** Models the host reaches through the extension, and model discovery (`model/…`). */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import type { CatalogEntry, VsCodeChatParams, VsCodeChatResult } from '../models';
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
