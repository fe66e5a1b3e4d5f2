import assert from 'node:assert/strict';
import {
  Accounting, BudgetExceededError, HeuristicClassifier, ModelError, ModelRouter, parseRouterSettings,
  type BudgetEscalation, type ChatModel, type ChatRequest, type ChatResponse, type DifficultyClassifier, type ModelEntry,
  type RoutedChatRequest, type RouterSettingsInput,
} from '../../host/models';
import { classifyByHeuristic } from '../../host/models/difficulty';
import type { Clock } from '../../host/models/clock';
import { recordingTrace } from './helpers';
import { rejection } from './helpers';

type Turn = Partial<ChatResponse> | Error | 'hang' | ((request: ChatRequest) => Partial<ChatResponse> | Error);

/** A model that answers from a list of turns (the last one repeats) and counts its calls. */
function fakeModel(entry: ModelEntry, turns: Turn[] = [{}]): ChatModel & { calls: number; requests: ChatRequest[] } {
  const model = {
    provider: entry.provider,
    model: entry.model,
    baseUrl: entry.baseUrl,
    calls: 0,
    requests: [] as ChatRequest[],
    async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
      model.requests.push(request);
      let turn = turns[Math.min(model.calls++, turns.length - 1)]!;
      if (typeof turn === 'function') turn = turn(request);
      if (turn === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      if (turn instanceof Error) throw turn;
      return { content: `answer from ${entry.id}`, toolCalls: [], usage: { inputTokens: 1000, outputTokens: 100 }, finishReason: 'stop', responseModel: entry.model, ...turn };
    },
  };
  return model;
}

function entry(id: string, overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    provider: 'openai',
    baseUrl: 'http://models.test/v1',
    model: id,
    contextWindow: 128_000,
    inputPricePerMTok: 1,
    outputPricePerMTok: 4,
    capabilities: { tools: true, vision: false, embeddings: false },
    roles: ['route', 'plan', 'act', 'summarize'],
    local: false,
    ...overrides,
  };
}

/** Time that moves only when the router sleeps, and jitter fixed at half the range. */
function fakeClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = new Date(2026, 10, 24, 12, 0, 0).getTime();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => 0.5,
    advance: (ms) => { now += ms; },
    async sleep(ms, signal) {
      if (signal.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
  };
}

interface Setup {
  router: ModelRouter;
  models: Record<string, ReturnType<typeof fakeModel>>;
  accounting: Accounting;
  clock: ReturnType<typeof fakeClock>;
}

function setup(
  entries: ModelEntry[],
  turns: Record<string, Turn[]> = {},
  options: { settings?: Partial<RouterSettingsInput>; classifier?: DifficultyClassifier; clock?: ReturnType<typeof fakeClock> } = {},
): Setup {
  const settings = parseRouterSettings({ models: entries, ...options.settings });
  const clock = options.clock ?? fakeClock();
  const accounting = new Accounting({ budgets: settings.budgets, now: clock.now });
  const models = Object.fromEntries(entries.map((e) => [e.id, fakeModel(e, turns[e.id])]));
  const router = new ModelRouter({ settings, connect: (e) => models[e.id]!, accounting, clock, classifier: options.classifier });
  return { router, models, accounting, clock };
}

