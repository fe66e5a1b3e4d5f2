import * as l10n from '@vscode/l10n';
import { formatUsd as usd } from '../../protocol/models';
import { emptyLedger, emptyTotals, LedgerWriter, loadDayLedger, type DayLedger, type Totals } from './ledgerFile';
import { SETTING, type Budgets } from './routerSettings';

export type { Totals } from './ledgerFile';
export type BudgetScope = 'run' | 'agent' | 'day';

/** Who a model call is billed to. */
export interface Spender {
  readonly runId: string;
  readonly agent: string;
}

export interface CallCost {
  readonly modelId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** A budget the next call could push over its limit. */
export interface BudgetBreach {
  readonly scope: BudgetScope;
  readonly limitUsd: number;
  /** Spent so far, including calls still in flight at their worst case. */
  readonly spentUsd: number;
  /** The most the next call could cost: its estimated input plus the maximum output allowance. */
  readonly nextCallUsd: number;
  /** The setting that raises this limit. */
  readonly setting: string;
}

/** What an `escalate` hook is asked: may this run go over this budget? */
export interface BudgetEscalation extends BudgetBreach, Spender {
  readonly modelId: string;
}

/** Thrown before a call that could exceed a budget; the message says which, how much is spent, and what to raise. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(readonly breach: BudgetBreach, who: Spender) {
    super(describeBreach(breach, who));
  }
}

/** A call's worst-case cost, held against the budgets while the call runs so parallel calls cannot overshoot. */
export interface Reservation {
  settle(cost: CallCost): void;
  release(): void;
}

const SETTING_FOR: Record<BudgetScope, string> = { run: SETTING.budgetPerRun, agent: SETTING.budgetPerAgent, day: SETTING.budgetPerDay };

/**
 * Tokens and cost per call, run, agent and day, and the budgets on them. Run totals live in memory; the
 * day's totals (overall, per agent, per model) are saved as JSON in `dir` so a host restart does not reset
 * the daily budgets. Agent budgets are per agent per local calendar day.
 */
export class Accounting {
  private ledger: DayLedger;
  private loading: Promise<void> | undefined;
  private readonly runs = new Map<string, Totals>();
  /** Budgets a run was allowed to go over, by run id. */
  private readonly overruns = new Map<string, Set<BudgetScope>>();
  private readonly reserved = new Set<{ readonly who: Spender; readonly usd: number }>();
  private readonly dir: string | undefined;
  private readonly writer: LedgerWriter | undefined;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private budgets: Budgets;

  constructor(options: { budgets: Budgets; dir?: string; now?: () => number; log?: (message: string) => void }) {
    this.budgets = options.budgets;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.ledger = emptyLedger(localDay(this.now()));
    this.dir = options.dir;
    this.writer = options.dir === undefined ? undefined : new LedgerWriter(options.dir, this.log);
  }

  /** Loads today's ledger from disk; await it before the first call (ModelRouter does). Later calls return at once. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      if (this.dir === undefined) return;
      const day = this.ledger.day;
      const loaded = await loadDayLedger(this.dir, day, this.log);
      if (this.ledger.day === day) this.ledger = loaded;
    })();
    return this.loading;
  }

  setBudgets(budgets: Budgets): void {
    this.budgets = budgets;
  }

  /** The tightest budget a call costing `nextCallUsd` would exceed, or undefined when it fits them all. */
  breach(who: Spender, nextCallUsd: number): BudgetBreach | undefined {
    let tightest: BudgetBreach | undefined;
    for (const limit of this.limits(who)) {
      if (limit.spentUsd + nextCallUsd <= limit.limitUsd) continue;
      if (!tightest || limit.limitUsd - limit.spentUsd < tightest.limitUsd - tightest.spentUsd) tightest = { ...limit, nextCallUsd };
    }
    return tightest;
  }

  /** Holds `usd` against the budgets until the call settles, or reports the budget it would exceed. */
  reserve(who: Spender, usd: number): Reservation | BudgetBreach {
    const breach = this.breach(who, usd);
    if (breach) return breach;
    const hold = { who, usd };
    this.reserved.add(hold);
    return {
      settle: (cost) => {
        this.reserved.delete(hold);
        this.record(who, cost);
      },
      release: () => this.reserved.delete(hold),
    };
  }

