/** The router through the real `ollama` and `openai` clients against the wire-format fixture server. */
import assert from 'node:assert/strict';
import { Accounting, BudgetExceededError, connectModel, ModelRouter, parseRouterSettings, type ChatMessage, type ModelEntry, type RouterSettingsInput } from '../../host/models';
import type { Clock } from '../../host/models/clock';
import type { ModelProvider } from '../../protocol/run';
import { startModelServer, type ModelReply, type ModelServer } from '../fixtures/modelServer';

const tools = [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
const messages: ChatMessage[] = [{ role: 'user', content: 'Rename foo to bar in a.ts' }];
const signal = new AbortController().signal;
const ok: ModelReply = { kind: 'message', content: 'Renamed foo to bar.', usage: { input: 120, output: 8 } };

/** Sleeps are recorded, not waited for; the attempt timeout still runs on real time. */
function instantClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => Date.now(), random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) };
}

for (const provider of ['ollama', 'openai'] as const) {
  describe(`router over the real ${provider} client`, () => {
    /** Replies by model name; each model's last reply repeats. */
    let replies: Record<string, ModelReply[]>;
    let server: ModelServer;
    beforeEach(async () => {
      replies = {};
      const served: Record<string, number> = {};
      server = await startModelServer((record) => {
        const list = replies[record.model] ?? [ok];
        const index = served[record.model] = (served[record.model] ?? -1) + 1;
        return list[Math.min(index, list.length - 1)]!;
      });
    });
    afterEach(() => server.close());

    function deployment(model: string, overrides: Partial<ModelEntry> = {}): ModelEntry {
      return {
        id: model,
        provider,
        baseUrl: provider === 'openai' ? `${server.url}/v1` : server.url,
        model,
        contextWindow: 32_000,
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
        capabilities: { tools: true, vision: false, embeddings: false },
        roles: ['act'],
        local: true,
        ...overrides,
      };
    }

    function router(entries: ModelEntry[], settings: Partial<RouterSettingsInput> = {}) {
      const clock = instantClock();
      const parsed = parseRouterSettings({ models: entries, ...settings });
      const accounting = new Accounting({ budgets: parsed.budgets });
      return { router: new ModelRouter({ settings: parsed, connect: (e) => connectModel(e), accounting, clock }), clock, accounting };
    }

    const sentTo = (model: string) => server.requests.filter((r) => r.model === model).length;
    const call = (r: ModelRouter, extra: object = {}) => r.chat({ messages, tools, taskClass: 'act', agent: 'keel', runId: 'run-1', ...extra }, signal);

    it('falls back from a failing deployment to a healthy one, then skips the failing one while it cools down', async () => {
      replies.broken = [{ kind: 'error', status: 500, message: 'model runner crashed' }];
      const { router: r } = router([deployment('broken', { inputPricePerMTok: 0.1 }), deployment('healthy')], { cooldown: { failures: 3 } });
      const first = await call(r);
      assert.equal(first.modelId, 'healthy');
      assert.equal(first.content, 'Renamed foo to bar.');
      assert.equal(sentTo('broken'), 3, 'one try and two retries, the third failure starts the cooldown');
      assert.match(first.reason, /broken: server error \(HTTP 500\) ×3; answered by healthy/);
      const second = await call(r);
      assert.equal(second.modelId, 'healthy');
      assert.equal(sentTo('broken'), 3, 'not called while cooling down');
      assert.match(second.reason, /broken: skipped, cooling down until/);
    });

    it('honours Retry-After on a 429 and retries the same deployment', async () => {
      replies.busy = [{ kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '1' } }, ok];
      const { router: r, clock } = router([deployment('busy', { inputPricePerMTok: 0.1 }), deployment('other')]);
      const response = await call(r);
      assert.equal(response.modelId, 'busy');
      assert.equal(response.attempts, 2);
      assert.deepEqual(clock.sleeps, [1000]);
      assert.equal(sentTo('other'), 0);
    });

    it('retries a torn stream, signals the partial text void, and returns only the complete answer', async () => {
      replies.flaky = [{ kind: 'tornStream', content: 'This answer will be cut off somewhere in the middle of it.' }, { kind: 'message', content: 'Complete answer.' }];
      const { router: r } = router([deployment('flaky')]);
      let shown = '';
      const retries: string[] = [];
      const response = await call(r, {
        onText: (delta: string) => { shown += delta; },
        onRetry: (_attempt: number, reason: string) => { retries.push(reason); shown = ''; },
      });
      assert.equal(response.content, 'Complete answer.');
      assert.deepEqual(retries, ['flaky: stream broke off']);
      assert.equal(shown, 'Complete answer.', 'what the UI shows after discarding on onRetry');
    });

    it('gives up on a server that hangs after the attempt timeout and falls back', async () => {
      replies.stuck = [{ kind: 'hang' }];
      const { router: r } = router([deployment('stuck', { inputPricePerMTok: 0.1 }), deployment('healthy')], { attemptTimeoutSeconds: 1 });
      const response = await call(r);
      assert.equal(response.modelId, 'healthy');
      assert.match(response.reason, /stuck: timed out/);
      assert.equal(sentTo('stuck'), 1, 'a timeout is not retried on the same deployment');
    });

    for (const [name, reply] of [
      ['malformed JSON', { kind: 'raw', status: 200, contentType: provider === 'ollama' ? 'application/x-ndjson' : 'text/event-stream', body: provider === 'ollama' ? '{"model": "x", "message": {"role": "assist\n' : 'data: {"id": "x", "choices": [\n\n' }],
      ['the wrong content type', { kind: 'raw', status: 200, contentType: 'text/html', body: '<html>captive portal</html>' }],
    ] as const) {
      it(`falls back without retrying when the body is ${name}`, async () => {
        replies.garbled = [reply];
        const { router: r } = router([deployment('garbled', { inputPricePerMTok: 0.1 }), deployment('healthy')]);
        const response = await call(r);
        assert.equal(response.modelId, 'healthy');
        assert.equal(sentTo('garbled'), 1);
        assert.match(response.reason, /garbled: unreadable response/);
      });
    }

    it('falls back to a larger window when the server says the context is exceeded', async () => {
      replies.short = [{ kind: 'error', status: 400, message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens." }];
      const { router: r } = router([deployment('short', { contextWindow: 8192, inputPricePerMTok: 0.1 }), deployment('long', { contextWindow: 128_000 })]);
      const response = await call(r);
      assert.equal(response.modelId, 'long');
      assert.match(response.reason, /short: context window exceeded \(HTTP 400\)/);
    });

    it('stops a model that loops on tool calls at the run budget, before exceeding it', async () => {
      replies.looping = [{ kind: 'message', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }], usage: { input: 3000, output: 40 } }];
      const budget = 0.05;
      const { router: r, accounting } = router([deployment('looping', { inputPricePerMTok: 3, outputPricePerMTok: 15 })], { budget: { perRunUsd: budget }, maxOutputTokens: 1000 });
      const conversation: ChatMessage[] = [...messages];
      let steps = 0;
      const failure = await (async () => {
        for (;;) {
          const response = await r.chat({ messages: conversation, tools, taskClass: 'act', agent: 'keel', runId: 'run-1', estimatedInputTokens: 3000 }, signal).catch((e: unknown) => e);
          if (response instanceof Error) return response;
          const { toolCalls } = response as { toolCalls: { id: string; name: string }[] };
          conversation.push({ role: 'assistant', content: '', toolCalls: toolCalls as never });
          for (const c of toolCalls) conversation.push({ role: 'tool', content: 'export const foo = 1;', toolCallId: c.id, toolName: c.name });
          steps++;
        }
      })();
      assert.ok(failure instanceof BudgetExceededError, String(failure));
      // Each step costs 3000 × $3/M + 40 × $15/M = $0.0096; the worst case is $0.009 + 1000 × $15/M = $0.024.
      assert.equal(steps, 3);
      assert.ok(accounting.runTotals('run-1').costUsd <= budget);
      assert.match(failure.message, /This run has spent \$0\.0288 of its \$0\.0500 budget/);
    });

    it('gives tool calls ids that are distinct across turns and the same for the same conversation', async () => {
      replies.tooler = [{ kind: 'message', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'read_file', arguments: { path: 'b.ts' } }] }];
      const { router: r } = router([deployment('tooler')]);
      const first = await call(r);
      const again = await call(r);
      const ids = first.toolCalls.map((c) => c.id);
      assert.equal(new Set(ids).size, 2);
      if (provider === 'ollama') assert.deepEqual(again.toolCalls.map((c) => c.id), ids, 'Ollama sends no ids; Keel\'s are deterministic');
      const later = await r.chat({ messages: [...messages, { role: 'assistant', content: '', toolCalls: first.toolCalls }], tools, taskClass: 'act', agent: 'keel', runId: 'run-1' }, signal);
      assert.ok(later.toolCalls.every((c) => !ids.includes(c.id)), 'a later turn never reuses an id');
    });
  });
}

