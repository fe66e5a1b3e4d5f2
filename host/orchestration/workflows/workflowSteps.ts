import { createHash } from 'node:crypto';
import type { JournalRecord } from '../durable/journalRecords';
import type { RunJournal } from '../durable/runJournal';

/** What the script gets for an `agent()` or `ask()` call; its guest API unwraps it. */
export interface StepReply {
  readonly ok: boolean;
  readonly value?: string;
  readonly error?: string;
  /** The time the answer arrived, which the script's clock moves to; 0 leaves the clock where it is. */
  readonly at: number;
  readonly costUsd: number;
}

type Step = Extract<JournalRecord, { type: 'workflow_step' }>;

/**
 * A workflow's answered calls, by key. A call's key is the hash of what it asked plus how many identical calls came
 * before it, so a resumed script finds each finished call's answer whatever order its parallel calls start in, and a
 * call the script now makes differently is run, never answered with another call's result.
 */
export class WorkflowSteps {
  private readonly answered = new Map<string, Step>();
  private readonly seen = new Map<string, number>();
  agentCalls = 0;
  replayed = 0;

  constructor(private readonly journal: RunJournal | undefined) {
    for (const record of journal?.recorded ?? []) if (record.type === 'workflow_step') this.answered.set(record.key, record);
  }

  key(call: Step['call'], args: readonly string[]): string {
    if (call === 'agent') this.agentCalls++;
    const hash = createHash('sha256').update(JSON.stringify([call, ...args])).digest('hex').slice(0, 24);
    const occurrence = this.seen.get(hash) ?? 0;
    this.seen.set(hash, occurrence + 1);
    return `${hash}#${occurrence}`;
  }

  recorded(key: string): StepReply | undefined {
    const step = this.answered.get(key);
    if (!step) return undefined;
    this.replayed++;
    return reply(step);
  }

  /** Journals an answer before the script sees it. */
  record(key: string, call: Step['call'], ok: boolean, value: string, costUsd: number): StepReply {
    const step: Step = { type: 'workflow_step', key, call, ok, value, at: Date.now(), costUsd };
    this.journal?.append(step);
    return reply(step);
  }
}

function reply(step: Step): StepReply {
  return step.ok ? { ok: true, value: step.value, at: step.at, costUsd: step.costUsd } : { ok: false, error: step.value, at: step.at, costUsd: step.costUsd };
}