  /** Lets this run go over one budget until it ends, after the user approved it. */
  approveOverrun(runId: string, scope: BudgetScope): void {
    const scopes = this.overruns.get(runId) ?? new Set();
    scopes.add(scope);
    this.overruns.set(runId, scopes);
  }

  runTotals(runId: string): Totals {
    return { ...(this.runs.get(runId) ?? emptyTotals()) };
  }

  /** Today's totals: overall, for one agent, or for one model. */
  dayTotals(filter: { agent?: string; modelId?: string } = {}): Totals {
    const ledger = this.today();
    const totals = filter.agent !== undefined ? ledger.byAgent[filter.agent] : filter.modelId !== undefined ? ledger.byModel[filter.modelId] : ledger.total;
    return { ...(totals ?? emptyTotals()) };
  }

  /** Forgets a finished run and returns what it spent. */
  endRun(runId: string): Totals {
    const totals = this.runTotals(runId);
    this.runs.delete(runId);
    this.overruns.delete(runId);
    return totals;
  }

  /** Resolves when the ledger is on disk, e.g. before the host exits. */
  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }

  private record(who: Spender, cost: CallCost): void {
    const ledger = this.today();
    const run = this.runs.get(who.runId) ?? emptyTotals();
    this.runs.set(who.runId, run);
    ledger.byAgent[who.agent] ??= emptyTotals();
    ledger.byModel[cost.modelId] ??= emptyTotals();
    for (const totals of [run, ledger.total, ledger.byAgent[who.agent], ledger.byModel[cost.modelId]]) add(totals, cost);
    this.writer?.save(ledger);
  }

  private limits(who: Spender): Omit<BudgetBreach, 'nextCallUsd'>[] {
    const approved = this.overruns.get(who.runId);
    const inFlight = (match: (hold: Spender) => boolean) =>
      [...this.reserved].reduce((sum, hold) => sum + (match(hold.who) ? hold.usd : 0), 0);
    const scopes: { scope: BudgetScope; limitUsd: number | undefined; spent: () => number }[] = [
      { scope: 'run', limitUsd: this.budgets.perRunUsd, spent: () => this.runTotals(who.runId).costUsd + inFlight((h) => h.runId === who.runId) },
      { scope: 'agent', limitUsd: this.budgets.perAgentUsd, spent: () => this.dayTotals({ agent: who.agent }).costUsd + inFlight((h) => h.agent === who.agent) },
      { scope: 'day', limitUsd: this.budgets.perDayUsd, spent: () => this.dayTotals().costUsd + inFlight(() => true) },
    ];
    return scopes
      .filter((s): s is typeof s & { limitUsd: number } => s.limitUsd !== undefined && !approved?.has(s.scope))
      .map((s) => ({ scope: s.scope, limitUsd: s.limitUsd, spentUsd: s.spent(), setting: SETTING_FOR[s.scope] }));
  }

  /** The ledger for the current day; past midnight a new day starts from zero. */
  private today(): DayLedger {
    const day = localDay(this.now());
    if (this.ledger.day !== day) this.ledger = emptyLedger(day);
    return this.ledger;
  }
}

function add(totals: Totals, cost: CallCost): void {
  totals.calls += 1;
  totals.inputTokens += cost.inputTokens;
  totals.outputTokens += cost.outputTokens;
  totals.costUsd += cost.costUsd;
}

/** `YYYY-MM-DD` in local time: a user's "daily" budget follows their own day. */
function localDay(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function describeBreach(breach: BudgetBreach, who: Spender): string {
  const [spent, limit, next] = [usd(breach.spentUsd), usd(breach.limitUsd), usd(breach.nextCallUsd)];
  const stopped = l10n.t({ message: 'Stopped before going over the {0} budget.', args: [breach.scope], comment: ['{0} is "run", "agent" or "day".'] });
  const spending = {
    run: () => l10n.t('This run has spent {0} of its {1} budget, and the next model call could cost up to {2}.', spent, limit, next),
    agent: () => l10n.t('The agent "{0}" has spent {1} of its {2} daily budget today, and the next model call could cost up to {3}.', who.agent, spent, limit, next),
    day: () => l10n.t('Keel has spent {0} of its {1} daily budget today, and the next model call could cost up to {2}.', spent, limit, next),
  }[breach.scope]();
  return `${stopped} ${spending} ${l10n.t('Raise {0} (or clear it for no limit) to continue.', `"${breach.setting}"`)}`;
}
