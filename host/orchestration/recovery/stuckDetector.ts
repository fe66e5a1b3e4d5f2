import * as l10n from '@vscode/l10n';
import { createHash } from 'node:crypto';
import type { ToolCall } from '../../models';
import type { ToolOutcome } from '../../tools';

/**
 * Why Keel stopped an agent to ask the user; `reason` completes "The agent is stuck: …". It is in the user's language,
 * as the question was: the model reads it with the user's guidance, which answers those words.
 */
export interface Stuck {
  readonly kind: 'loop' | 'failures' | 'no_progress' | 'budget';
  readonly reason: string;
}

/**
 * When an agent counts as stuck. A step makes progress when one of its calls succeeds with a result the agent had not
 * seen for that call before: new information, or a side effect that took. Failed calls and repeats are no progress.
 */
export const STUCK_LIMITS = {
  /** The same call with the same arguments, answered with the same result, this many times. */
  repeats: 3,
  /** Tool calls in a row that failed. */
  failures: 5,
  /** Steps in a row without progress. */
  idleSteps: 8,
} as const;

/**
 * Watches one agent's tool calls for loops, repeated failures and steps that bring nothing new. It sees the calls and
 * results a resumed run replays as well, so a resume reaches the same verdict at the same step.
 */
export class StuckDetector {
  private readonly seen = new Map<string, number>();
  private failedInARow = 0;
  private lastFailure = '';
  private idleSteps = 0;
  private verdict: Stuck | undefined;

  constructor(private readonly limits: { readonly [K in keyof typeof STUCK_LIMITS]: number } = STUCK_LIMITS) {}

  /**
   * A step's calls and their outcomes, in the order the model listed them. A loop is counted across steps: the same
   * call listed several times in one answer counts once.
   */
  afterStep(calls: readonly ToolCall[], outcomes: readonly ToolOutcome[]): void {
    let progress = false;
    const counted = new Set<string>();
    calls.forEach((call, index) => {
      const outcome = outcomes[index]!;
      const key = fingerprint(call, outcome);
      const times = (this.seen.get(key) ?? 0) + (counted.has(key) ? 0 : 1);
      counted.add(key);
      this.seen.set(key, times);
      if (outcome.ok) {
        this.failedInARow = 0;
        if (times === 1) progress = true;
      } else {
        this.failedInARow++;
        this.lastFailure = outcome.content;
      }
      if (times >= this.limits.repeats && !this.verdict) {
        this.verdict = { kind: 'loop', reason: l10n.t({ message: 'it called {0} {1} times with the same arguments and got the same result each time', args: [call.name, times], comment: ['Completes "The agent … is stuck: …" and "… was stopped because …".'] }) };
      }
    });
    this.idleSteps = progress ? 0 : this.idleSteps + 1;
    if (this.verdict) return;
    if (this.failedInARow >= this.limits.failures) {
      this.verdict = { kind: 'failures', reason: l10n.t({ message: 'its last {0} tool calls failed (the last: {1})', args: [this.failedInARow, firstLine(this.lastFailure)], comment: ['Completes "The agent … is stuck: …" and "… was stopped because …".'] }) };
    } else if (this.idleSteps >= this.limits.idleSteps) {
      this.verdict = { kind: 'no_progress', reason: l10n.t({ message: '{0} steps in a row brought nothing new: every call failed or repeated an earlier one', args: [this.idleSteps], comment: ['Completes "The agent … is stuck: …" and "… was stopped because …".'] }) };
    }
  }

  /** Why the agent is stuck, once it is. */
  get stuck(): Stuck | undefined {
    return this.verdict;
  }

  /** The user gave guidance: the agent starts with a clean slate, so a call it repeats once more is not a loop yet. */
  reset(): void {
    this.seen.clear();
    this.failedInARow = 0;
    this.idleSteps = 0;
    this.verdict = undefined;
  }
}

/** A call and its outcome, as one hash: arguments in canonical form, so key order does not hide a repeat. */
function fingerprint(call: ToolCall, outcome: ToolOutcome): string {
  return createHash('sha256').update(JSON.stringify([call.name, canonical(call.arguments), outcome.ok, outcome.content])).digest('base64');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  return value;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
