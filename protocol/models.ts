/** Model wire types shared by the host and the extension: chat messages, the catalogue as configured, and VS Code's models. */
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { httpUrl, list, stringMap, text } from './params';

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

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** True when the server reported no counts and Keel estimated them (about four characters a token). */
  readonly estimated?: boolean;
}

export const defaultModelSchema = z
  .object({
    provider: z.enum(['ollama', 'openai']),
    baseUrl: httpUrl(),
    model: z.string().min(1, { error: () => l10n.t('is empty; name the model to use') }).max(256),
    /** From SecretStorage; never logged. */
    apiKey: text(4096).optional(),
  })
  .readonly();
export type DefaultModel = z.infer<typeof defaultModelSchema>;

/**
 * The models a run may use, as the user configured them. The host validates the router settings and names
 * any wrong one, so they cross as written.
 */
export const modelConfigSchema = z
  .object({
    /** `keel.router.*`, `keel.budget.*` and `keel.model.timeoutSeconds`, keyed as `RouterSettingsInput` expects. */
    router: z
      .record(text(256), z.unknown())
      .refine((settings) => Object.keys(settings).length <= 100, { error: () => l10n.t('must have at most {0} settings', 100) })
      .readonly(),
    /** The model from the simple settings (`keel.model.provider`, `keel.ollama.*`, `keel.openai.*`), used while `keel.router.models` is empty. */
    defaultModel: defaultModelSchema,
    /** API keys by catalogue id, from SecretStorage; never logged. */
    apiKeys: stringMap(1000, 256, 4096),
    /** `keel.privacy.localOnly`: the workspace index is embedded by local models only. */
    localOnly: z.boolean().optional(),
  })
  .readonly();
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** Runs that may only use catalogue entries marked `local`. */
export const privacySettingsSchema = z
  .object({
    /** The whole workspace is private (`keel.privacy.localOnly`). */
    localOnly: z.boolean(),
    /** Once the agent touches a file matching one of these globs, the rest of the run stays local. */
    localOnlyGlobs: list(text(1024, 1), 1000),
  })
  .readonly();
export type PrivacySettings = z.infer<typeof privacySettingsSchema>;

/** Which of VS Code's language models a catalogue entry means (`vscode.lm.selectChatModels`). */
export interface LanguageModelSelector {
  readonly vendor?: string;
  readonly family?: string;
  readonly id?: string;
}

export interface VsCodeChatParams {
  /** Ties streamed text notifications to this request. */
  readonly requestId: string;
  readonly selector: LanguageModelSelector;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly maxOutputTokens?: number;
}

export interface VsCodeChatResult {
  readonly content: string;
  readonly toolCalls: readonly ToolCall[];
  /** VS Code reports no usage; these are its `countTokens` figures. */
  readonly usage: Usage;
  /** The model that answered, as `vendor/family (id)`. */
  readonly responseModel: string;
}

export interface VsCodeModelInfo {
  readonly id: string;
  readonly vendor: string;
  readonly family: string;
  readonly name: string;
  readonly maxInputTokens: number;
}

/** The host asks whether a run may go over a budget; the user answers in the editor. */
export interface BudgetEscalationParams {
  readonly runId: string;
  readonly agent: string;
  readonly scope: 'run' | 'agent' | 'day';
  readonly limitUsd: number;
  readonly spentUsd: number;
  readonly nextCallUsd: number;
  /** The setting that raises this limit. */
  readonly setting: string;
  readonly modelId: string;
}

export type TaskClass = 'route' | 'plan' | 'act' | 'summarize' | 'embed';

/** One entry of `keel.router.models`, as the host's schema (`modelEntrySchema`) accepts it. */
export interface CatalogEntry {
  readonly id: string;
  readonly provider: 'ollama' | 'openai' | 'vscode';
  /** Not used by `vscode` entries, which VS Code serves. */
  readonly baseUrl?: string;
  /** The server's model name; for `vscode`, a selector `vendor/family` (e.g. `copilot/gpt-4o`). */
  readonly model: string;
  readonly contextWindow: number;
  readonly inputPricePerMTok: number;
  readonly outputPricePerMTok: number;
  readonly capabilities: { readonly tools: boolean; readonly vision: boolean; readonly embeddings: boolean };
  readonly roles: readonly TaskClass[];
  readonly local: boolean;
}

/** An amount in USD as Keel shows it: cents for dollars, four places below a dollar, where model calls cost. */
export function formatUsd(value: number): string {
  return `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

/** Whether a server URL points at this machine; such a server counts as local for private runs. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
