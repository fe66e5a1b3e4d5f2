import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import { catalogEntry } from '../../fixtures/catalogEntry';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

const keel = () => vscode.workspace.getConfiguration('keel');
const ROUTER_SETTINGS = ['router.models', 'router.fallbacks', 'router.cooldown', 'budget.perRunUsd'];

describe('Keel models inside VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;
  let broken: ModelServer;

  before(async () => {
    server = await startModelServer(scriptedAgent);
    broken = await startModelServer(() => ({ kind: 'error', status: 503, message: 'overloaded' }));
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
  });
  afterEach(async () => {
    for (const key of ROUTER_SETTINGS) await keel().update(key, undefined, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await Promise.all([server.close(), broken.close()]);
  });

  it('routes a task through the catalogue, falling back, with model, tokens, cost and reason on each chat span', async () => {
    await keel().update('router.models', [catalogEntry('cheap', 'ollama', broken.url), catalogEntry('priced', 'openai', `${server.url}/v1`, { inputPricePerMTok: 2, outputPricePerMTok: 8 })], vscode.ConfigurationTarget.Global);
    await keel().update('router.fallbacks', { cheap: ['priced'] }, vscode.ConfigurationTarget.Global);
    await keel().update('router.cooldown', { failures: 1, windowSeconds: 60, seconds: 60 }, vscode.ConfigurationTarget.Global);
    const { runId, done } = await api.runTask('summarize notes.txt');
    const result = await done;
    assert.equal(result.outcome, 'succeeded', result.message);
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === runId)!;
    const chats = api.spans().filter((s) => s.traceId === root.traceId && s.operation === 'chat');
    assert.deepEqual(chats.map((s) => s.name), ['chat priced', 'chat priced']);
    for (const chat of chats) {
      assert.equal(chat.attributes['keel.route.model_id'], 'priced');
      assert.ok((chat.attributes['gen_ai.usage.input_tokens'] as number) > 0);
      assert.ok((chat.attributes['keel.cost.usd'] as number) > 0);
    }
    assert.match(String(chats[0]!.attributes['keel.route.reason']), /Then cheap: server error \(HTTP 503\)( ×\d)?; answered by priced$/);
    assert.match(String(chats[1]!.attributes['keel.route.reason']), /cheap: skipped, cooling down until/);
    assert.ok((root.attributes['keel.cost.usd'] as number) > 0);
  });

  it('asks before a run goes over its budget, and continues when the user allows it', async () => {
    await keel().update('router.models', [catalogEntry('priced', 'openai', `${server.url}/v1`, { inputPricePerMTok: 2, outputPricePerMTok: 8 })], vscode.ConfigurationTarget.Global);
    await keel().update('budget.perRunUsd', 0.001, vscode.ConfigurationTarget.Global);
    const { done } = await api.runTask('summarize greeting.txt');
    const [pending] = await until('a budget question', () => api.pendingBudgets().length > 0 && api.pendingBudgets());
    assert.deepEqual([pending!.scope, pending!.limitUsd], ['run', 0.001]);
    await vscode.commands.executeCommand('keel.answerBudget', pending!.approvalId, true);
    const result = await done;
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.deepEqual(api.pendingBudgets(), []);
  });

  it('starts a task with retrieved context, shown as retrieval spans with their hits', async () => {
    await keel().update('router.models', [catalogEntry('local', 'ollama', server.url)], vscode.ConfigurationTarget.Global);
    const { runId, done } = await api.runTask('summarize answer.ts');
    assert.equal((await done).outcome, 'succeeded');
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === runId)!;
    const workspace = api.spans().find((s) => s.traceId === root.traceId && s.name === 'retrieval workspace')!;
    assert.equal(workspace.operation, 'retrieval');
    assert.ok((workspace.attributes['keel.retrieval.hits'] as number) >= 1, JSON.stringify(workspace.attributes));
    assert.match(String(workspace.attributes['gen_ai.retrieval.documents']), /answer\.ts/);
    const prompt = server.requests.at(-1)!.messages as { role: string; content: string }[];
    assert.ok(prompt.some((m) => m.role === 'user' && m.content.includes('answer.ts') && m.content.includes('untrusted')), 'the hits reach the model, fenced');
  });

  it('says clearly when VS Code offers no language model for a "vscode" entry', async () => {
    await keel().update('router.models', [catalogEntry('copilot', 'vscode', undefined, { local: false })], vscode.ConfigurationTarget.Global);
    const { done } = await api.runTask('summarize notes.txt');
    const result = await done;
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /No VS Code language model matches "copilot\/gpt-4o"\. VS Code offers no language models right now\. Install and sign in to GitHub Copilot Chat/);
  });
});