const tools = [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object' } }];

function request(overrides: Partial<RoutedChatRequest> = {}): RoutedChatRequest {
  return { messages: [{ role: 'user', content: 'Rename foo to bar in a.ts' }], tools, taskClass: 'act', agent: 'keel', runId: 'run-1', ...overrides };
}

const signal = new AbortController().signal;

function error(kind: ModelError['kind'], status?: number, retryAfterMs?: number): ModelError {
  return new ModelError(kind, `${kind} happened`, status, retryAfterMs);
}

describe('router rules', () => {
  it('routes by task class to the models with that role', async () => {
    const { router, models } = setup([entry('planner', { roles: ['plan'] }), entry('summarizer', { roles: ['summarize'], inputPricePerMTok: 5 })]);
    const response = await router.chat(request({ taskClass: 'summarize' }), signal);
    assert.equal(response.modelId, 'summarizer');
    assert.equal(models.planner!.calls, 0);
  });

  it('needs tool calling only when the request offers tools', async () => {
    const { router } = setup([entry('no-tools', { capabilities: { tools: false, vision: false, embeddings: false }, inputPricePerMTok: 0.1 }), entry('tools')]);
    assert.equal((await router.chat(request(), signal)).modelId, 'tools');
    const withoutTools = await router.chat(request({ tools: [] }), signal);
    assert.equal(withoutTools.modelId, 'no-tools');
  });

  it('skips models whose context window is smaller than the estimated prompt', async () => {
    const { router } = setup([entry('small', { contextWindow: 8000, inputPricePerMTok: 0.1 }), entry('large', { contextWindow: 200_000 })]);
    const response = await router.chat(request({ estimatedInputTokens: 20_000 }), signal);
    assert.equal(response.modelId, 'large');
    assert.match(response.reason, /small its 8000-token window is smaller than this call's ~20000 tokens/);
  });

  it('estimates the prompt from the messages when the caller does not', async () => {
    const { router } = setup([entry('small', { contextWindow: 100, inputPricePerMTok: 0.1 }), entry('large')]);
    const response = await router.chat(request({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] }), signal);
    assert.equal(response.modelId, 'large');
  });

  it('keeps a local-only run on local models', async () => {
    const { router } = setup([entry('cloud', { inputPricePerMTok: 0.1 }), entry('local', { local: true, provider: 'ollama' })]);
    assert.equal((await router.chat(request(), signal)).modelId, 'cloud');
    assert.equal((await router.chat(request({ localOnly: true }), signal)).modelId, 'local');
  });

  it('says what to change when no model fits', async () => {
    const { router } = setup([entry('cloud'), entry('summarizer', { roles: ['summarize'], local: true })]);
    const failure = await rejection(router.chat(request({ localOnly: true }), signal));
    assert.ok(failure instanceof ModelError);
    assert.match(failure.message, /cloud not local, and this run is local-only/);
    assert.match(failure.message, /Give a suitable model the "act" role, mark a local model "local": true/);
  });

  it('asks for a model when the catalogue is empty', async () => {
    const { router } = setup([]);
    assert.match((await rejection(router.chat(request(), signal))).message, /No models are configured\. Add one to "keel\.router\.models"/);
  });

  it('skips a model whose worst-case cost exceeds the budget left and takes one that fits', async () => {
    // Worst case on "pricey": 1000 input × $10/M + 4096 output × $40/M ≈ $0.17; on "cheap" ≈ $0.002.
    const { router } = setup(
      [entry('pricey', { inputPricePerMTok: 10, outputPricePerMTok: 40 }), entry('cheap', { inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 })],
      {},
      { settings: { budget: { perRunUsd: 0.1 } } },
    );
    const hard = 'Refactor the authentication across the whole codebase and investigate the race condition.';
    const response = await router.chat(request({ messages: [{ role: 'user', content: hard }], estimatedInputTokens: 1000 }), signal);
    assert.equal(response.modelId, 'cheap');
    assert.match(response.reason, /pricey could cost up to \$0\.17\d+, over what is left of the run budget/);
  });
});

describe('router difficulty', () => {
  // Not route models themselves, so a "route" call can only go to the router entry.
  const weak = () => entry('weak', { inputPricePerMTok: 0.15, outputPricePerMTok: 0.6, roles: ['plan', 'act', 'summarize'] });
  const strong = () => entry('strong', { inputPricePerMTok: 2.5, outputPricePerMTok: 10, roles: ['plan', 'act', 'summarize'] });
  const goal = (content: string, runId = 'run-1') => request({ messages: [{ role: 'user', content }], runId });

  it('sends easy goals to the cheap model and hard goals to the strong one', async () => {
    const { router } = setup([strong(), weak()]);
    const easy = await router.chat(goal('Fix the typo in the README.', 'easy-run'), signal);
    const hard = await router.chat(goal('Refactor the session handling across the codebase and investigate the deadlock.', 'hard-run'), signal);
    assert.equal(easy.modelId, 'weak');
    assert.match(easy.reason, /cheapest of 2 eligible for an easy goal/);
    assert.equal(hard.modelId, 'strong');
    assert.match(hard.reason, /strongest \(priciest\) of 2 eligible for a hard goal \(heuristic score \d+: hard words "refactor"/);
  });

  it('classifies once per run, and not at all when there is no choice to make', async () => {
    let asked = 0;
    const counting: DifficultyClassifier = { classify: async (goal) => { asked++; return new HeuristicClassifier().classify(goal); } };
    const { router } = setup([strong(), weak()], {}, { classifier: counting });
    await router.chat(goal('Fix the typo.'), signal);
    await router.chat(goal('Fix the typo.'), signal);
    assert.equal(asked, 1, 'the second call of the run reuses the verdict');
    await router.chat({ ...goal('Fix the typo.'), taskClass: 'summarize' }, signal);
    assert.equal(asked, 1, 'summaries go to the cheapest model without asking');
    router.endRun('run-1');
    await router.chat(goal('Fix the typo.'), signal);
    assert.equal(asked, 2, 'an ended run is forgotten');

    const single = setup([strong()], {}, { classifier: counting });
    await single.router.chat(goal('Fix the typo.', 'other'), signal);
    assert.equal(asked, 2, 'one eligible model needs no verdict');
  });

  it('asks the route model for a one-word verdict when set to "model"', async () => {
    const router = entry('router', { roles: ['route'], inputPricePerMTok: 0.05, outputPricePerMTok: 0.1 });
    const { router: modelRouter, models } = setup([strong(), weak(), router], { router: [{ content: 'Hard.' }] }, { settings: { difficulty: 'model' } });
    const response = await modelRouter.chat(goal('Fix the typo.'), signal);
    assert.equal(response.modelId, 'strong', 'the route model overrides the heuristic');
    assert.match(response.reason, /router model said so/);
    const asked = models.router!.requests[0]!;
    assert.equal(asked.tools.length, 0);
    assert.match(asked.messages[0]!.content, /exactly one word/);
    assert.equal(asked.messages[1]!.content, 'Fix the typo.');
  });

  it('falls back to the heuristic when the route model rambles or fails', async () => {
    const router = entry('router', { roles: ['route'] });
    const rambling = setup([strong(), weak(), router], { router: [{ content: 'It depends on the codebase.' }] }, { settings: { difficulty: 'model' } });
    const answer = await rambling.router.chat(goal('Fix the typo.'), signal);
    assert.equal(answer.modelId, 'weak');
    assert.match(answer.reason, /router model answered "It depends on the codebase\."; heuristic score/);

    const failing = setup([strong(), weak(), router], { router: [error('auth', 401)] }, { settings: { difficulty: 'model' } });
    const fallback = await failing.router.chat(goal('Fix the typo.'), signal);
    assert.equal(fallback.modelId, 'weak');
    assert.match(fallback.reason, /router model failed \(No model could answer this route call/);
  });

  it('never sends a local-only goal to a cloud route model', async () => {
    const localStrong = entry('local-strong', { local: true, inputPricePerMTok: 0.2, roles: ['act'] });
    const localWeak = entry('local-weak', { local: true, inputPricePerMTok: 0.1, roles: ['act'] });
    const cloudRouter = entry('cloud-router', { roles: ['route'] });
    const { router, models } = setup([localStrong, localWeak, cloudRouter], {}, { settings: { difficulty: 'model' } });
    const response = await router.chat({ ...goal('Fix the typo.'), localOnly: true }, signal);
    assert.equal(models['cloud-router']!.calls, 0);
    assert.match(response.reason, /router model failed \(No model .* cloud-router not local, and this run is local-only/);
  });

  it('scores goals by words, files named and length', () => {
    assert.equal(classifyByHeuristic('Rename getUsr to getUser in src/users.ts.').difficulty, 'easy');
    assert.equal(classifyByHeuristic('Why does the cache return stale data after a deploy?').difficulty, 'hard');
    assert.equal(classifyByHeuristic('Update a.ts, b.ts and c.ts to use the new logger.').difficulty, 'hard', 'three files');
    assert.equal(classifyByHeuristic('Convert src/fs/*.js to async/await.').difficulty, 'hard', 'a glob');
    assert.equal(classifyByHeuristic('Refactor the comment in a.ts.').difficulty, 'easy', 'an easy word offsets a weak hard sign');
    assert.match(classifyByHeuristic('Fix it.').reason, /no signs of a large task/);
  });
});

describe('router reliability', () => {
  it('retries a transient failure with full-jitter exponential backoff', async () => {
    const { router, models, clock } = setup([entry('a')], { a: [error('server', 500), error('torn_stream'), {}] });
    const response = await router.chat(request(), signal);
    assert.equal(response.modelId, 'a');
    assert.equal(response.attempts, 3);
    assert.equal(models.a!.calls, 3);
    // random() is 0.5: half of 500 ms, then half of 1000 ms.
    assert.deepEqual(clock.sleeps, [250, 500]);
    assert.match(response.reason, /Then a: server error \(HTTP 500\); a: stream broke off; answered by a/);
  });

  it('tries a server nobody listens at once, without waiting, then falls back', async () => {
    const alone = setup([entry('a')], { a: [new ModelError('unreachable', 'Could not reach a. Start it.')] });
    const failure = await rejection(alone.router.chat(request(), signal));
    assert.equal(alone.models.a!.calls, 1, 'connection refused is not retried');
    assert.deepEqual(alone.clock.sleeps, []);
    assert.equal((failure as Error).message, 'No model could answer this act call after 1 attempt (a: unreachable). The last error: Could not reach a. Start it.');

    const withFallback = setup([entry('a', { inputPricePerMTok: 0.1 }), entry('b')], { a: [new ModelError('unreachable', 'down')] });
    assert.equal((await withFallback.router.chat(request(), signal)).modelId, 'b');
    assert.equal(withFallback.models.a!.calls, 1);
  });

  it('waits as long as Retry-After asks', async () => {
    const { router, clock } = setup([entry('a')], { a: [error('rate_limited', 429, 1000), {}] });
    const response = await router.chat(request(), signal);
    assert.equal(response.attempts, 2);
    assert.deepEqual(clock.sleeps, [1000]);
  });

  it('falls back instead of waiting out a long Retry-After, and cools the deployment down for that long', async () => {
    const { router, models, clock } = setup([entry('a', { inputPricePerMTok: 0.1 }), entry('b')], { a: [error('rate_limited', 429, 120_000), {}] });
    assert.equal((await router.chat(request(), signal)).modelId, 'b');
    assert.deepEqual(clock.sleeps, []);
    assert.equal((await router.chat(request(), signal)).modelId, 'b');
    assert.equal(models.a!.calls, 1, 'a is skipped while it cools down');
    clock.advance(120_000);
    assert.equal((await router.chat(request(), signal)).modelId, 'a');
  });

  it('puts a deployment on cooldown after N failures in the window and skips it on the next call', async () => {
    const { router, models, clock } = setup(
      [entry('a', { inputPricePerMTok: 0.1 }), entry('b')],
      { a: [error('server', 503)] },
      { settings: { retries: 5, cooldown: { failures: 2, windowSeconds: 60, seconds: 30 } } },
    );
    const first = await router.chat(request(), signal);
    assert.equal(first.modelId, 'b');
    assert.equal(models.a!.calls, 2, 'the second failure cools a down before its retries run out');
    const second = await router.chat(request(), signal);
    assert.equal(second.modelId, 'b');
    assert.equal(models.a!.calls, 2);
    assert.match(second.reason, /a: skipped, cooling down until 12:00:\d\d; answered by b/);
    clock.advance(30_000);
    await router.chat(request(), signal);
    assert.equal(models.a!.calls, 4, 'a is tried again once the cooldown ends');
  });

  it('does not count failures that fall outside the window', async () => {
    const { router, models, clock } = setup(
      [entry('a', { inputPricePerMTok: 0.1 }), entry('b')],
      { a: [error('bad_request', 400)] },
      { settings: { cooldown: { failures: 2, windowSeconds: 10, seconds: 60 } } },
    );
    await router.chat(request(), signal);
    clock.advance(11_000);
    await router.chat(request(), signal);
    clock.advance(11_000);
    await router.chat(request(), signal);
    assert.equal(models.a!.calls, 3, 'never cooled down: one failure per window');
  });

  for (const kind of ['auth', 'not_found'] as const) {
    it(`never retries ${kind} on the same deployment: it falls back and cools it down`, async () => {
      const { router, models, clock } = setup([entry('a', { inputPricePerMTok: 0.1 }), entry('b')], { a: [error(kind, kind === 'auth' ? 401 : 404)] });
      const response = await router.chat(request(), signal);
      assert.equal(response.modelId, 'b');
      assert.equal(models.a!.calls, 1);
      assert.deepEqual(clock.sleeps, []);
      await router.chat(request(), signal);
      assert.equal(models.a!.calls, 1, 'skipped on the next call too');
    });
  }

  it('falls back along the configured chain before other eligible models', async () => {
    const { router, models } = setup(
      [entry('primary', { inputPricePerMTok: 0.1 }), entry('next-cheapest', { inputPricePerMTok: 0.2 }), entry('chosen-fallback', { inputPricePerMTok: 3, roles: [] })],
      { primary: [error('bad_response')] },
      { settings: { fallbacks: { primary: ['chosen-fallback'] } } },
    );
    const response = await router.chat(request(), signal);
    assert.equal(response.modelId, 'chosen-fallback', 'configured fallbacks need no role');
    assert.equal(models['next-cheapest']!.calls, 0);
  });

  it('moves on to the next eligible model when the chain is exhausted', async () => {
    const { router } = setup(
      [entry('primary', { inputPricePerMTok: 0.1 }), entry('second', { inputPricePerMTok: 0.2 }), entry('fallback', { roles: [] })],
      { primary: [error('bad_request', 400)], fallback: [error('auth', 401)] },
      { settings: { fallbacks: { primary: ['fallback'] } } },
    );
    const response = await router.chat(request(), signal);
    assert.equal(response.modelId, 'second');
    assert.equal(response.attempts, 3);
  });

  it('keeps fallbacks to the run\'s rules: no cloud fallback for a local-only run', async () => {
    const { router, models } = setup(
      [entry('local', { local: true }), entry('cloud', { roles: [] })],
      { local: [error('bad_response')] },
      { settings: { fallbacks: { local: ['cloud'] } } },
    );
    const failure = await rejection(router.chat(request({ localOnly: true }), signal));
    assert.equal(models.cloud!.calls, 0);
    assert.match(failure.message, /No model could answer this act call after 1 attempt \(local: unreadable response\)/);
  });

  it('after a context overflow, tries only models with a larger window', async () => {
    const { router, models } = setup(
      [entry('small', { contextWindow: 8000, inputPricePerMTok: 0.1 }), entry('same', { contextWindow: 8000, inputPricePerMTok: 0.2 }), entry('large', { contextWindow: 128_000 })],
      { small: [error('context_overflow', 400)] },
    );
    const response = await router.chat(request(), signal);
    assert.equal(response.modelId, 'large');
    assert.equal(models.same!.calls, 0);
    assert.match(response.reason, /small: context window exceeded \(HTTP 400\); same: skipped, window too small; answered by large/);
  });

  it('says to add a larger model when every window overflows', async () => {
    const { router } = setup([entry('small', { contextWindow: 8000 })], { small: [error('context_overflow', 400)] });
    const failure = await rejection(router.chat(request(), signal));
    assert.ok(failure instanceof ModelError);
    assert.equal(failure.kind, 'context_overflow');
    assert.match(failure.message, /Add a model with a window over 8000 tokens to "keel\.router\.models"/);
  });

  it('tells the caller to discard text from a torn stream and returns only the complete answer', async () => {
    const streamed: string[] = [];
    const retries: [number, string][] = [];
    const torn: Turn = (req) => {
      req.onText?.('The answer wi');
      return new ModelError('torn_stream', 'broke off');
    };
    const complete: Turn = (req) => {
      req.onText?.('The answer is 42.');
      return { content: 'The answer is 42.' };
    };
    const { router } = setup([entry('a')], { a: [torn, complete] });
    const response = await router.chat(request({ onText: (t) => streamed.push(t), onRetry: (attempt, reason) => retries.push([attempt, reason]) }), signal);
    assert.equal(response.content, 'The answer is 42.');
    assert.deepEqual(retries, [[2, 'a: stream broke off']]);
    assert.deepEqual(streamed, ['The answer wi', 'The answer is 42.'], 'the UI sees onRetry between the two');
  });

  it('reports every attempt and the last error\'s advice when all models fail', async () => {
    const { router } = setup(
      [entry('a', { inputPricePerMTok: 0.1 }), entry('b')],
      { a: [error('server', 500)], b: [new ModelError('unreachable', 'Could not reach b. Start it.')] },
      { settings: { retries: 1, cooldown: { failures: 10 } } },
    );
    const failure = await rejection(router.chat(request(), signal));
    assert.ok(failure instanceof ModelError);
    assert.equal(failure.kind, 'unreachable');
    assert.equal(failure.message, 'No model could answer this act call after 3 attempts (a: server error (HTTP 500) ×2; b: unreachable). The last error: Could not reach b. Start it.');
  });

  it('answers "try again at" when every model is cooling down', async () => {
    const { router } = setup([entry('a')], { a: [error('auth', 401)] }, { settings: { cooldown: { seconds: 90 } } });
    await rejection(router.chat(request(), signal));
    const failure = await rejection(router.chat(request(), signal));
    assert.ok(failure instanceof ModelError);
    assert.equal(failure.kind, 'rate_limited');
    assert.equal(failure.retryAfterMs, 90_000);
    assert.match(failure.message, /Every model that can take this act call is cooling down .* Keel tries them again from 12:01:30/);
  });

  it('gives up on a hung deployment after the attempt timeout and falls back', async () => {
    const { router } = setup([entry('a', { inputPricePerMTok: 0.1 }), entry('b')], { a: ['hang'] }, { settings: { attemptTimeoutSeconds: 1 } });
    const started = Date.now();
    const response = await router.chat(request(), signal);
    assert.equal(response.modelId, 'b');
    assert.match(response.reason, /a: timed out/);
    assert.ok(Date.now() - started < 3000);
  });

  it('stops at once when the caller aborts during a call', async () => {
    const controller = new AbortController();
    const { router, models } = setup([entry('a', { inputPricePerMTok: 0.1 }), entry('b')], { a: [() => { controller.abort(); return error('server', 500); }] });
    const failure = await rejection(router.chat(request(), controller.signal));
    assert.equal(failure.name, 'AbortError');
    assert.equal(models.a!.calls, 1);
    assert.equal(models.b!.calls, 0, 'no fallback after a cancel');
  });

  it('stops at once when the caller aborts during a backoff', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    clock.sleep = async (_ms, sleepSignal) => {
      controller.abort();
      throw sleepSignal.reason;
    };
    const { router, models } = setup([entry('a')], { a: [error('server', 500)] }, { clock });
    const failure = await rejection(router.chat(request(), controller.signal));
    assert.equal(failure.name, 'AbortError');
    assert.equal(models.a!.calls, 1);
  });

  it('records the route on the span', async () => {
    const { spans, root } = recordingTrace();
    const { router } = setup([entry('a', { inputPricePerMTok: 2, outputPricePerMTok: 8 })], { a: [error('server', 502), { usage: { inputTokens: 1000, outputTokens: 500 } }] });
    const span = root.child('chat', 'chat');
    await router.chat(request(), signal, span);
    span.end('ok');
    const attributes = spans.get(span.spanId)!.attributes;
    assert.equal(attributes['keel.route.model_id'], 'a');
    assert.equal(attributes['keel.route.attempts'], 2);
    assert.match(String(attributes['keel.route.reason']), /act call with tools.*a, the only eligible model/);
    assert.equal(attributes['gen_ai.usage.input_tokens'], 1000);
    assert.equal(attributes['gen_ai.usage.output_tokens'], 500);
    assert.equal(attributes['keel.cost.usd'], 0.006);
  });
});

describe('router accounting and budgets', () => {
  it('costs each call as tokens × price per million and adds it to run, agent, day and model', async () => {
    const { router, accounting } = setup([entry('a', { inputPricePerMTok: 2.5, outputPricePerMTok: 10 })], { a: [{ usage: { inputTokens: 2000, outputTokens: 300 } }] });
    const response = await router.chat(request(), signal);
    assert.equal(response.costUsd, 0.008);
    await router.chat(request({ runId: 'run-2', agent: 'planner' }), signal);
    assert.deepEqual(accounting.runTotals('run-1'), { calls: 1, inputTokens: 2000, outputTokens: 300, costUsd: 0.008 });
    assert.equal(accounting.dayTotals({ agent: 'planner' }).calls, 1);
    assert.equal(accounting.dayTotals({ modelId: 'a' }).calls, 2);
    assert.ok(Math.abs(accounting.dayTotals().costUsd - 0.016) < 1e-12);
    assert.deepEqual(router.endRun('run-1'), { calls: 1, inputTokens: 2000, outputTokens: 300, costUsd: 0.008 });
    assert.equal(accounting.runTotals('run-1').calls, 0);
  });

  it('estimates usage a server did not report, so calls are never free by accident', async () => {
    const { router } = setup([entry('a')], { a: [{ content: 'x'.repeat(400), usage: { inputTokens: 0, outputTokens: 0 } }] });
    const response = await router.chat(request({ estimatedInputTokens: 5000 }), signal);
    assert.deepEqual(response.usage, { inputTokens: 5000, outputTokens: 100, estimated: true });
    assert.equal(response.costUsd, 0.0054);
  });

  for (const [scope, setting, budget, message] of [
    ['run', 'keel.budget.perRunUsd', { perRunUsd: 0.02 }, /This run has spent \$0\.0\d+ of its \$0\.0200 budget/],
    ['agent', 'keel.budget.perAgentUsd', { perAgentUsd: 0.02 }, /The agent "keel" has spent \$0\.0\d+ of its \$0\.0200 daily budget today/],
    ['day', 'keel.budget.perDayUsd', { perDayUsd: 0.02 }, /Keel has spent \$0\.0\d+ of its \$0\.0200 daily budget today/],
  ] as const) {
    it(`stops before the ${scope} budget is exceeded, naming the setting to raise`, async () => {
      // Each call: 1000 × $1/M + 100 × $4/M = $0.0014 spent; the worst case is 1000 × $1/M + 4096 × $4/M ≈ $0.0174.
      const { router, accounting } = setup([entry('a')], {}, { settings: { budget } });
      let calls = 0;
      const failure = await rejection((async () => {
        for (;;) {
          // Each call is a new run for the agent and day budgets, so only those accumulate across calls.
          await router.chat(request({ estimatedInputTokens: 1000, runId: scope === 'run' ? 'run-1' : `run-${calls}` }), signal);
          calls++;
        }
      })());
      assert.ok(failure instanceof BudgetExceededError, String(failure));
      assert.equal(failure.breach.scope, scope);
      assert.match(failure.message, message);
      assert.ok(failure.message.includes(`Raise "${setting}"`));
      assert.match(failure.message, /the next model call could cost up to \$0\.0174/);
      assert.equal(calls, 2, '2 × $0.0014 + the $0.0174 worst case fits in $0.02; a third would not');
      assert.ok(accounting.dayTotals().costUsd <= 0.02);
    });
  }

  it('asks to go over a budget once per run and continues when approved', async () => {
    const asked: BudgetEscalation[] = [];
    const escalate = async (info: BudgetEscalation) => { asked.push(info); return true; };
    const { router } = setup([entry('a')], {}, { settings: { budget: { perRunUsd: 0.02 } } });
    for (let i = 0; i < 5; i++) await router.chat(request({ estimatedInputTokens: 1000, escalate }), signal);
    assert.equal(asked.length, 1);
    assert.deepEqual({ scope: asked[0]!.scope, runId: asked[0]!.runId, agent: asked[0]!.agent, modelId: asked[0]!.modelId, setting: asked[0]!.setting }, { scope: 'run', runId: 'run-1', agent: 'keel', modelId: 'a', setting: 'keel.budget.perRunUsd' });
    assert.equal(asked[0]!.limitUsd, 0.02);
    for (let i = 0; i < 3; i++) await router.chat(request({ estimatedInputTokens: 1000, runId: 'run-2', escalate }), signal);
    assert.equal(asked.length, 2, 'the approval was for run-1 only');
  });

  it('stops when the user declines to go over', async () => {
    let asked = 0;
    const { router, models } = setup([entry('a')], {}, { settings: { budget: { perRunUsd: 0.01 } } });
    const failure = await rejection(router.chat(request({ estimatedInputTokens: 1000, escalate: async () => { asked++; return false; } }), signal));
    assert.ok(failure instanceof BudgetExceededError);
    assert.equal(asked, 1);
    assert.equal(models.a!.calls, 0, 'stopped before the call, not after');
  });

  it('holds the worst case of calls in flight, so parallel calls cannot overshoot together', async () => {
    // Each worst case is ≈ $0.0174: two fit in $0.04, three do not.
    const { router, models } = setup([entry('a')], {}, { settings: { budget: { perRunUsd: 0.04 } } });
    const results = await Promise.allSettled([1, 2, 3].map(() => router.chat(request({ estimatedInputTokens: 1000 }), signal)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.ok((results[2] as PromiseRejectedResult).reason instanceof BudgetExceededError);
    assert.equal(models.a!.calls, 2);
  });
});
