/** Edits to `keel.router.models` that "Keel: Configure Models…" makes; no `vscode` here, so they are unit-tested. */
import * as l10n from '@vscode/l10n';
import { isLoopbackUrl, type CatalogEntry, type TaskClass } from '../../protocol/models';

const CHAT_ROLES: readonly TaskClass[] = ['route', 'plan', 'act', 'summarize'];

/** Adds entries, replacing any with the same id (a re-discovered model keeps one entry). Non-entries in the setting are kept as they are. */
export function addEntries(current: unknown, added: readonly CatalogEntry[]): unknown[] {
  const existing = Array.isArray(current) ? current : [];
  const ids = new Set(added.map((entry) => entry.id));
  return [...existing.filter((entry) => !ids.has(idOf(entry) ?? '')), ...added];
}

export function removeEntries(current: unknown, ids: readonly string[]): unknown[] {
  const gone = new Set(ids);
  return (Array.isArray(current) ? current : []).filter((entry) => !gone.has(idOf(entry) ?? ''));
}

export function idOf(entry: unknown): string | undefined {
  const id = (entry as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** A model VS Code offers. Copilot's are paid by subscription, so calls cost Keel nothing per token. */
export function vscodeEntry(model: { vendor: string; family: string; maxInputTokens: number }): CatalogEntry {
  return {
    id: `vscode/${model.vendor}/${model.family}`,
    provider: 'vscode',
    model: `${model.vendor}/${model.family}`,
    contextWindow: model.maxInputTokens,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
    capabilities: { tools: true, vision: false, embeddings: false },
    roles: CHAT_ROLES,
    local: false,
  };
}

/**
 * The model `keel.model.provider: "vscode"` runs with, from `keel.vscode.model`: `vendor` (its first model) or
 * `vendor/family`. VS Code tells the window only once asked, so this guesses a common one.
 */
export function vscodeSettingEntry(selector: string): CatalogEntry {
  return { ...vscodeEntry({ vendor: '', family: '', maxInputTokens: 64_000 }), id: `vscode/${selector}`, model: selector };
}

export interface OpenAIEntryInput {
  readonly baseUrl: string;
  readonly model: string;
  readonly contextWindow: number;
  readonly inputPricePerMTok: number;
  readonly outputPricePerMTok: number;
}

/** OpenAI or a compatible server (LM Studio, vLLM, llama.cpp, OpenRouter). One on this machine counts as local. */
export function openAIEntry(input: OpenAIEntryInput): CatalogEntry {
  const host = new URL(input.baseUrl).hostname;
  return {
    id: host === 'api.openai.com' ? input.model : `${host}/${input.model}`,
    provider: 'openai',
    baseUrl: input.baseUrl,
    model: input.model,
    contextWindow: input.contextWindow,
    inputPricePerMTok: input.inputPricePerMTok,
    outputPricePerMTok: input.outputPricePerMTok,
    capabilities: { tools: true, vision: false, embeddings: false },
    roles: CHAT_ROLES,
    local: isLoopbackUrl(input.baseUrl),
  };
}

/** One line about an entry for a quick pick. */
export function describeEntry(entry: unknown): string {
  const e = entry as Partial<CatalogEntry>;
  const price = e.inputPricePerMTok || e.outputPricePerMTok ? l10n.t('${0}/${1} per 1M tokens', String(e.inputPricePerMTok), String(e.outputPricePerMTok)) : l10n.t('free');
  // The provider and the roles are the setting's own values, shown as they are written there.
  return [e.provider, e.local ? l10n.t('local') : undefined, price, e.contextWindow ? l10n.t('{0} tokens', e.contextWindow.toLocaleString('en-US')) : undefined, e.roles?.length ? e.roles.join(', ') : l10n.t('fallback only')]
    .filter(Boolean)
    .join(' · ');
}
