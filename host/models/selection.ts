import * as l10n from '@vscode/l10n';
import type { BudgetBreach } from './accounting';
import { callCostUsd, type ModelEntry, type TaskClass } from './catalog';
import type { Difficulty } from './difficulty';

/** What one call needs from a model; the rules hold it against each catalogue entry. */
export interface CallNeeds {
  readonly taskClass: TaskClass;
  readonly needsTools: boolean;
  readonly estimatedInputTokens: number;
  readonly maxOutputTokens: number;
  /** The run's privacy flag: only models marked `local` may see its data. */
  readonly localOnly: boolean;
  /** The budget a call of this worst-case cost would exceed, if any. */
  readonly overBudget: (worstCaseUsd: number) => BudgetBreach | undefined;
}

export interface Rejection {
  readonly entry: ModelEntry;
  readonly rule: 'role' | 'privacy' | 'tools' | 'context' | 'budget';
  /** Said of the model, after its id: "gpt-4o cannot call tools". */
  readonly why: string;
}

/** The most a call could cost on this model: the estimated input plus the whole output allowance. */
export function worstCaseCostUsd(entry: ModelEntry, needs: CallNeeds): number {
  return callCostUsd(entry, needs.estimatedInputTokens, needs.maxOutputTokens);
}

/**
 * The first rule this model breaks for the call, checked in the order privacy, tools, context, budget, so a
 * model rejected for budget passed every other rule (that is what lets the user approve going over).
 */
export function brokenRule(entry: ModelEntry, needs: CallNeeds): Rejection | undefined {
  if (needs.localOnly && !entry.local) return { entry, rule: 'privacy', why: l10n.t('not local, and this run is local-only') };
  if (needs.needsTools && !entry.capabilities.tools) return { entry, rule: 'tools', why: l10n.t('cannot call tools') };
  if (needs.estimatedInputTokens > entry.contextWindow) {
    return { entry, rule: 'context', why: l10n.t("its {0}-token window is smaller than this call's ~{1} tokens", entry.contextWindow, needs.estimatedInputTokens) };
  }
  const worstCase = worstCaseCostUsd(entry, needs);
  const breach = needs.overBudget(worstCase);
  if (breach) return { entry, rule: 'budget', why: l10n.t({ message: 'could cost up to ${0}, over what is left of the {1} budget', args: [worstCase.toFixed(4), breach.scope], comment: ['{1} is "run", "agent" or "day".'] }) };
  return undefined;
}

/** The models that may serve this call: those with its task class among their roles that break no rule. */
export function eligibleModels(catalog: readonly ModelEntry[], needs: CallNeeds): { eligible: ModelEntry[]; rejected: Rejection[] } {
  const eligible: ModelEntry[] = [];
  const rejected: Rejection[] = [];
  for (const entry of catalog) {
    const rejection = entry.roles.includes(needs.taskClass) ? brokenRule(entry, needs) : { entry, rule: 'role' as const, why: l10n.t('has no "{0}" role', needs.taskClass) };
    if (rejection) rejected.push(rejection);
    else eligible.push(entry);
  }
  return { eligible, rejected };
}

/**
 * Best first. For a hard goal the priciest model comes first, price standing in for strength as in
 * RouteLLM's strong/weak pairs; otherwise the cheapest. Equal prices keep the catalogue's order, so among
 * free local models the user's order decides.
 */
export function rankModels(eligible: readonly ModelEntry[], needs: CallNeeds, difficulty: Difficulty | undefined): ModelEntry[] {
  const direction = difficulty === 'hard' ? -1 : 1;
  return [...eligible].sort((a, b) => direction * (worstCaseCostUsd(a, needs) - worstCaseCostUsd(b, needs)));
}

/**
 * The order to try models in: each ranked model, followed by the fallbacks configured for it that break no
 * rule (their roles are not checked: naming them is the user's choice), without repeats.
 */
export function attemptOrder(
  ranked: readonly ModelEntry[],
  catalog: readonly ModelEntry[],
  fallbacks: Readonly<Record<string, readonly string[]>>,
  needs: CallNeeds,
): ModelEntry[] {
  const byId = new Map(catalog.map((entry) => [entry.id, entry]));
  const order = new Map<string, ModelEntry>();
  for (const entry of ranked) {
    order.set(entry.id, entry);
    for (const id of fallbacks[entry.id] ?? []) {
      const fallback = byId.get(id);
      if (fallback && !order.has(id) && !brokenRule(fallback, needs)) order.set(id, fallback);
    }
  }
  return [...order.values()];
}
