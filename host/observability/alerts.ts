/**
 * Alert rules evaluated in the host against the metrics: on a timer and soon after each span that ends. Each alert
 * fires once per episode: when its condition starts to hold; it clears when the condition ends, and only then can it
 * fire again. Every fire and clear is reported (to the extension) and recorded (to the audit log, by the assembly).
 */
import * as l10n from '@vscode/l10n';
import type { AlertsChanged } from '../../protocol/rpc';
import type { ActiveAlert, AlertRules, MetricsWindow } from '../../protocol/metrics';
import { WINDOW_MS, type RunMetrics } from './metrics';

/** How often the rules are checked without any span ending: a run gets stuck without a span telling. */
const EVALUATE_EVERY_MS = 30_000;
/** After a span ends, the check waits this long, so a burst of spans costs one. */
const SETTLE_MS = 1_000;
/** A p95 over fewer calls than this is one slow call, not a trend. */
export const MIN_P95_SAMPLES = 5;

export const NO_ALERT_RULES: AlertRules = { errorRate: null, costPerDayUsd: null, stuckRunMinutes: null, p95Latency: null, deadLetters: false };

export interface AlertDeps {
  readonly metrics: RunMetrics;
  /** An alert fired or cleared. */
  readonly changed: (change: AlertsChanged) => void;
  /** Each fire and clear, for the record; a failure to record is the recorder's to report. */
  readonly record: (state: 'fired' | 'cleared', alert: ActiveAlert) => void;
  /** Messages in the dead-letter queue. */
  readonly deadLetters: () => number;
  readonly now?: () => number;
}

/** One condition that holds now: the alert it would raise, without its start time. */
type Condition = Omit<ActiveAlert, 'since'>;

export class AlertMonitor {
  private rules: AlertRules = NO_ALERT_RULES;
  private readonly active = new Map<string, ActiveAlert>();
  private timer: NodeJS.Timeout | undefined;
  private settling: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AlertDeps) {}

  /** Takes new rules, starts checking (reading the metrics' history first) and answers the alerts active under them. */
  async setRules(rules: AlertRules): Promise<ActiveAlert[]> {
    this.rules = rules;
    this.timer ??= setInterval(() => this.evaluate(), EVALUATE_EVERY_MS).unref();
    await this.deps.metrics.loadHistory();
    this.evaluate();
    return this.list();
  }

  /** Something the rules read changed (a span ended, the dead-letter queue moved): check soon. */
  checkSoon(): void {
    if (!this.timer) return;
    this.settling ??= setTimeout(() => {
      this.settling = undefined;
      this.evaluate();
    }, SETTLE_MS).unref();
  }

  list(): ActiveAlert[] {
    return [...this.active.values()];
  }

  /** Checks every rule now; fires the conditions that started holding and clears those that stopped. */
  evaluate(): void {
    const now = this.deps.now?.() ?? Date.now();
    const holding = new Map(this.conditions(now).map((condition) => [condition.id, condition]));
    const fired: ActiveAlert[] = [];
    const cleared: ActiveAlert[] = [];
    for (const [id, alert] of this.active) {
      if (holding.has(id)) continue;
      this.active.delete(id);
      cleared.push(alert);
    }
    for (const [id, condition] of holding) {
      if (this.active.has(id)) continue;
      const alert = { ...condition, since: now };
      this.active.set(id, alert);
      fired.push(alert);
    }
    if (fired.length === 0 && cleared.length === 0) return;
    for (const alert of cleared) this.deps.record('cleared', alert);
    for (const alert of fired) this.deps.record('fired', alert);
    this.deps.changed({ fired, cleared, active: this.list() });
  }

  dispose(): void {
    clearInterval(this.timer);
    clearTimeout(this.settling);
    this.timer = undefined;
  }

  private conditions(now: number): Condition[] {
    const { metrics } = this.deps;
    const { errorRate, costPerDayUsd, stuckRunMinutes, p95Latency, deadLetters } = this.rules;
    const out: Condition[] = [];
    if (errorRate) {
      const { finished, failed } = metrics.taskOutcomes(now - WINDOW_MS[errorRate.window], now + 1);
      if (finished >= errorRate.minRuns && failed / finished > errorRate.threshold) {
        out.push({ id: 'errorRate', rule: 'errorRate', message: ERROR_RATE_MESSAGES[errorRate.window](percent(failed / finished), failed, finished, percent(errorRate.threshold)) });
      }
    }
    if (costPerDayUsd !== null) {
      const spent = metrics.costUsd(localMidnight(now), now + 1);
      if (spent > costPerDayUsd) out.push({ id: 'costPerDay', rule: 'costPerDay', message: l10n.t('Models cost {0} today, over the {1} alert bound.', usd(spent), usd(costPerDayUsd)) });
    }
    if (stuckRunMinutes !== null) {
      for (const run of metrics.runningRuns()) {
        const minutes = (now - run.startTime) / 60_000;
        if (minutes <= stuckRunMinutes) continue;
        const goal = run.goal && (run.goal.length > 60 ? `${run.goal.slice(0, 60)}…` : run.goal);
        const message = goal
          ? l10n.t('Run {0} ("{1}") has been going for {2} minutes, longer than the {3}-minute alert limit.', run.runId, goal, Math.floor(minutes), stuckRunMinutes)
          : l10n.t('Run {0} has been going for {1} minutes, longer than the {2}-minute alert limit.', run.runId, Math.floor(minutes), stuckRunMinutes);
        out.push({ id: `stuckRun:${run.runId}`, rule: 'stuckRun', runId: run.runId, traceId: run.traceId, message });
      }
    }
    if (p95Latency) {
      const { count, p95Ms } = metrics.latency(p95Latency.of, now - WINDOW_MS[p95Latency.window], now + 1);
      if (count >= MIN_P95_SAMPLES && p95Ms !== null && p95Ms > p95Latency.seconds * 1000) {
        out.push({ id: 'p95Latency', rule: 'p95Latency', message: P95_MESSAGES[p95Latency.of][p95Latency.window](seconds(p95Ms), p95Latency.seconds) });
      }
    }
    if (deadLetters) {
      const count = this.deps.deadLetters();
      if (count > 0) out.push({ id: 'deadLetters', rule: 'deadLetters', message: count === 1 ? l10n.t('1 failed task waits in the dead-letter queue (Keel: Show Failed Tasks).') : l10n.t('{0} failed tasks wait in the dead-letter queue (Keel: Show Failed Tasks).', count) });
    }
    return out;
  }
}

