import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { discoverOllamaModels, ModelError, modelEntrySchema, parseRouterSettings, SETTING, type ModelEntry } from '../../host/models';
import { callCostUsd } from '../../host/models/catalog';
import { startModelServer } from '../fixtures/modelServer';

const valid: ModelEntry = {
  id: 'gpt-4o-mini',
  provider: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  contextWindow: 128_000,
  inputPricePerMTok: 0.15,
  outputPricePerMTok: 0.6,
  capabilities: { tools: true, vision: true, embeddings: false },
  roles: ['route', 'act'],
  local: false,
};

function settingsError(input: unknown): string {
  try {
    parseRouterSettings(input);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected the settings to be refused');
}

describe('model catalogue settings', () => {
  it('accepts a valid catalogue and fills in the router defaults', () => {
    const settings = parseRouterSettings({ models: [valid] });
    assert.deepEqual(settings.models, [valid]);
    assert.deepEqual(settings.fallbacks, {});
    assert.equal(settings.difficulty, 'heuristic');
    assert.equal(settings.retries, 2);
    assert.equal(settings.attemptTimeoutMs, 120_000);
    assert.deepEqual(settings.cooldown, { failures: 3, windowMs: 60_000, durationMs: 60_000 });
    assert.deepEqual(settings.budgets, { perRunUsd: undefined, perAgentUsd: undefined, perDayUsd: undefined });
  });

  it('names each wrong field by its setting, with the bad value and an example', () => {
    const message = settingsError({
      models: [{ ...valid, contextWindow: '128k', outputPricePerMTok: -1, capabilities: { tools: 'yes', vision: false, embeddings: false }, roles: ['act', 'code'] }],
    });
    assert.match(message, /^Keel's model settings need fixing:/);
    assert.match(message, /keel\.router\.models\[0\] \("gpt-4o-mini"\)\.contextWindow must be a whole number of tokens above 0, e\.g\. 128000 \(got "128k"\)/);
    assert.match(message, /\.outputPricePerMTok must be the USD price per million output tokens, e\.g\. 0\.15, or 0 for local models \(got -1\)/);
    assert.match(message, /\.capabilities\.tools must be true or false: can it call tools\? \(got "yes"\)/);
    assert.match(message, /\.roles\[1\] must be one of "route", "plan", "act", "summarize", "embed" \(got "code"\)/);
  });

  it('refuses unknown providers, non-http URLs, missing fields and misspelt ones', () => {
    const { local: _local, ...withoutLocal } = valid;
    const message = settingsError({ models: [{ ...withoutLocal, provider: 'anthropic', baseUrl: 'file:///etc/passwd', contextwindow: 5 }] });
    assert.match(message, /\.provider must be "ollama", "openai" \(also for OpenAI-compatible servers\) or "vscode" .* \(got "anthropic"\)/);
    assert.match(message, /\.baseUrl must be an http\(s\) URL/);
    assert.match(message, /\.local must be true or false: .* \(missing\)/);
    assert.match(message, /keel\.router\.models\[0\] \("gpt-4o-mini"\) has unknown field "contextwindow"; check the spelling/);
  });

  it('needs a URL for server models but not for VS Code\'s, which the extension reaches', () => {
    const { baseUrl: _url, ...withoutUrl } = valid;
    assert.match(settingsError({ models: [withoutUrl] }), /keel\.router\.models\[0\] \("gpt-4o-mini"\)\.baseUrl is missing: openai models need the server's URL, e\.g\. "https:\/\/api\.openai\.com\/v1"/);
    const parsed = parseRouterSettings({ models: [{ ...withoutUrl, id: 'copilot', provider: 'vscode', model: 'copilot/gpt-4o' }] });
    assert.equal(parsed.models[0]!.baseUrl, 'vscode://lm');
  });

  it('refuses repeated ids and fallbacks that name unknown models', () => {
    assert.match(settingsError({ models: [valid, valid] }), /keel\.router\.models\[1\] \("gpt-4o-mini"\)\.id repeats "gpt-4o-mini"; give each entry its own id/);
    const message = settingsError({ models: [valid], fallbacks: { 'gpt-4o-mini': ['gpt-5'] } });
    assert.match(message, /keel\.router\.fallbacks\["gpt-4o-mini"\]\[0\] "gpt-5" is not in keel\.router\.models \(known: "gpt-4o-mini"\)/);
  });

  it('checks budgets and cooldowns under their own setting names', () => {
    const message = settingsError({ models: [], budget: { perDayUsd: 0 }, cooldown: { failures: 1.5 } });
    assert.match(message, /keel\.budget\.perDayUsd must be an amount in USD above 0, e\.g\. 2\.5, or null for no limit \(got 0\)/);
    assert.match(message, /keel\.router\.cooldown\.failures must be a whole number above 0, e\.g\. 3 \(got 1\.5\)/);
    assert.deepEqual(parseRouterSettings({ models: [], budget: { perRunUsd: null, perDayUsd: 5 } }).budgets, { perRunUsd: undefined, perDayUsd: 5 });
  });

  it('prices a call as tokens × price per million', () => {
    assert.equal(callCostUsd(valid, 1_000_000, 0), 0.15);
    assert.equal(callCostUsd(valid, 2000, 1000), 0.0009);
  });
});

describe('Ollama model discovery', () => {
  it('suggests local, free entries from /api/tags, with embedding models kept to the embed role', async () => {
    const server = await startModelServer(() => ({ kind: 'hang' }), { models: ['qwen2.5-coder:7b', 'nomic-embed-text:latest'] });
    try {
      const entries = await discoverOllamaModels(server.url);
      assert.deepEqual(entries.map((e) => [e.id, e.model, e.local, e.inputPricePerMTok, e.outputPricePerMTok, e.baseUrl]), [
        ['ollama/qwen2.5-coder:7b', 'qwen2.5-coder:7b', true, 0, 0, server.url],
        ['ollama/nomic-embed-text:latest', 'nomic-embed-text:latest', true, 0, 0, server.url],
      ]);
      assert.deepEqual(entries[0]!.roles, ['route', 'plan', 'act', 'summarize']);
      assert.deepEqual(entries[0]!.capabilities, { tools: true, vision: false, embeddings: false });
      assert.deepEqual(entries[1]!.roles, ['embed']);
      assert.deepEqual(entries[1]!.capabilities, { tools: false, vision: false, embeddings: true });
      for (const entry of entries) assert.ok(modelEntrySchema.safeParse(entry).success, 'suggestions pass the settings schema');
    } finally {
      await server.close();
    }
  });

  it('takes what each model declares it can do from /api/show over the guess from its name', async () => {
    const server = await startModelServer(() => ({ kind: 'hang' }), { models: ['llama3.2-nocall:1b', 'qwen3:8b'] });
    try {
      const entries = await discoverOllamaModels(server.url);
      assert.deepEqual(entries.map((e) => [e.model, e.capabilities.tools]), [['llama3.2-nocall:1b', false], ['qwen3:8b', true]]);
    } finally {
      await server.close();
    }
  });

  it('says how to start Ollama when nothing listens', async () => {
    const error = await discoverOllamaModels('http://127.0.0.1:9').then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ModelError);
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, /ollama serve/);
  });
});

describe('model settings in package.json', () => {
  const properties = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).contributes.configuration.properties as Record<string, { items?: unknown; default?: unknown }>;

  it('describes catalogue entries with the schema the host validates them by, so the settings editor agrees with the host', () => {
    const { $schema: _schema, ...expected } = z.toJSONSchema(modelEntrySchema, { io: 'input' }) as Record<string, unknown>;
    assert.deepEqual(properties[SETTING.models]!.items, expected);
  });

  it('contributes every setting the router names in its messages, with defaults the host accepts', () => {
    for (const name of Object.values(SETTING)) assert.ok(properties[name], `${name} is contributed`);
    const defaults = (key: string) => properties[key]!.default;
    const parsed = parseRouterSettings({
      models: [], fallbacks: defaults(SETTING.fallbacks), difficulty: defaults(SETTING.difficulty), maxOutputTokens: defaults(SETTING.maxOutputTokens),
      retries: defaults(SETTING.retries), cooldown: defaults(SETTING.cooldown), attemptTimeoutSeconds: defaults(SETTING.attemptTimeoutSeconds),
      budget: { perRunUsd: defaults(SETTING.budgetPerRun), perAgentUsd: defaults(SETTING.budgetPerAgent), perDayUsd: defaults(SETTING.budgetPerDay) },
    });
    assert.deepEqual(parsed.budgets, { perRunUsd: undefined, perAgentUsd: undefined, perDayUsd: undefined });
    assert.equal(parsed.maxOutputTokens, 4096);
  });
});
