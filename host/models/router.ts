import * as l10n from '@vscode/l10n';
import type { Span } from '../observability/tracer';
import { BudgetExceededError, type Accounting, type BudgetBreach, type BudgetEscalation, type Spender } from './accounting';
import { callCostUsd, type ModelEntry, type TaskClass } from './catalog';
import { systemClock, type Clock } from './clock';
import { Cooldowns } from './cooldown';
import { HeuristicClassifier, ModelClassifier, type DifficultyClassifier, type DifficultyVerdict } from './difficulty';
import { ModelError } from './errors';
import { failureAction, MAX_RETRY_AFTER_WAIT_MS, retryDelayMs } from './retryPolicy';
import { SETTING, type RouterSettings } from './routerSettings';
import { attemptOrder, brokenRule, eligibleModels, rankModels, worstCaseCostUsd, type CallNeeds, type Rejection } from './selection';
import { completeUsage, estimateInputTokens } from './tokens';
import { limitToolCalls } from './toolCallLimits';
import type { ChatModel, ChatRequest, ChatResponse } from './types';

export interface RoutedChatRequest extends ChatRequest {
  readonly taskClass: TaskClass;
  /** The agent making the call, for per-agent accounting and budgets. */
  readonly agent: string;
  readonly runId: string;
  /** The prompt's size in tokens if the caller knows it better than Keel's estimate (about four characters a token). */
  readonly estimatedInputTokens?: number;
  /** The task as the user gave it, for the difficulty verdict; otherwise the first user message is taken for it. */
  readonly goal?: string;
  /** The run's privacy flag: only catalogue entries marked `local` may see this call. */
  readonly localOnly?: boolean;
  /**
   * A catalogue id the caller asks for (an agent definition's `model`): used, with its fallbacks, whatever its roles, if
   * the privacy, tools, context and budget rules allow it; otherwise, or if no entry has that id, the rules choose.
   */
  readonly model?: string;
  /**
   * Asks the user whether this call may go over a budget (the caller's ApprovalBroker, so the question has a span,
   * a timeout and the caller's cancellation). Without it a call that would go over stops before it starts.
   */
  readonly escalate?: (escalation: BudgetEscalation) => Promise<boolean>;
  /**
   * Called before each attempt after the first. Everything `onText` streamed so far in this call belongs to
   * answers that will not be returned (a torn stream, a failed model): discard it and show the new attempt's
   * text instead. The same holds when `chat` throws. `reason` says what failed, for a status line.
   */
  readonly onRetry?: (attempt: number, reason: string) => void;
}

export interface RoutedChatResponse extends ChatResponse {
  /** The catalogue id of the model that answered. */
  readonly modelId: string;
  readonly costUsd: number;
  /** Model calls made, counting retries and fallbacks. */
  readonly attempts: number;
  /** Why this model answered: the rules' choice and any retries or fallbacks on the way. */
  readonly reason: string;
}

export interface ModelRouterOptions {
  readonly settings: RouterSettings;
  /** Makes the client for a catalogue entry (`connectModel` in production, fakes in tests). */
  readonly connect: (entry: ModelEntry) => ChatModel;
  /** Shared by routers across settings changes, so spending and budgets carry over. */
  readonly accounting: Accounting;
  /** Overrides the classifier `settings.difficulty` names. */
  readonly classifier?: DifficultyClassifier;
  readonly clock?: Clock;
}

/** Only goals that drive an agent are worth classifying; routing and summaries go to the cheapest model. */
const CLASSIFIED_TASKS: ReadonlySet<TaskClass> = new Set(['plan', 'act']);
/** Verdicts are kept per run; this bounds the cache if a caller never ends its runs. */
const MAX_REMEMBERED_RUNS = 1000;

/**
 * Picks a model for each call by rules (task class, tools, context window, privacy, budget, and for goals a
 * difficulty verdict), then is the one place that retries: transient failures with backoff and Retry-After,
 * deployments on cooldown after repeated failures, fallbacks along the configured chain, larger windows after
 * an overflow. It only ever returns a complete answer, with its cost recorded.
 */
export class ModelRouter {
  private readonly clients = new Map<string, ChatModel>();
  private readonly cooldowns: Cooldowns;
  private readonly classifier: DifficultyClassifier;
  private readonly verdicts = new Map<string, Promise<DifficultyVerdict>>();
  private readonly clock: Clock;

