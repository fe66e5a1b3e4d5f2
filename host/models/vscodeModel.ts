import * as l10n from '@vscode/l10n';
import type { VsCodeChatParams, VsCodeChatResult } from '../../protocol/models';
import { VSCODE_LM_ADDRESS } from './catalog';
import { ModelError, type ModelErrorKind } from './errors';
import type { ChatModel, ChatRequest, ChatResponse } from './types';

/** Sends one chat to the extension, which asks `vscode.lm`; `onText` gets the streamed text. */
export type VsCodeChat = (params: Omit<VsCodeChatParams, 'requestId'>, onText: (delta: string) => void, signal: AbortSignal) => Promise<VsCodeChatResult>;

const KINDS: ReadonlySet<string> = new Set<ModelErrorKind>(['unreachable', 'auth', 'rate_limited', 'timeout', 'not_found', 'server', 'bad_response', 'torn_stream', 'context_overflow', 'bad_request']);

/**
 * A model VS Code offers through its language-model API (Copilot's, or any extension's), so a user with
 * Copilot needs no key. The host has no `vscode` API; each call goes to the extension over the protocol.
 * `model` is a selector: `vendor/family`, or just `vendor` for that vendor's first model.
 */
export class VsCodeModel implements ChatModel {
  readonly provider = 'vscode' as const;
  readonly baseUrl = VSCODE_LM_ADDRESS;

  constructor(readonly model: string, private readonly send: VsCodeChat | undefined) {}

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    if (!this.send) {
      throw new ModelError('unreachable', l10n.t('"{0}" is one of VS Code\'s language models, which only the VS Code extension can reach. Use an Ollama or OpenAI model here.', this.model));
    }
    const [vendor, ...family] = this.model.split('/');
    const selector = { vendor, ...(family.length ? { family: family.join('/') } : {}) };
    try {
      const result = await this.send({ selector, messages: request.messages, tools: request.tools, maxOutputTokens: request.maxOutputTokens }, (delta) => request.onText?.(delta), signal);
      return { ...result, finishReason: result.toolCalls.length > 0 ? 'tool_calls' : 'stop' };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw asModelError(error);
    }
  }
}

/** The extension sends the failure's kind as the error's data, so the router can tell a missing model from a quota. */
function asModelError(error: unknown): Error {
  if (error instanceof ModelError) return error;
  const data = (error as { data?: { kind?: unknown } }).data;
  const kind = typeof data?.kind === 'string' && KINDS.has(data.kind) ? (data.kind as ModelErrorKind) : 'server';
  return new ModelError(kind, error instanceof Error ? error.message : String(error));
}
