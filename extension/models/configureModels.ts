import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DiscoverOllamaModelsRequest } from '../../protocol/rpc';
import { INSTALL_COPILOT_CHAT, showWarning } from '../errors';
import { entryKeySecret } from '../settings';
import { addEntries, describeEntry, idOf, openAIEntry, removeEntries, vscodeEntry } from './catalogEdits';
import { listLanguageModels } from './languageModelChat';

type Action = vscode.QuickPickItem & { run?: () => Promise<void> };

const MODELS = 'router.models';

/** "Keel: Configure Models…": the router's catalogue edited with quick picks, no JSON needed. */
export async function configureModels(client: () => Promise<LanguageClient>, secrets: vscode.SecretStorage): Promise<void> {
  const current = vscode.workspace.getConfiguration('keel').get<unknown[]>(MODELS, []);
  const items: Action[] = [
    { label: vscode.l10n.t('$(server) Add Ollama models…'), detail: vscode.l10n.t('Lists what your Ollama server has pulled'), run: () => addOllamaModels(client) },
    { label: vscode.l10n.t('$(copilot) Add a VS Code model…'), detail: vscode.l10n.t('Copilot\'s models, or any extension\'s: no API key needed'), run: addVsCodeModel },
    { label: vscode.l10n.t('$(cloud) Add an OpenAI or compatible model…'), detail: vscode.l10n.t('OpenAI, OpenRouter, LM Studio, vLLM, llama.cpp server'), run: () => addOpenAIModel(secrets) },
    ...(current.length ? [{ label: vscode.l10n.t('$(trash) Remove models…'), run: () => removeModels(current) }] : []),
    { label: vscode.l10n.t('$(settings-gear) Routing, fallbacks and budgets…'), detail: vscode.l10n.t('Opens the settings'), run: () => Promise.resolve(void vscode.commands.executeCommand('workbench.action.openSettings', 'keel.router')) },
    { label: vscode.l10n.t('Configured'), kind: vscode.QuickPickItemKind.Separator },
    ...current.map((entry) => ({ label: idOf(entry) ?? noId(), description: describeEntry(entry) })),
  ];
  if (!current.length) items.push({ label: vscode.l10n.t('None yet: runs use the model in "keel.model.provider"') });
  const choice = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Keel: Configure Models'), placeHolder: vscode.l10n.t('Add or remove the models the router may use') });
  await choice?.run?.();
}

async function addOllamaModels(client: () => Promise<LanguageClient>): Promise<void> {
  const baseUrl = await vscode.window.showInputBox({
    title: vscode.l10n.t('Ollama server'),
    value: vscode.workspace.getConfiguration('keel').get('ollama.baseUrl', 'http://127.0.0.1:11434'),
    ignoreFocusOut: true,
    validateInput: validUrl,
  });
  if (!baseUrl) return;
  const { entries } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Asking {0} for its models…', baseUrl) }, async () =>
    (await client()).sendRequest(DiscoverOllamaModelsRequest.type, { baseUrl }),
  );
  if (!entries.length) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: Ollama at {0} has no models yet. Pull one, e.g. `ollama pull qwen2.5-coder:7b`.', baseUrl));
  const picks = await vscode.window.showQuickPick(
    entries.map((entry) => ({ label: entry.model, description: describeEntry(entry), detail: vscode.l10n.t('tools: {0} · embeddings: {1}', entry.capabilities.tools ? vscode.l10n.t('yes') : vscode.l10n.t('no'), entry.capabilities.embeddings ? vscode.l10n.t('yes') : vscode.l10n.t('no')), picked: true, entry })),
    { title: vscode.l10n.t('Add these Ollama models'), canPickMany: true, ignoreFocusOut: true },
  );
  if (!picks?.length) return;
  await save(addEntries(currentModels(), picks.map((p) => p.entry)), picks.length === 1 ? vscode.l10n.t('Added 1 Ollama model.') : vscode.l10n.t('Added {0} Ollama models.', picks.length));
}

async function addVsCodeModel(): Promise<void> {
  const models = await listLanguageModels();
  if (!models.length) {
    return void showWarning(vscode.l10n.t('VS Code offers no language models right now. Install and sign in to GitHub Copilot Chat (or another extension that provides models), then try again.'), INSTALL_COPILOT_CHAT);
  }
  const pick = await vscode.window.showQuickPick(
    models.map((model) => ({ label: model.name, description: `${model.vendor}/${model.family}`, detail: vscode.l10n.t('{0} input tokens', model.maxInputTokens.toLocaleString()), model })),
    { title: vscode.l10n.t('Add a VS Code model') },
  );
  if (!pick) return;
  await save(addEntries(currentModels(), [vscodeEntry(pick.model)]), vscode.l10n.t('Added {0}.', pick.model.name));
}