  constructor(private readonly options: ModelRouterOptions) {
    for (const entry of options.settings.models) this.clients.set(entry.id, options.connect(entry));
    this.clock = options.clock ?? systemClock;
    this.cooldowns = new Cooldowns(options.settings.cooldown, () => this.clock.now());
    this.classifier = options.classifier
      ?? (options.settings.difficulty === 'model'
        ? new ModelClassifier(async (messages, run, signal) => (await this.chat({ messages, tools: [], taskClass: 'route', ...run }, signal)).content)
        : new HeuristicClassifier());
  }

  async chat(request: RoutedChatRequest, signal: AbortSignal, span?: Span): Promise<RoutedChatResponse> {
    const { settings, accounting } = this.options;
    await accounting.ready();
    const who: Spender = { runId: request.runId, agent: request.agent };
    const needs: CallNeeds = {
      taskClass: request.taskClass,
      needsTools: request.tools.length > 0,
      estimatedInputTokens: request.estimatedInputTokens ?? estimateInputTokens(request.messages, request.tools),
      maxOutputTokens: settings.maxOutputTokens,
      localOnly: request.localOnly ?? false,
      overBudget: (usd) => accounting.breach(who, usd),
    };
    span?.setAttributes({ 'keel.route.task_class': request.taskClass, 'keel.route.estimated_input_tokens': needs.estimatedInputTokens });
    const named = request.model === undefined ? undefined : this.named(request.model, needs, span);
    if (named) {
      const choice = l10n.t("{0} call: {1}, named by the agent's definition", needs.taskClass, named.id);
      span?.setAttributes({ 'keel.route.reason': choice });
      return this.attempt(attemptOrder([named], settings.models, settings.fallbacks, needs), request, needs, who, choice, signal, span);
    }
    const { eligible, rejected } = await this.eligibleWithinBudget(needs, who, span, request.escalate);
    const verdict = await this.difficulty(request, eligible, needs, signal);
    const ranked = rankModels(eligible, needs, verdict?.difficulty);
    const choice = describeChoice(needs, ranked, verdict, rejected);
    span?.setAttributes({ 'keel.route.difficulty': verdict?.difficulty, 'keel.route.reason': choice });
    return this.attempt(attemptOrder(ranked, settings.models, settings.fallbacks, needs), request, needs, who, choice, signal, span);
  }

  /** The catalogue entry `id` if the rules allow it for this call; why not, on the span, when they do not. */
  private named(id: string, needs: CallNeeds, span: Span | undefined): ModelEntry | undefined {
    const entry = this.options.settings.models.find((e) => e.id === id);
    const why = entry ? brokenRule(entry, needs)?.why : l10n.t('no entry of "{0}" has the id {1}', SETTING.models, id);
    if (why) span?.setAttributes({ 'keel.route.named_model': l10n.t('{0} was not used: {1}; the rules chose', id, why) });
    return why ? undefined : entry;
  }

  /**
   * The largest context window among the models that may take `taskClass` calls, and the answer's allowance: the
   * room a prompt may fill. Longer prompts leave smaller-window models out until compaction shrinks them.
   */
  room(taskClass: TaskClass): { contextWindow: number; maxOutputTokens: number } {
    const windows = this.options.settings.models.filter((entry) => entry.roles.includes(taskClass)).map((entry) => entry.contextWindow);
    return { contextWindow: windows.length ? Math.max(...windows) : 0, maxOutputTokens: this.options.settings.maxOutputTokens };
  }

  /** Forgets a finished run (its difficulty verdict, budget approvals) and returns what it spent. */
  endRun(runId: string): ReturnType<Accounting['endRun']> {
    this.verdicts.delete(runId);
    return this.options.accounting.endRun(runId);
  }