describe('router over the real clients, provider specifics', () => {
  let server: ModelServer;
  afterEach(() => server.close());

  function entry(provider: ModelProvider, model: string, url: string, overrides: Partial<ModelEntry> = {}): ModelEntry {
    return {
      id: model, provider, baseUrl: provider === 'openai' ? `${url}/v1` : url, model, contextWindow: 32_000, inputPricePerMTok: 1, outputPricePerMTok: 2,
      capabilities: { tools: true, vision: false, embeddings: false }, roles: ['act'], local: false, ...overrides,
    };
  }

  it('falls back without retrying when an Ollama model does not support tools (HTTP 400)', async () => {
    server = await startModelServer((record) => (record.model === 'gemma:2b' ? { kind: 'error', status: 400, message: 'registry.ollama.ai/library/gemma:2b does not support tools' } : ok));
    const settings = parseRouterSettings({ models: [entry('ollama', 'gemma:2b', server.url, { inputPricePerMTok: 0.1 }), entry('ollama', 'qwen2.5-coder:7b', server.url)] });
    const r = new ModelRouter({ settings, connect: (e) => connectModel(e), accounting: new Accounting({ budgets: {} }), clock: instantClock() });
    const response = await r.chat({ messages, tools, taskClass: 'act', agent: 'keel', runId: 'r' }, signal);
    assert.equal(response.modelId, 'qwen2.5-coder:7b');
    assert.match(response.reason, /gemma:2b: request refused \(HTTP 400\)/);
    assert.equal(server.requests.filter((q) => q.model === 'gemma:2b').length, 1);
  });

  it('does not retry a rejected OpenAI key, and falls back to the local model', async () => {
    server = await startModelServer(() => ok, { apiKey: 'right' });
    const cloud = entry('openai', 'gpt-4o-mini', server.url, { inputPricePerMTok: 0.15 });
    const settings = parseRouterSettings({ models: [cloud, entry('openai', 'local-model', server.url, { id: 'local' })] });
    const r = new ModelRouter({ settings, connect: (e) => connectModel(e, { apiKey: e.id === 'local' ? 'right' : 'wrong' }), accounting: new Accounting({ budgets: {} }), clock: instantClock() });
    const response = await r.chat({ messages, tools, taskClass: 'act', agent: 'keel', runId: 'r' }, signal);
    assert.equal(response.modelId, 'local');
    assert.match(response.reason, /gpt-4o-mini: key rejected \(HTTP 401\)/);
    assert.equal(response.attempts, 2, 'one refused attempt, no retry, then the fallback');
  });
});