async function addOpenAIModel(secrets: vscode.SecretStorage): Promise<void> {
  const baseUrl = await vscode.window.showInputBox({ title: vscode.l10n.t('Server URL (1/5)'), value: 'https://api.openai.com/v1', prompt: vscode.l10n.t('OpenAI, or a compatible server such as http://127.0.0.1:1234/v1'), ignoreFocusOut: true, validateInput: validUrl });
  if (!baseUrl) return;
  const model = await vscode.window.showInputBox({ title: vscode.l10n.t('Model name (2/5)'), placeHolder: vscode.l10n.t('e.g. gpt-4o-mini'), ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Name the model as the server knows it.')) });
  if (!model) return;
  const contextWindow = await askNumber(vscode.l10n.t('Context window in tokens (3/5)'), '128000', true);
  if (contextWindow === undefined) return;
  const prices = await vscode.window.showInputBox({ title: vscode.l10n.t('Price per 1M tokens in USD, input and output (4/5)'), value: '0 0', prompt: vscode.l10n.t('e.g. "0.15 0.6"; 0 0 for a local server'), ignoreFocusOut: true, validateInput: (v) => (parsePrices(v) ? undefined : vscode.l10n.t('Two numbers, input then output, e.g. 0.15 0.6')) });
  if (prices === undefined) return;
  const [inputPricePerMTok, outputPricePerMTok] = parsePrices(prices)!;
  const entry = openAIEntry({ baseUrl, model: model.trim(), contextWindow, inputPricePerMTok, outputPricePerMTok });
  const key = await vscode.window.showInputBox({ title: vscode.l10n.t('API key (5/5)'), prompt: vscode.l10n.t('Kept in VS Code\'s SecretStorage. Leave empty if the server needs none (or to use the stored OpenAI key).'), password: true, ignoreFocusOut: true });
  if (key === undefined) return;
  if (key.trim()) await secrets.store(entryKeySecret(entry.id), key.trim());
  await save(addEntries(currentModels(), [entry]), vscode.l10n.t('Added {0}.', entry.id));
}

async function removeModels(current: readonly unknown[]): Promise<void> {
  const picks = await vscode.window.showQuickPick(current.map((entry) => ({ label: idOf(entry) ?? noId(), description: describeEntry(entry) })), { title: vscode.l10n.t('Remove models'), canPickMany: true });
  if (!picks?.length) return;
  await save(removeEntries(current, picks.map((p) => p.label)), picks.length === 1 ? vscode.l10n.t('Removed 1 model.') : vscode.l10n.t('Removed {0} models.', picks.length));
}

function currentModels(): unknown[] {
  return vscode.workspace.getConfiguration('keel').get<unknown[]>(MODELS, []);
}

/** Where the user keeps the catalogue now: the workspace's settings if it has one, else the user's. */
async function save(models: unknown[], done: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('keel');
  const target = config.inspect(MODELS)?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update(MODELS, models, target);
  void vscode.window.showInformationMessage(models.length === 1 ? vscode.l10n.t('Keel: {0} Runs now route between 1 model.', done) : vscode.l10n.t('Keel: {0} Runs now route between {1} models.', done, models.length));
}

async function askNumber(title: string, value: string, whole: boolean): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({ title, value, ignoreFocusOut: true, validateInput: (v) => (Number(v) > 0 && (!whole || Number.isInteger(Number(v))) ? undefined : vscode.l10n.t('A number above 0.')) });
  return text === undefined ? undefined : Number(text);
}

function parsePrices(text: string): [number, number] | undefined {
  const parts = text.trim().split(/[\s,/]+/).map(Number);
  return parts.length === 2 && parts.every((n) => Number.isFinite(n) && n >= 0) ? [parts[0]!, parts[1]!] : undefined;
}

function validUrl(value: string): string | undefined {
  try {
    return /^https?:$/.test(new URL(value).protocol) ? undefined : vscode.l10n.t('An http(s) URL.');
  } catch {
    return vscode.l10n.t('An http(s) URL, e.g. http://127.0.0.1:11434');
  }
}

/** A configured entry the user wrote without an `id`: shown, never matched. */
function noId(): string {
  return vscode.l10n.t('(entry without an id)');
}
