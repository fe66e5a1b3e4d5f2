import { isLoopbackUrl, type DefaultModel, type ModelConfig } from '../../protocol/models';
import { Accounting } from './accounting';
import type { ModelEntry } from './catalog';
import { connectModel } from './connect';
import { ModelRouter } from './router';
import { parseRouterSettings, type RouterSettings } from './routerSettings';
import { openEmbedder } from './embeddings';
import type { Embedder } from './embedder';
import type { ChatModel } from './types';
import type { VsCodeChat } from './vscodeModel';
import type { ModelCheckResult } from '../../protocol/rpc';
import { checkModel, modelToCheck } from './modelCheck';

export interface RouterCacheOptions {
  /** Where the day's spending is kept, so a restart does not reset daily budgets; read on first use. */
  readonly storageDir: () => string | undefined;
  readonly log: (message: string) => void;
  /** Reaches VS Code's language models through the extension; absent in the CLI. */
  readonly vscodeChat?: VsCodeChat;
  /** Makes clients; tests pass fakes. */
  readonly connect?: (entry: ModelEntry, apiKey: string | undefined) => ChatModel;
}

/**
 * One router for the settings in force. Runs send the settings they were started with; the router (and its
 * cooldowns) lives on while they stay the same, and the accounting across every change, so budgets hold.
 */
export class RouterCache {
  private accountingInstance: Accounting | undefined;
  private current: { key: string; router: ModelRouter; config: ModelConfig; settings: RouterSettings } | undefined;

  constructor(private readonly options: RouterCacheOptions) {}

  get accounting(): Accounting {
    return (this.accountingInstance ??= new Accounting({ budgets: {}, dir: this.options.storageDir(), log: this.options.log }));
  }

  /** The router for `config`; throws a message naming every wrong setting. */
  for(config: ModelConfig): ModelRouter {
    const key = JSON.stringify(config);
    if (this.current?.key === key) return this.current.router;
    const settings = routerSettingsFrom(config);
    const connect = this.connectorFor(config);
    this.accounting.setBudgets(settings.budgets);
    const router = new ModelRouter({ settings, connect, accounting: this.accounting });
    this.current = { key, router, config, settings };
    return router;
  }

  /** Asks the model `config`'s runs would start with one short question (`model/check`); throws only for wrong settings. */
  check(config: ModelConfig, timeoutMs?: number): Promise<ModelCheckResult> {
    const entry = modelToCheck(routerSettingsFrom(config));
    return checkModel(entry, this.connectorFor(config)(entry), timeoutMs);
  }

  private connectorFor(config: ModelConfig): (entry: ModelEntry) => ChatModel {
    const connect = this.options.connect ?? ((entry, apiKey) => connectModel(entry, { apiKey, vscodeChat: this.options.vscodeChat }));
    const keys: Record<string, string | undefined> = { ...config.apiKeys, [defaultEntryId(config.defaultModel)]: config.defaultModel.apiKey };
    return (entry) => connect(entry, keys[entry.id]);
  }

  /**
   * The embedder for the workspace index: the cheapest catalogue entry with the `embed` role and embeddings (local
   * ones only when the workspace is private), under the settings last seen. Undefined when there is none: the
   * index is then lexical only.
   */
  async embedder(signal?: AbortSignal): Promise<Embedder | undefined> {
    const entry = this.embedEntry();
    return entry && openEmbedder(entry, this.current!.config.apiKeys[entry.id], signal);
  }

  /** Which model {@link embedder} would open (provider, server, model), without opening it. */
  embedderId(): string | undefined {
    const entry = this.embedEntry();
    return entry && `${entry.provider} ${entry.baseUrl ?? ''} ${entry.model}`;
  }

  private embedEntry(): ModelEntry | undefined {
    if (!this.current) return undefined;
    const { config, settings } = this.current;
    return settings.models
      .filter((e) => e.roles.includes('embed') && e.capabilities.embeddings && e.provider !== 'vscode' && (e.local || !config.localOnly))
      .sort((a, b) => a.inputPricePerMTok - b.inputPricePerMTok)[0];
  }

  flush(): Promise<void> {
    return this.accountingInstance?.flush() ?? Promise.resolve();
  }
}

/** The router's settings; with no catalogue configured, the one model the simple settings name. */
export function routerSettingsFrom(config: ModelConfig): RouterSettings {
  const models = config.router.models;
  const empty = models === undefined || (Array.isArray(models) && models.length === 0);
  return parseRouterSettings(empty ? { ...config.router, models: [defaultEntry(config.defaultModel)] } : config.router);
}

/**
 * OpenAI's list prices in USD per million tokens, so the default setup shows real costs. A catalogue in
 * `keel.router.models` states its own prices.
 */
const OPENAI_PRICES: Readonly<Record<string, readonly [input: number, output: number]>> = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4o': [2.5, 10],
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1-nano': [0.1, 0.4],
};

function defaultEntryId(model: DefaultModel): string {
  return `${model.provider}/${model.model}`;
}

function defaultEntry(model: DefaultModel): ModelEntry {
  const local = model.provider === 'ollama' || isLoopbackUrl(model.baseUrl);
  const [input, output] = (model.provider === 'openai' && model.baseUrl.includes('api.openai.com') && OPENAI_PRICES[model.model]) || [0, 0];
  return {
    id: defaultEntryId(model),
    provider: model.provider,
    baseUrl: model.baseUrl,
    model: model.model,
    // The server knows the real window; a generous guess keeps the router from refusing calls it would take.
    contextWindow: model.provider === 'ollama' ? 32_768 : 128_000,
    inputPricePerMTok: input,
    outputPricePerMTok: output,
    capabilities: { tools: true, vision: false, embeddings: false },
    roles: ['route', 'plan', 'act', 'summarize'],
    local,
  };
}
