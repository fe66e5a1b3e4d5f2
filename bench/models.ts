/**
 * Models area: what the router adds to a model call, and what its routing rules save.
 * - Overhead: the same local model server (the wire-format fixture) called through the router and through
 *   the client directly, interleaved after a warm-up.
 * - Cost: the shipped rules (heuristic difficulty, cheapest eligible model for easy goals) on a fixed mix of
 *   100 goals with known difficulty (`modelsRoutingGoals.json`), against always using the strong model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounting, connectModel, ModelRouter, parseRouterSettings, type ChatModel, type ModelEntry, type RoutedChatRequest } from '../host/models';
import { startTrace } from '../host/observability/tracer';
import { startModelServer } from '../test/fixtures/modelServer';
import goals from './modelsRoutingGoals.json';
import { median, percentile, round, type Metric } from './report';

const WARMUP = 100;
const SAMPLES = 1000;
/** Published list prices (USD per million tokens) of a common strong/weak pair. */
const STRONG = { id: 'gpt-4o', inputPricePerMTok: 2.5, outputPricePerMTok: 10 };
const WEAK = { id: 'gpt-4o-mini', inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 };
/** A simulated run: a goal takes this many model calls, each prompt longer by the previous tool results. */
const STEPS = { easy: 4, hard: 10 } as const;
const FIRST_PROMPT_TOKENS = 2000;
const PROMPT_GROWTH_TOKENS = 1500;
const OUTPUT_TOKENS_PER_STEP = 300;

const tools = [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];

export async function benchModels(): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  const overhead = await measureOverhead();
  const routing = await simulateRouting();
  const metrics: Record<string, Metric> = {
    router_overhead_p50_ms: { value: round(overhead.routerP50 - overhead.directP50), unit: 'ms', lowerIsBetter: true },
    router_p50_ms: { value: round(overhead.routerP50), unit: 'ms', lowerIsBetter: true },
    direct_client_p50_ms: { value: round(overhead.directP50), unit: 'ms', lowerIsBetter: true },
    router_self_time_p50_ms: { value: round(overhead.selfP50), unit: 'ms', lowerIsBetter: true },
    router_self_time_p95_ms: { value: round(overhead.selfP95), unit: 'ms', lowerIsBetter: true },
    routing_cost_saving_pct: { value: round(routing.savingPct, 1), unit: '%' },
    routed_cost_usd: { value: round(routing.routedUsd, 4), unit: 'USD', lowerIsBetter: true },
    always_strong_cost_usd: { value: round(routing.strongUsd, 4), unit: 'USD', lowerIsBetter: true },
    hard_tasks_on_strong_pct: { value: round(routing.hardOnStrongPct, 1), unit: '%' },
    easy_tasks_on_weak_pct: { value: round(routing.easyOnWeakPct, 1), unit: '%' },
  };
  const notes = `router_overhead_p50_ms: p50 of ${SAMPLES} router calls minus p50 of ${SAMPLES} direct OllamaModel calls to the same fixture server ` +
    `(NDJSON, 1 ms between chunks), interleaved with alternating order after ${WARMUP} warm-up pairs; the router ran a 3-model catalogue, ` +
    'the heuristic classifier, accounting with the day ledger saved to a temp dir, and span attributes. router_self_time: each router call ' +
    'minus the time inside the client it called, the same work measured without the network noise. routing_cost_saving_pct: ' +
    `${goals.length} goals (${count('easy')} easy, ${count('hard')} hard, labelled by hand in bench/modelsRoutingGoals.json) routed between ` +
    `${WEAK.id} ($${WEAK.inputPricePerMTok}/$${WEAK.outputPricePerMTok} per M) and ${STRONG.id} ($${STRONG.inputPricePerMTok}/$${STRONG.outputPricePerMTok} per M); ` +
    `a run is ${STEPS.easy} (easy) or ${STEPS.hard} (hard) calls with prompts of ${FIRST_PROMPT_TOKENS} + ${PROMPT_GROWTH_TOKENS}×step tokens and ` +
    `${OUTPUT_TOKENS_PER_STEP} output tokens, the same whichever model answers (a weak model that needs more steps would cut the saving). ` +
    'hard_tasks_on_strong_pct is the quality guard: hard goals whose every call went to the strong model. The goals and the heuristic were ' +
    'written by the same person, so this measures the mechanism, not accuracy on real users\' goals.';
  return { metrics, notes };
}

function count(difficulty: 'easy' | 'hard'): number {
  return goals.filter((g) => g.difficulty === difficulty).length;
}

function entry(base: { id: string; inputPricePerMTok: number; outputPricePerMTok: number }, baseUrl: string, provider: ModelEntry['provider']): ModelEntry {
  return {
    ...base,
    provider,
    baseUrl,
    model: base.id,
    contextWindow: 128_000,
    capabilities: { tools: true, vision: false, embeddings: false },
    roles: ['plan', 'act', 'summarize'],
    local: false,
  };
}

