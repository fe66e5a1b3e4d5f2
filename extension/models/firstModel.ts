import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { CatalogEntry } from '../../protocol/models';
import { DiscoverOllamaModelsRequest } from '../../protocol/rpc';
import { errorText, INSTALL_COPILOT_CHAT, showError, showWarning, type Fix } from '../errors';
import { askForSecret } from '../secretInput';
import { OPENAI_KEY_SECRET } from '../settings';
import { listLanguageModels } from './languageModelChat';
import type { ModelState, ModelStatus } from './modelStatus';

/** Models that follow Keel's tool calls well and run on a laptop, offered when Ollama has none that call tools. */
const SUGGESTED_OLLAMA_MODEL = 'qwen2.5-coder:7b';

/**
 * The first model, chosen in a few steps from the walkthrough or the Model view: each writes the simple settings
 * (`keel.model.provider` and the provider's server and model), then checks that the model answers.
 */
export class FirstModel {
  constructor(
    private readonly client: () => Promise<LanguageClient>,
    private readonly secrets: vscode.SecretStorage,
    private readonly status: ModelStatus,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** "Keel: Use a Local Ollama Model…": the tool-capable models Ollama has pulled, asking where it listens if not where set. */
  async useOllama(): Promise<ModelState | undefined> {
    let baseUrl = setting<string>('ollama.baseUrl', 'http://127.0.0.1:11434');
    let entries: CatalogEntry[] | undefined;
    while (!entries) {
      try {
        ({ entries } = await this.discover(baseUrl));
      } catch (error) {
        const other = await vscode.window.showInputBox({
          title: vscode.l10n.t('Keel: Where does Ollama listen?'),
          prompt: vscode.l10n.t('Nothing answers at {0} ({1}). Start Ollama (`ollama serve`, or install it from ollama.com), or give the address it listens at.', baseUrl, errorText(error)),
          value: baseUrl,
          ignoreFocusOut: true,
          validateInput: httpUrlProblem,
        });
        if (!other) return undefined;
        baseUrl = other.trim();
      }
    }
    const callers = entries.filter((entry) => entry.capabilities.tools);
    if (!callers.length) {
      const message = entries.length
        ? vscode.l10n.t('Ollama at {0} has {1}, none of which calls tools. Pull one that does in a terminal: `ollama pull {2}`, then try again.', baseUrl, entries.map((e) => e.model).join(', '), SUGGESTED_OLLAMA_MODEL)
        : vscode.l10n.t('Ollama at {0} has no models yet. Pull one that calls tools in a terminal: `ollama pull {1}`, then try again.', baseUrl, SUGGESTED_OLLAMA_MODEL);
      void showWarning(message, retry('keel.useOllama'));
      return undefined;
    }
    const current = setting<string>('ollama.model', SUGGESTED_OLLAMA_MODEL);
    const pick = await vscode.window.showQuickPick(
      callers.map((entry) => ({ label: entry.model, description: entry.model === current ? vscode.l10n.t('current') : undefined, model: entry.model })),
      // The walkthrough page can take the focus as the search's progress closes: the pick stays until the user answers.
      { title: vscode.l10n.t('Keel: Use a Local Ollama Model'), placeHolder: vscode.l10n.t('Models on {0} that can call tools', baseUrl), ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    await update({ 'model.provider': 'ollama', 'ollama.baseUrl': baseUrl, 'ollama.model': pick.model });
    return this.confirm();
  }

  private discover(baseUrl: string): Thenable<{ entries: CatalogEntry[] }> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Looking for Ollama at {0}…', baseUrl) }, async () =>
      (await this.client()).sendRequest(DiscoverOllamaModelsRequest.type, { baseUrl }),
    );
  }

  /** "Keel: Use an OpenAI-Compatible Server…": the server's URL, the model, and the key kept in SecretStorage. */
  async useOpenAICompatible(): Promise<ModelState | undefined> {
    const baseUrl = await vscode.window.showInputBox({
      title: vscode.l10n.t('Keel: OpenAI-compatible server (1/3)'),
      value: setting('openai.baseUrl', 'https://api.openai.com/v1'),
      prompt: vscode.l10n.t('OpenAI, OpenRouter, or a server on this machine such as LM Studio (http://127.0.0.1:1234/v1)'),
      ignoreFocusOut: true,
      validateInput: httpUrlProblem,
    });
    if (!baseUrl) return undefined;
    const model = await vscode.window.showInputBox({
      title: vscode.l10n.t('Keel: Model (2/3)'),
      value: setting('openai.model', 'gpt-4o-mini'),
      prompt: vscode.l10n.t('The model as the server names it; it must support tool calls'),
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Name the model, e.g. gpt-4o-mini.')),
    });
    if (!model) return undefined;
    const stored = await askForSecret(this.secrets, OPENAI_KEY_SECRET, { title: vscode.l10n.t('Keel: API key (3/3)'), prompt: vscode.l10n.t('Kept in VS Code\'s SecretStorage. Leave empty if the server needs none.') });
    if (stored === undefined) return undefined;
    await update({ 'model.provider': 'openai', 'openai.baseUrl': baseUrl.trim(), 'openai.model': model.trim() });
    return this.confirm();
  }

  /** "Keel: Use a VS Code Model…": one of the models VS Code offers (Copilot's, or another extension's). */
  async useVsCodeModel(): Promise<ModelState | undefined> {
    const models = await listLanguageModels();
    if (!models.length) {
      void showWarning(vscode.l10n.t('VS Code offers no language models right now. Install and sign in to GitHub Copilot Chat (or another extension that provides models), then try again.'), INSTALL_COPILOT_CHAT, retry('keel.useVsCodeModel'));
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.name, description: `${m.vendor}/${m.family}`, detail: vscode.l10n.t('{0} input tokens', m.maxInputTokens.toLocaleString()), selector: `${m.vendor}/${m.family}` })),
      { title: vscode.l10n.t('Keel: Use a VS Code Model'), ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    await update({ 'model.provider': 'vscode', 'vscode.model': pick.selector });
    return this.confirm();
  }

  /** Checks the model just chosen and says how it went, with the next step. */
  private async confirm(): Promise<ModelState> {
    const state = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Keel: asking the model a short question…') }, () => this.status.check());
    if (state.phase === 'checked' && state.result.answers) {
      const runSample = vscode.l10n.t('Run a Sample Task');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0} answers. Next, run a task.', state.result.model), runSample);
      if (choice === runSample) void vscode.commands.executeCommand('keel.runSampleTask');
    } else {
      const why = state.phase === 'checked' ? state.result.error?.message : state.phase === 'settings' ? state.message : undefined;
      void showError(why ?? vscode.l10n.t('{0} does not answer yet.', state.intended), this.log, retry('keel.checkModel', vscode.l10n.t('Check Again')));
    }
    return state;
  }
}

function retry(command: string, label = vscode.l10n.t('Try Again')): Fix {
  return { label, command };
}

function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration('keel').get<T>(key, fallback);
}

/** Into the user's settings: a first model is the user's choice for every folder, unless this workspace set its own. */
async function update(values: Record<string, string>): Promise<void> {
  const config = vscode.workspace.getConfiguration('keel');
  for (const [key, value] of Object.entries(values)) {
    const target = config.inspect(key)?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
  }
}

function httpUrlProblem(value: string): string | undefined {
  try {
    return /^https?:$/.test(new URL(value.trim()).protocol) ? undefined : vscode.l10n.t('An http(s) URL.');
  } catch {
    return vscode.l10n.t('An http(s) URL, e.g. https://api.openai.com/v1');
  }
}