  /**
   * The eligible models. When budget is all that rules every one out, the user may approve going over
   * (once per budget and run); otherwise the call stops before it starts.
   */
  private async eligibleWithinBudget(needs: CallNeeds, who: Spender, span: Span | undefined, escalate: RoutedChatRequest['escalate']): Promise<{ eligible: ModelEntry[]; rejected: Rejection[] }> {
    for (;;) {
      const { eligible, rejected } = eligibleModels(this.options.settings.models, needs);
      if (eligible.length > 0) return { eligible, rejected };
      const overBudget = rejected.filter((r) => r.rule === 'budget').map((r) => r.entry);
      if (overBudget.length === 0) throw noEligibleModel(needs, rejected, this.options.settings.models.length);
      const cheapest = rankModels(overBudget, needs, 'easy')[0]!;
      const breach = needs.overBudget(worstCaseCostUsd(cheapest, needs))!;
      const approved = (await escalate?.({ ...breach, ...who, modelId: cheapest.id })) ?? false;
      span?.setAttributes({ 'keel.budget.escalated': breach.scope, 'keel.budget.approved': approved });
      if (!approved) throw new BudgetExceededError(breach, who);
      this.options.accounting.approveOverrun(who.runId, breach.scope);
    }
  }

  /** The goal's difficulty, asked once per run, and only when there is a real choice to make. */
  private async difficulty(request: RoutedChatRequest, eligible: readonly ModelEntry[], needs: CallNeeds, signal: AbortSignal): Promise<DifficultyVerdict | undefined> {
    if (!CLASSIFIED_TASKS.has(request.taskClass)) return undefined;
    if (new Set(eligible.map((entry) => worstCaseCostUsd(entry, needs))).size < 2) return undefined;
    const goal = request.goal ?? request.messages.find((message) => message.role === 'user')?.content;
    if (!goal) return undefined;
    let verdict = this.verdicts.get(request.runId);
    if (!verdict) {
      verdict = this.classifier.classify(goal, { runId: request.runId, agent: request.agent, localOnly: needs.localOnly }, signal);
      // A failed or cancelled verdict is asked again by the run's next call.
      verdict.catch(() => this.verdicts.delete(request.runId));
      if (this.verdicts.size >= MAX_REMEMBERED_RUNS) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(request.runId, verdict);
    }
    return verdict;
  }