// Whole sentences for each window and operation, so that a translation never has to fit a phrase into another.
type ErrorRateMessage = (rate: string, failed: number, finished: number, threshold: string) => string;
const ERROR_RATE_MESSAGES: Readonly<Record<MetricsWindow, ErrorRateMessage>> = {
  '1h': (...args) => l10n.t('{0} of the runs that finished in the last hour failed ({1} of {2}), above the {3} alert threshold.', ...args),
  '24h': (...args) => l10n.t('{0} of the runs that finished in the last 24 hours failed ({1} of {2}), above the {3} alert threshold.', ...args),
  '7d': (...args) => l10n.t('{0} of the runs that finished in the last 7 days failed ({1} of {2}), above the {3} alert threshold.', ...args),
};

type P95Message = (p95: string, boundSeconds: number) => string;
const P95_MESSAGES: Readonly<Record<NonNullable<AlertRules['p95Latency']>['of'], Readonly<Record<MetricsWindow, P95Message>>>> = {
  run: {
    '1h': (...args) => l10n.t('The p95 latency of runs over the last hour is {0}, above the {1} s alert bound.', ...args),
    '24h': (...args) => l10n.t('The p95 latency of runs over the last 24 hours is {0}, above the {1} s alert bound.', ...args),
    '7d': (...args) => l10n.t('The p95 latency of runs over the last 7 days is {0}, above the {1} s alert bound.', ...args),
  },
  modelCall: {
    '1h': (...args) => l10n.t('The p95 latency of model calls over the last hour is {0}, above the {1} s alert bound.', ...args),
    '24h': (...args) => l10n.t('The p95 latency of model calls over the last 24 hours is {0}, above the {1} s alert bound.', ...args),
    '7d': (...args) => l10n.t('The p95 latency of model calls over the last 7 days is {0}, above the {1} s alert bound.', ...args),
  },
  toolCall: {
    '1h': (...args) => l10n.t('The p95 latency of tool calls over the last hour is {0}, above the {1} s alert bound.', ...args),
    '24h': (...args) => l10n.t('The p95 latency of tool calls over the last 24 hours is {0}, above the {1} s alert bound.', ...args),
    '7d': (...args) => l10n.t('The p95 latency of tool calls over the last 7 days is {0}, above the {1} s alert bound.', ...args),
  },
};

function localMidnight(now: number): number {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;
const usd = (amount: number) => `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