async function measureOverhead(): Promise<{ routerP50: number; directP50: number; selfP50: number; selfP95: number }> {
  const server = await startModelServer(() => ({ kind: 'message', content: 'Renamed foo to bar.', usage: { input: 1200, output: 8 } }));
  const ledgerDir = mkdtempSync(join(tmpdir(), 'keel-bench-models-'));
  try {
    const catalogue = [entry(STRONG, server.url, 'ollama'), entry(WEAK, server.url, 'ollama'), { ...entry(WEAK, server.url, 'ollama'), id: 'spare', roles: [] }];
    const settings = parseRouterSettings({ models: catalogue, fallbacks: { [WEAK.id]: ['spare'] }, budget: { perDayUsd: 1000 } });
    let insideClient = 0;
    const router = new ModelRouter({
      settings,
      connect: (e) => timed(connectModel(e), (ms) => { insideClient = ms; }),
      accounting: new Accounting({ budgets: settings.budgets, dir: ledgerDir }),
    });
    const direct = connectModel(catalogue[1]!);
    const span = startTrace(() => undefined, 'bench', 'invoke_agent');
    const signal = new AbortController().signal;
    const request: RoutedChatRequest = { messages: [{ role: 'user', content: 'Rename foo to bar in src/a.ts.' }], tools, taskClass: 'act', agent: 'keel', runId: 'bench' };

    const viaRouter = async () => {
      const start = performance.now();
      const response = await router.chat(request, signal, span);
      if (response.modelId !== WEAK.id) throw new Error(`the bench expects ${WEAK.id}, the router chose ${response.modelId}: ${response.reason}`);
      const total = performance.now() - start;
      return { total, self: total - insideClient };
    };
    const viaClient = async () => {
      const start = performance.now();
      await direct.chat(request, signal);
      return performance.now() - start;
    };

    const routed: number[] = [];
    const self: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Alternating which goes first cancels any advantage of following the other call.
      let r: { total: number; self: number };
      let d: number;
      if (i % 2 === 0) {
        r = await viaRouter();
        d = await viaClient();
      } else {
        d = await viaClient();
        r = await viaRouter();
      }
      if (i < WARMUP) continue;
      routed.push(r.total);
      self.push(r.self);
      plain.push(d);
    }
    return { routerP50: median(routed), directP50: median(plain), selfP50: median(self), selfP95: percentile(self, 95) };
  } finally {
    await server.close();
    rmSync(ledgerDir, { recursive: true, force: true });
  }
}

/** Reports how long each call spent inside the client, so the router's own time can be told apart. */
function timed(model: ChatModel, report: (ms: number) => void): ChatModel {
  return {
    provider: model.provider,
    model: model.model,
    baseUrl: model.baseUrl,
    async chat(request, signal) {
      const start = performance.now();
      try {
        return await model.chat(request, signal);
      } finally {
        report(performance.now() - start);
      }
    },
  };
}

async function simulateRouting(): Promise<{ savingPct: number; routedUsd: number; strongUsd: number; hardOnStrongPct: number; easyOnWeakPct: number }> {
  const catalogue = [entry(STRONG, 'http://simulated.invalid/v1', 'openai'), entry(WEAK, 'http://simulated.invalid/v1', 'openai')];
  const settings = parseRouterSettings({ models: catalogue });
  let inputTokens = 0;
  // Models that answer at once with the usage the simulated step calls for; no network.
  const simulated = (e: ModelEntry): ChatModel => ({
    provider: e.provider,
    model: e.model,
    baseUrl: e.baseUrl,
    chat: async () => ({ content: 'done', toolCalls: [], usage: { inputTokens, outputTokens: OUTPUT_TOKENS_PER_STEP }, finishReason: 'stop', responseModel: e.model }),
  });
  const router = new ModelRouter({ settings, connect: simulated, accounting: new Accounting({ budgets: {} }) });
  const strongPrice = catalogue[0]!;
  const signal = new AbortController().signal;
  let routedUsd = 0;
  let strongUsd = 0;
  let hardOnStrong = 0;
  let easyOnWeak = 0;
  for (const [index, goal] of goals.entries()) {
    const models = new Set<string>();
    for (let step = 0; step < STEPS[goal.difficulty as 'easy' | 'hard']; step++) {
      inputTokens = FIRST_PROMPT_TOKENS + PROMPT_GROWTH_TOKENS * step;
      const request: RoutedChatRequest = { messages: [{ role: 'user', content: goal.goal }], tools, taskClass: 'act', agent: 'keel', runId: `goal-${index}`, estimatedInputTokens: inputTokens };
      const response = await router.chat(request, signal);
      models.add(response.modelId);
      routedUsd += response.costUsd;
      strongUsd += (inputTokens * strongPrice.inputPricePerMTok + OUTPUT_TOKENS_PER_STEP * strongPrice.outputPricePerMTok) / 1_000_000;
    }
    if (goal.difficulty === 'hard' && models.size === 1 && models.has(STRONG.id)) hardOnStrong++;
    if (goal.difficulty === 'easy' && models.size === 1 && models.has(WEAK.id)) easyOnWeak++;
    router.endRun(`goal-${index}`);
  }
  return {
    savingPct: 100 * (1 - routedUsd / strongUsd),
    routedUsd,
    strongUsd,
    hardOnStrongPct: (100 * hardOnStrong) / count('hard'),
    easyOnWeakPct: (100 * easyOnWeak) / count('easy'),
  };
}