  private async attempt(
    order: readonly ModelEntry[],
    request: RoutedChatRequest,
    needs: CallNeeds,
    who: Spender,
    choice: string,
    signal: AbortSignal,
    span: Span | undefined,
  ): Promise<RoutedChatResponse> {
    const { settings, accounting } = this.options;
    const trail = new Trail();
    const coolingUntil: number[] = [];
    let attempts = 0;
    let lastError: unknown;
    let budgetBreach: BudgetBreach | undefined;
    // After an overflow, only models with a larger window than the one that overflowed are worth trying.
    let overflowedWindow = 0;
    const fail = (error: Error) => {
      span?.setAttributes({ 'keel.route.reason': trail.describe(choice), 'keel.route.attempts': attempts });
      return error;
    };

    for (const entry of order) {
      const until = this.cooldowns.coolingUntil(entry.id);
      if (until !== undefined) {
        coolingUntil.push(until);
        trail.add(entry.id, l10n.t('skipped, cooling down until {0}', clockTime(until)));
        continue;
      }
      if (entry.contextWindow <= overflowedWindow) {
        trail.add(entry.id, l10n.t('skipped, window too small'));
        continue;
      }
      for (let retry = 0; ; retry++) {
        const hold = accounting.reserve(who, worstCaseCostUsd(entry, needs));
        if (!('settle' in hold)) {
          budgetBreach = hold;
          trail.add(entry.id, l10n.t({ message: 'skipped, over the {0} budget', args: [hold.scope], comment: ['{0} is "run", "agent" or "day".'] }));
          break;
        }
        attempts++;
        if (attempts > 1) request.onRetry?.(attempts, trail.last());
        let response: ChatResponse;
        try {
          response = await this.callOnce(entry, request, signal);
        } catch (error) {
          hold.release();
          if (signal.aborted) throw fail(signal.reason as Error);
          lastError = error;
          trail.add(entry.id, shortReason(error));
          const next = failureAction(error);
          if (next.action === 'overflow') {
            overflowedWindow = Math.max(overflowedWindow, entry.contextWindow);
            break;
          }
          if (next.action === 'fallback') {
            if (next.coolDown) this.cooldowns.coolFor(entry.id, settings.cooldown.durationMs);
            else this.cooldowns.recordFailure(entry.id);
            break;
          }
          const cooledDown = this.cooldowns.recordFailure(entry.id);
          if (cooledDown || retry >= settings.retries) break;
          const delay = retryDelayMs(error, retry, this.clock.random);
          if (delay > MAX_RETRY_AFTER_WAIT_MS) {
            // Waiting this long would stall the run; let other calls skip the deployment until then.
            this.cooldowns.coolFor(entry.id, delay);
            break;
          }
          await this.clock.sleep(delay, signal).catch((reason: unknown) => {
            throw fail(reason as Error);
          });
          continue;
        }
        const usage = completeUsage(response, needs.estimatedInputTokens);
        const costUsd = callCostUsd(entry, usage.inputTokens, usage.outputTokens);
        hold.settle({ modelId: entry.id, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd });
        this.cooldowns.recordSuccess(entry.id);
        const reason = trail.describe(choice, entry.id);
        span?.setAttributes({
          'keel.route.model_id': entry.id,
          'keel.route.reason': reason,
          'keel.route.attempts': attempts,
          'gen_ai.provider.name': entry.provider,
          'gen_ai.request.model': entry.model,
          'server.address': entry.baseUrl,
          'gen_ai.response.model': response.responseModel,
          'gen_ai.response.finish_reasons': response.finishReason,
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
          'keel.usage.estimated': usage.estimated,
          'keel.cost.usd': costUsd,
        });
        return { ...response, usage, modelId: entry.id, costUsd, attempts, reason };
      }
    }

    if (lastError === undefined && budgetBreach) throw fail(new BudgetExceededError(budgetBreach, who));
    if (lastError === undefined) {
      const retryAfterMs = Math.max(0, Math.min(...coolingUntil) - this.clock.now());
      throw fail(new ModelError('rate_limited', l10n.t('Every model that can take this {0} call is cooling down after repeated failures ({1}). Keel tries them again from {2}; check those servers, or add a working model to {3}.', needs.taskClass, trail.summary(), clockTime(this.clock.now() + retryAfterMs), `"${SETTING.fallbacks}"`), undefined, retryAfterMs));
    }
    if (lastError instanceof ModelError && lastError.kind === 'context_overflow') {
      throw fail(new ModelError('context_overflow', l10n.t('The conversation (~{0} tokens) is too long for every model that can take this {1} call ({2}). Add a model with a window over {3} tokens to {4}, or start a new run with a narrower goal.', needs.estimatedInputTokens, needs.taskClass, trail.summary(), overflowedWindow, `"${SETTING.models}"`), lastError.status));
    }
    const last = lastError instanceof ModelError ? lastError : new ModelError('bad_response', lastError instanceof Error ? lastError.message : String(lastError));
    const noAnswer = attempts === 1
      ? l10n.t('No model could answer this {0} call after {1} attempt ({2}). The last error: {3}', needs.taskClass, attempts, trail.summary(), last.message)
      : l10n.t('No model could answer this {0} call after {1} attempts ({2}). The last error: {3}', needs.taskClass, attempts, trail.summary(), last.message);
    throw fail(new ModelError(last.kind, noAnswer, last.status, last.retryAfterMs));
  }

  /** One attempt on one deployment, with its own timeout so a hung server falls back instead of stalling the run. */
  private async callOnce(entry: ModelEntry, request: RoutedChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    const timeoutMs = this.options.settings.attemptTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.clients.get(entry.id)!.chat({ messages: request.messages, tools: request.tools, onText: request.onText, maxOutputTokens: this.options.settings.maxOutputTokens }, AbortSignal.any([signal, timeout]));
      // Before anything counts, prices or serialises them: a model's tool calls may be huge, deep or countless.
      return { ...response, toolCalls: limitToolCalls(response.toolCalls) };
    } catch (error) {
      if (timeout.aborted && !signal.aborted) {
        throw new ModelError('timeout', l10n.t('{0} at {1} did not answer within {2} s. Check that the server is not stuck, or raise {3}.', entry.model, entry.baseUrl, Math.round(timeoutMs / 1000), `"${SETTING.attemptTimeoutSeconds}"`));
      }
      throw error;
    }
  }
}

/** What happened to each model tried, in order, with repeats folded (`a: HTTP 500 ×3`). */
class Trail {
  private readonly steps: { id: string; what: string; times: number }[] = [];

  add(id: string, what: string): void {
    const last = this.steps.at(-1);
    if (last && last.id === id && last.what === what) last.times++;
    else this.steps.push({ id, what, times: 1 });
  }

