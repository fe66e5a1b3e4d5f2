import * as vscode from 'vscode';
import { CheckModelRequest, type ModelCheckResult } from '../../protocol/rpc';
import type { ModelConfig } from '../../protocol/models';
import { errorText } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { modelConfig } from '../settings';

/** What Keel knows about the model runs would use. `settings`: the host refused the settings themselves. */
export type ModelState =
  | { readonly phase: 'unchecked' | 'checking'; readonly intended: string }
  | { readonly phase: 'checked'; readonly intended: string; readonly result: ModelCheckResult }
  | { readonly phase: 'settings'; readonly intended: string; readonly message: string };

/** Settings whose change means another model (or another key) answers. */
const MODEL_SETTINGS = ['keel.model', 'keel.ollama', 'keel.openai', 'keel.vscode', 'keel.router.models', 'keel.privacy.localOnly'];
/** Typing in the Settings editor changes a setting on every key. */
const SETTLE_MS = 600;

/**
 * Whether the model Keel would use answers, from the host's `model/check`: asked when the Keel sidebar shows it,
 * when the model settings or keys change, and before a task the user starts while it is not known to answer.
 * Context keys `keel.model.answers` and `keel.model.checked` let the walkthrough and views follow.
 */
export class ModelStatus implements vscode.Disposable {
  private current: ModelState = { phase: 'unchecked', intended: '' };
  private checking: { key: string; done: Promise<ModelState> } | undefined;
  /** The settings the current `checked` state is for. */
  private checkedKey: string | undefined;
  private watchers = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly emitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(private readonly host: AgentHost, private readonly secrets: vscode.SecretStorage) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => MODEL_SETTINGS.some((s) => e.affectsConfiguration(s)) && this.settingsChanged()),
      secrets.onDidChange(() => this.settingsChanged()),
    );
    void this.describeIntended();
  }

  get state(): ModelState {
    return this.current;
  }

  /**
   * While something shows the state (a visible view), a settings change is checked at once. Not in Restricted
   * Mode: a check sends the stored key to the server the settings name, which there only the user may ask for.
   */
  watch(): vscode.Disposable {
    this.watchers++;
    if (this.current.phase === 'unchecked' && vscode.workspace.isTrusted) void this.check();
    return new vscode.Disposable(() => this.watchers--);
  }

  /** Asks the host now, unless a check of the same settings is under way; resolves with the new state. */
  async check(): Promise<ModelState> {
    const config = await modelConfig(this.secrets);
    const key = JSON.stringify(config);
    if (this.checking?.key === key) return this.checking.done;
    const done = this.ask(config, key);
    this.checking = { key, done };
    return done;
  }

  /** Resolves true when the model answers: at once if it did for these settings, else after one check. */
  async answers(): Promise<boolean> {
    const config = await modelConfig(this.secrets);
    const known = this.current.phase === 'checked' && this.checkedKey === JSON.stringify(config) && this.current.result.answers;
    if (known) return true;
    const state = await this.check();
    return state.phase === 'checked' && state.result.answers;
  }

  private async ask(config: ModelConfig, key: string): Promise<ModelState> {
    const intended = describeIntended(config);
    this.set({ phase: 'checking', intended });
    let next: ModelState;
    try {
      const client = await this.host.ensureStarted();
      const result = await client.sendRequest(CheckModelRequest.type, { models: config });
      next = { phase: 'checked', intended, result };
    } catch (error) {
      next = { phase: 'settings', intended, message: errorText(error) };
    }
    // A check of older settings must not overwrite a newer one's result.
    if (this.checking?.key !== key) return this.checking?.done ?? next;
    this.checking = undefined;
    this.checkedKey = key;
    this.set(next);
    return next;
  }

  private settingsChanged(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.checkedKey = undefined;
      if (this.watchers > 0 && vscode.workspace.isTrusted) void this.check();
      else void this.describeIntended();
    }, SETTLE_MS);
  }

  private async describeIntended(): Promise<void> {
    this.set({ phase: 'unchecked', intended: describeIntended(await modelConfig(this.secrets)) });
  }

  private set(state: ModelState): void {
    this.current = state;
    const answers = state.phase === 'checked' && state.result.answers;
    void vscode.commands.executeCommand('setContext', 'keel.model.answers', answers);
    void vscode.commands.executeCommand('setContext', 'keel.model.checked', state.phase === 'checked' || state.phase === 'settings');
    this.emitter.fire(state);
  }

  dispose(): void {
    clearTimeout(this.settleTimer);
    for (const d of this.disposables) d.dispose();
  }
}

/** The model a run would start with, as settings name it, e.g. `qwen2.5-coder:7b on Ollama at http://…`. */
export function describeIntended(config: ModelConfig): string {
  const models = Array.isArray(config.router.models) ? (config.router.models as { id?: unknown; roles?: unknown; provider?: unknown; model?: unknown; baseUrl?: unknown }[]) : [];
  const entry = models.find((m) => Array.isArray(m?.roles) && m.roles.includes('act')) ?? models[0];
  if (entry && typeof entry === 'object') return describeModel(String(entry.provider), String(entry.model), typeof entry.baseUrl === 'string' ? entry.baseUrl : undefined);
  return describeModel(config.defaultModel.provider, config.defaultModel.model, config.defaultModel.baseUrl);
}

const PROVIDER_NAMES: Record<string, string> = { ollama: 'Ollama', openai: vscode.l10n.t('an OpenAI-compatible server'), vscode: vscode.l10n.t('VS Code\'s language models') };

export function describeModel(provider: string, model: string, baseUrl?: string): string {
  const name = PROVIDER_NAMES[provider] ?? provider;
  return provider === 'vscode' || !baseUrl ? vscode.l10n.t('{0} on {1}', model, name) : vscode.l10n.t('{0} on {1} at {2}', model, name, baseUrl);
}
