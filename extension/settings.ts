import * as vscode from 'vscode';
import type { CatalogEntry, ModelConfig, PrivacySettings } from '../protocol/models';
import type { RunLimits } from '../protocol/run';
import { vscodeSettingEntry } from './models/catalogEdits';

export const OPENAI_KEY_SECRET = 'keel.openai.apiKey';

/** The SecretStorage key of one catalogue entry's API key. */
export function entryKeySecret(entryId: string): string {
  return `keel.apiKey.${entryId}`;
}

/**
 * The models runs may use: the router's catalogue and settings as written (the host checks them), the model
 * the simple settings name for when the catalogue is empty, and the keys from SecretStorage.
 */
export async function modelConfig(secrets: vscode.SecretStorage): Promise<ModelConfig> {
  const config = vscode.workspace.getConfiguration('keel');
  const openAIKey = await secrets.get(OPENAI_KEY_SECRET);
  const catalogue = config.get<unknown>('router.models', []);
  const provider = config.get<string>('model.provider', 'auto');
  // VS Code's models are reached through the extension, so they are a catalogue entry rather than a default model.
  const models = provider === 'vscode' && (!Array.isArray(catalogue) || catalogue.length === 0) ? [vscodeSettingEntry(config.get('vscode.model', 'copilot'))] : catalogue;
  const router = {
    models,
    fallbacks: config.get('router.fallbacks'),
    difficulty: config.get('router.difficulty'),
    maxOutputTokens: config.get('router.maxOutputTokens'),
    retries: config.get('router.retries'),
    cooldown: config.get('router.cooldown'),
    attemptTimeoutSeconds: config.get('model.timeoutSeconds'),
    budget: { perRunUsd: config.get('budget.perRunUsd'), perAgentUsd: config.get('budget.perAgentUsd'), perDayUsd: config.get('budget.perDayUsd') },
  };
  return {
    router: withoutUndefined(router),
    defaultModel: defaultModel(config, openAIKey),
    apiKeys: await entryKeys(models, secrets, openAIKey),
    localOnly: config.get<boolean>('privacy.localOnly', false),
  };
}

/** `auto` prefers OpenAI once a key is stored; with `vscode` the default model is not used, but still sent. */
function defaultModel(config: vscode.WorkspaceConfiguration, apiKey: string | undefined): ModelConfig['defaultModel'] {
  const chosen = config.get<string>('model.provider', 'auto');
  if (chosen === 'openai' || (chosen === 'auto' && apiKey)) {
    return { provider: 'openai', baseUrl: config.get('openai.baseUrl', 'https://api.openai.com/v1'), model: config.get('openai.model', 'gpt-4o-mini'), ...(apiKey ? { apiKey } : {}) };
  }
  return { provider: 'ollama', baseUrl: config.get('ollama.baseUrl', 'http://127.0.0.1:11434'), model: config.get('ollama.model', 'qwen2.5-coder:7b') };
}

/** Each OpenAI-style entry's own key, or the OpenAI key for entries on api.openai.com. */
async function entryKeys(models: unknown, secrets: vscode.SecretStorage, openAIKey: string | undefined): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  if (!Array.isArray(models)) return keys;
  for (const entry of models as Partial<CatalogEntry>[]) {
    if (typeof entry?.id !== 'string' || entry.provider !== 'openai') continue;
    const key = (await secrets.get(entryKeySecret(entry.id))) ?? (isOpenAI(entry.baseUrl) ? openAIKey : undefined);
    if (key) keys[entry.id] = key;
  }
  return keys;
}

function isOpenAI(baseUrl: unknown): boolean {
  try {
    return typeof baseUrl === 'string' && new URL(baseUrl).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

function withoutUndefined<T extends object>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

export function privacySettings(): PrivacySettings {
  const config = vscode.workspace.getConfiguration('keel');
  return { localOnly: config.get<boolean>('privacy.localOnly', false), localOnlyGlobs: config.get<string[]>('privacy.localOnlyGlobs', []) };
}

export function runLimits(): RunLimits {
  const config = vscode.workspace.getConfiguration('keel');
  return {
    maxSteps: config.get<number>('agent.maxSteps', 12),
    approvalTimeoutMs: config.get<number>('approval.timeoutSeconds', 600) * 1000,
    maxTools: config.get<number>('tools.maxOffered', 40),
    maxParallel: config.get<number>('orchestration.maxParallel', 4),
    maxSubagents: config.get<number>('orchestration.maxSubagents', 16),
    loopDetection: config.get<boolean>('agent.loopDetection', true),
  };
}

/** What every run request carries besides its goal: the model settings (with keys), privacy, limits and the user's rules. */
export async function runSettings(secrets: vscode.SecretStorage) {
  const keel = vscode.workspace.getConfiguration('keel');
  return {
    models: await modelConfig(secrets),
    privacy: privacySettings(),
    limits: runLimits(),
    restricted: !vscode.workspace.isTrusted,
    allowHosts: keel.get<string[]>('network.allowHosts', []),
    passEnv: keel.get<string[]>('tools.passEnv', []),
    commandSandbox: keel.get<'auto' | 'required' | 'off'>('commands.sandbox', 'auto'),
    // The user's own level of the policy: from user settings only, never from a workspace's.
    policy: keel.inspect<Record<string, unknown>>('policy')?.globalValue,
  };
}
