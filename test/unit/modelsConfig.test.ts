import assert from 'node:assert/strict';
import { addEntries, openAIEntry, removeEntries, vscodeEntry } from '../../extension/models/catalogEdits';
import { parseRouterSettings, RouterCache, routerSettingsFrom, type ChatModel } from '../../host/models';
import type { ModelConfig } from '../../protocol/models';

const ollama: ModelConfig = { router: {}, defaultModel: { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'qwen2.5-coder:7b' }, apiKeys: {} };

describe('model configuration', () => {
  it('uses the simple settings\' one model while the catalogue is empty', () => {
    const [entry] = routerSettingsFrom(ollama).models;
    assert.deepEqual([entry!.id, entry!.provider, entry!.local, entry!.inputPricePerMTok], ['ollama/qwen2.5-coder:7b', 'ollama', true, 0]);
    const openai = routerSettingsFrom({ ...ollama, defaultModel: { provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKey: 'sk' } }).models[0]!;
    assert.deepEqual([openai.local, openai.inputPricePerMTok, openai.outputPricePerMTok], [false, 0.15, 0.6]);
  });

  it('keeps one router while the settings stay the same, so cooldowns last, and one accounting across changes', () => {
    const connected: string[] = [];
    const cache = new RouterCache({ storageDir: () => undefined, log: () => undefined, connect: (entry, key) => (connected.push(`${entry.id}:${key}`), {} as ChatModel) });
    const first = cache.for(ollama);
    assert.equal(cache.for({ ...ollama }), first);
    const accounting = cache.accounting;
    const catalogue = { ...ollama, router: { models: [{ ...openAIEntry({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o', contextWindow: 128_000, inputPricePerMTok: 2.5, outputPricePerMTok: 10 }) }] }, apiKeys: { 'gpt-4o': 'sk-entry' } };
    assert.notEqual(cache.for(catalogue), first);
    assert.equal(cache.accounting, accounting);
    assert.deepEqual(connected, ['ollama/qwen2.5-coder:7b:undefined', 'gpt-4o:sk-entry']);
  });

  it('names the setting at fault when the catalogue does not parse', () => {
    const cache = new RouterCache({ storageDir: () => undefined, log: () => undefined });
    assert.throws(() => cache.for({ ...ollama, router: { models: [{ id: 'x' }] } }), /keel\.router\.models\[0\] \("x"\)\.provider must be/);
  });
});

describe('Configure Models edits', () => {
  it('adds entries the host accepts, replacing a re-added id and keeping the rest', () => {
    const copilot = vscodeEntry({ vendor: 'copilot', family: 'gpt-4o', maxInputTokens: 64_000 });
    const lmStudio = openAIEntry({ baseUrl: 'http://localhost:1234/v1', model: 'qwen', contextWindow: 32_768, inputPricePerMTok: 0, outputPricePerMTok: 0 });
    const models = addEntries([{ id: 'copilot/old' }, { id: 'vscode/copilot/gpt-4o', stale: true }], [copilot, lmStudio]);
    assert.deepEqual(models.map((m) => (m as { id: string }).id), ['copilot/old', 'vscode/copilot/gpt-4o', 'localhost/qwen']);
    assert.equal((models[1] as { stale?: boolean }).stale, undefined);
    assert.equal(lmStudio.local, true);
    const parsed = parseRouterSettings({ models: [copilot, lmStudio] });
    assert.deepEqual(parsed.models.map((m) => [m.id, m.baseUrl]), [['vscode/copilot/gpt-4o', 'vscode://lm'], ['localhost/qwen', 'http://localhost:1234/v1']]);
    assert.deepEqual(removeEntries(models, ['copilot/old', 'localhost/qwen']), [copilot]);
  });

  it('names OpenAI\'s own models by their name and other servers\' by host', () => {
    assert.equal(openAIEntry({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o', contextWindow: 1, inputPricePerMTok: 2.5, outputPricePerMTok: 10 }).id, 'gpt-4o');
    assert.equal(openAIEntry({ baseUrl: 'https://openrouter.ai/api/v1', model: 'anthropic/claude', contextWindow: 1, inputPricePerMTok: 3, outputPricePerMTok: 15 }).id, 'openrouter.ai/anthropic/claude');
  });
});