  last(): string {
    const step = this.steps.at(-1);
    return step ? `${step.id}: ${step.what}` : '';
  }

  summary(): string {
    return this.steps.map((s) => `${s.id}: ${s.what}${s.times > 1 ? ` ×${s.times}` : ''}`).join('; ');
  }

  describe(choice: string, answeredBy?: string): string {
    if (this.steps.length === 0) return choice;
    return answeredBy ? l10n.t('{0}. Then {1}; answered by {2}', choice, this.summary(), answeredBy) : l10n.t('{0}. Then {1}', choice, this.summary());
  }
}

function describeChoice(needs: CallNeeds, ranked: readonly ModelEntry[], verdict: DifficultyVerdict | undefined, rejected: readonly Rejection[]): string {
  const first = ranked[0]!;
  const [taskClass, tokens] = [needs.taskClass, needs.estimatedInputTokens];
  const call = needs.needsTools
    ? needs.localOnly ? l10n.t('{0} call with tools, ~{1} tokens, local only', taskClass, tokens) : l10n.t('{0} call with tools, ~{1} tokens', taskClass, tokens)
    : needs.localOnly ? l10n.t('{0} call, ~{1} tokens, local only', taskClass, tokens) : l10n.t('{0} call, ~{1} tokens', taskClass, tokens);
  let pick: string;
  if (ranked.length === 1) pick = l10n.t('{0}, the only eligible model', first.id);
  else if (verdict?.difficulty === 'hard') pick = l10n.t('{0}, the strongest (priciest) of {1} eligible for a hard goal ({2})', first.id, ranked.length, verdict.reason);
  else if (verdict) pick = l10n.t('{0}, the cheapest of {1} eligible for an easy goal ({2})', first.id, ranked.length, verdict.reason);
  else pick = l10n.t('{0}, the cheapest of {1} eligible', first.id, ranked.length);
  // Entries without the role are the normal case and would only add noise.
  const notes = rejected.filter((r) => r.rule !== 'role').map((r) => `${r.entry.id} ${r.why}`);
  return notes.length ? l10n.t('{0}: {1}; not eligible: {2}', call, pick, notes.join('; ')) : `${call}: ${pick}`;
}

function noEligibleModel(needs: CallNeeds, rejected: readonly Rejection[], catalogSize: number): Error {
  const models = `"${SETTING.models}"`;
  if (catalogSize === 0) return new ModelError('not_found', l10n.t("No models are configured. Add one to {0} (Ollama's models can be discovered), then try again.", models));
  const relevant = rejected.filter((r) => r.rule !== 'role');
  const reasons = relevant.length ? relevant.map((r) => `${r.entry.id} ${r.why}`).join('; ') : l10n.t('none has the "{0}" role', needs.taskClass);
  if (relevant.length > 0 && relevant.every((r) => r.rule === 'context')) {
    return new ModelError('context_overflow', l10n.t('The conversation (~{0} tokens) is too long for every model with the "{1}" role ({2}). Add a model with a larger context window to {3}, or start a new run with a narrower goal.', needs.estimatedInputTokens, needs.taskClass, reasons, models));
  }
  const noModel = l10n.t('No model in {0} can take this {1} call: {2}.', models, needs.taskClass, reasons);
  const fix = needs.localOnly
    ? l10n.t('Give a suitable model the "{0}" role, mark a local model "local": true, or turn off local-only for this run.', needs.taskClass)
    : l10n.t('Give a suitable model the "{0}" role.', needs.taskClass);
  return new ModelError('not_found', `${noModel} ${fix}`);
}

function shortReason(error: unknown): string {
  if (!(error instanceof ModelError)) return error instanceof Error ? error.message.slice(0, 80) : String(error).slice(0, 80);
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
  const labels: Record<ModelError['kind'], () => string> = {
    unreachable: () => l10n.t('unreachable'),
    auth: () => l10n.t('key rejected'),
    rate_limited: () => l10n.t('rate limited'),
    timeout: () => l10n.t('timed out'),
    not_found: () => l10n.t('model not found'),
    server: () => l10n.t('server error'),
    bad_response: () => l10n.t('unreadable response'),
    torn_stream: () => l10n.t('stream broke off'),
    context_overflow: () => l10n.t('context window exceeded'),
    bad_request: () => l10n.t('request refused'),
  };
  return labels[error.kind]() + status;
}

function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
