import * as l10n from '@vscode/l10n';
import type { AskUserAnswer } from '../../../protocol/rpc';
import type { ConsentPort } from '../../governance/consent';
import { redacted, redactSecrets } from '../../observability/redaction';
import type { AttemptLog, ToolOutcome } from '../../tools';
import { locateEdit } from '../../tools/proposeEdit';
import { applyEditToText } from '../../workspace/textRange';
import { sha256, type FileBackups } from './fileBackups';
import type { JournalFile } from './journalFile';
import type { JournalRecord, StepEffect } from './journalRecords';
import type { PlannedCall, StepRecorder, StepResponse } from './stepRecorder';

type Recorded<T extends JournalRecord['type']> = Extract<JournalRecord, { type: T }>;

/** A call whose intent was recorded but whose result was not, with the questions asked for it since. */
interface PendingCall {
  readonly intent: Recorded<'intent'>;
  readonly approvals: Recorded<'approval'>[];
}

/** The scope of a fallback agent's records, beside the `step:index` scopes of subagents. */
const FALLBACK_KEY = 'fallback';

/** What a run's journal says happened, by step and by call, for the run's own agent or the subagent at `scope`. */
export class Replay {
  readonly responses = new Map<number, Recorded<'model'>>();
  readonly results = new Map<string, Recorded<'result'>>();
  readonly pending = new Map<string, PendingCall>();
  readonly escalations = new Map<number, Recorded<'escalation'>>();
  /** The steering messages the run's agent read after each step. */
  readonly steered = new Map<number, string[]>();
  /** Steering messages sent since the run last started or continued that its agent has not read yet. */
  readonly unread: string[] = [];
  /** The last failed attempt of each call, by `step:index`. */
  readonly attempts = new Map<string, number>();

  constructor(readonly records: readonly JournalRecord[], readonly scope?: string) {
    for (const record of records) {
      this.steering(record);
      if ((record as { scope?: string }).scope !== scope || record.type === 'subagent') continue;
      if (record.type === 'model') this.responses.set(record.step, record);
      if (record.type === 'escalation') this.escalations.set(record.step, record);
      if (record.type === 'retry') this.attempts.set(callKey(record), record.attempt);
      if (record.type === 'intent') this.pending.set(callKey(record), { intent: record, approvals: [] });
      if (record.type === 'approval') this.pending.get(callKey(record))?.approvals.push(record);
      if (record.type === 'result') {
        this.results.set(callKey(record), record);
        this.pending.delete(callKey(record));
      }
    }
  }

  private steering(record: JournalRecord): void {
    if (record.type === 'steer') this.unread.push(record.text);
    // Messages left unread when a run ended are not read by its continuation, whose follow-up came after them.
    if (record.type === 'continue') this.unread.length = 0;
    if (record.type !== 'steered') return;
    // Read by this agent, or by the other one of the run (its fallback's, or the agent a fallback took over from).
    const read = this.unread.splice(0, record.count);
    if (record.scope === this.scope) this.steered.set(record.step, read);
  }
}

/**
 * One run's journal: every model response, side-effect intent (synced before the call starts), question, answer and
 * result, in order. Resuming a run, it answers what the record holds instead of asking the model or running a tool
 * again, and settles calls that were in flight when the host stopped (`settle`).
 */
export class RunJournal implements StepRecorder {
  /**
   * The call being made, so the questions asked during it are recorded against it. One at a time: the calls that run
   * beside it are `delegate` calls, whose subagents ask through journals of their own.
   */
  private current: { step: number; index: number; scope?: string } | undefined;
  private replayed = 0;

  /**
   * `scope` is set for a subagent's journal: its records are written into the run's file marked with it. `backups`
   * keeps the files edits change, as they were before, for undoing the run.
   */
  constructor(private readonly file: JournalFile, private readonly replay?: Replay, private readonly scope?: string, private readonly backups?: FileBackups) {}

  subagent(at: { step: number; index: number }, agent: string, goal: string): RunJournal {
    return this.under(callKey(at), agent, goal);
  }

  fallback(agent: string, goal: string): RunJournal {
    return this.under(FALLBACK_KEY, agent, goal);
  }

  get fallbackStarted(): { agent: string; goal: string } | undefined {
    const scope = this.scope ? `${this.scope}/${FALLBACK_KEY}` : FALLBACK_KEY;
    const started = this.replay?.records.find((r): r is Recorded<'subagent'> => r.type === 'subagent' && r.scope === scope);
    return started && { agent: started.agent, goal: started.goal };
  }

  /** The journal of an agent that a workflow's call `key` started, or a subagent's under its own scope. */
  under(key: string, agent: string, goal: string): RunJournal {
    const scope = this.scope ? `${this.scope}/${key}` : key;
    if (!this.replay?.records.some((r) => r.type === 'subagent' && r.scope === scope)) this.append({ type: 'subagent', scope, agent, goal });
    return new RunJournal(this.file, this.replay && new Replay(this.replay.records, scope), scope, this.backups);
  }

  /** What a resumed run's journal held when it was reopened; none for a new run. */
  get recorded(): readonly JournalRecord[] {
    return this.replay?.records ?? [];
  }

  get replayedSteps(): number {
    return this.replayed;
  }

  async response(step: number, ask: () => Promise<StepResponse>): Promise<StepResponse> {
    const recorded = this.replay?.responses.get(step);
    if (recorded) {
      this.replayed++;
      return recorded;
    }
    const response = await ask();
    const { content, toolCalls, usage, costUsd, modelId } = response;
    // Written with the step's next record: lost only with a crash before any of its calls has a recorded intent,
    // result or question, in which case the resumed run asks the model again and nothing with an effect is repeated.
    this.append({ type: 'model', step, ...this.scoped(), content, toolCalls: [...toolCalls], usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }, costUsd, modelId, time: isoNow() }, { withNext: true });
    return response;
  }

  /**
   * The steering messages the agent reads after `step`: as recorded, none when the run went on past it without any, or
   * those `take` hands over, recorded as read (their text was recorded when they arrived).
   */
  steering(step: number, take: () => string[]): string[] {
    const recorded = this.replay?.steered.get(step);
    if (recorded) return recorded;
    if (this.replay?.responses.has(step + 1)) return [];
    const messages = take();
    if (messages.length > 0) this.append({ type: 'steered', step, ...this.scoped(), count: messages.length });
    return messages;
  }

  async toolCall(planned: PlannedCall, run: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
    const at = { step: planned.step, index: planned.index, ...this.scoped() };
    const recorded = this.replay?.results.get(callKey(at));
    if (recorded) return { ok: recorded.ok, content: recorded.content };
    const pending = this.replay?.pending.get(callKey(at));
    const settled = pending && (await settle(pending, planned));
    // A read has no intent to record (and no await for one: this runs on every step of every run).
    const effect = settled ? pending.intent.effect : planned.risk === undefined || planned.risk === 'read' ? undefined : await this.intend(planned);
    const outcome = settled ?? (planned.delegated ? await run() : await this.during(at, run));
    // Whether the file now holds what the call meant to write: what an undo of the run reverts.
    const changed = outcome.ok && effect && effect.kind !== 'other' ? (await planned.workspace.readFile(effect.path).then(sha256, () => undefined)) === effect.after : undefined;
    // A read's result goes out with the next record, as the model's answer does: a write a step saved, and a crash
    // before it costs a read done again (and the model asked again), never an effect repeated.
    this.append({ type: 'result', ...at, ok: outcome.ok, content: outcome.content, ...(changed === undefined ? {} : { changed }), time: isoNow() }, { withNext: planned.repeatable === true && effect === undefined });
    return outcome;
  }

  attempts(step: number, index: number): AttemptLog {
    const at = { step, index, ...this.scoped() };
    return {
      before: this.replay?.attempts.get(callKey(at)) ?? 0,
      failed: (attempt, error) => this.append({ type: 'retry', ...at, attempt, error }),
    };
  }

  async escalation(step: number, reason: string, ask: () => Promise<AskUserAnswer>): Promise<AskUserAnswer> {
    const recorded = this.replay?.escalations.get(step);
    if (recorded) return recorded.action === 'answer' ? { action: 'answer', text: recorded.text ?? '' } : { action: recorded.action };
    const answer = await ask();
    this.append({ type: 'escalation', step, ...this.scoped(), reason, action: answer.action, ...(answer.action === 'answer' ? { text: answer.text } : {}) });
    await this.file.sync();
    return answer;
  }

  consent(port: ConsentPort): ConsentPort {
    return {
      reviewEdit: (review, signal) => this.asked(`edit ${review.edit.path}`, () => port.reviewEdit(review, signal), (answer) => answer.decision),
      reviewToolCall: (review, signal) => this.asked(review.tool, () => port.reviewToolCall(review, signal), (answer) => answer.decision),
      approveBudget: (escalation, signal) => port.approveBudget(escalation, signal),
      elicit: (request, signal) => port.elicit(request, signal),
      confirmRepeat: (question, signal) => port.confirmRepeat(question, signal),
      // Answers reach the journal as the result of the ask_user call, or as an escalation record.
      askUser: (question, signal) => port.askUser(question, signal),
    };
  }

  /** The run ended; a journal with an end is never resumed. */
  end(outcome: string, message: string): void {
    this.append({ type: 'end', outcome, message, time: new Date().toISOString() });
    this.file.close();
  }

  /** The host is stopping with the run unfinished; the journal stays open for a resume. */
  close(): void {
    this.file.close();
  }

  private scoped(): { scope?: string } {
    return this.scope ? { scope: this.scope } : {};
  }

  append(record: JournalRecord, options?: { withNext?: boolean }): void {
    this.file.append(cleaned(record), options);
  }

  /** Records what a side-effecting call is about to do, on the disk before it starts; undefined when it cannot tell. */
  private async intend(planned: PlannedCall): Promise<StepEffect | undefined> {
    const effect = await expectedEffect(planned, this.backups);
    if (!effect) return undefined;
    this.append({ type: 'intent', step: planned.step, index: planned.index, ...this.scoped(), tool: planned.call.name, effect });
    // On the disk, not only in the kernel, before the side effect can start.
    await this.file.sync();
    return effect;
  }

  /** Runs the call with its questions recorded against it (`asked`). */
  private during(at: { step: number; index: number; scope?: string }, run: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
    this.current = at;
    return run().finally(() => (this.current = undefined));
  }

  /** Records a question before it is asked and its answer before it takes effect. */
  private async asked<A>(subject: string, ask: () => Promise<A>, decision: (answer: A) => string): Promise<A> {
    const at = this.current;
    if (!at) return ask();
    this.append({ type: 'approval', ...at, subject, state: 'asked' });
    const answer = await ask();
    this.append({ type: 'approval', ...at, subject, state: 'decided', decision: decision(answer) });
    await this.file.sync();
    return answer;
  }
}

/**
 * What to do about a call that was in flight when the host stopped, or undefined to make it again:
 * - an edit or a new file is judged by the file's content: done (the result says so), not done (made again, which
 *   asks the user again), or changed since (the agent is told to look again);
 * - anything else is made again if its approval was still open or was denied (nothing ran), and otherwise put to the
 *   user: run it again, skip it, or stop the run.
 */
async function settle(pending: PendingCall, planned: PlannedCall): Promise<ToolOutcome | undefined> {
  const { effect } = pending.intent;
  if (effect.kind === 'edit' || effect.kind === 'create') {
    const now = await planned.workspace.readFile(effect.path).then(sha256, () => undefined);
    if (now === effect.after) return { ok: true, content: effect.kind === 'edit' ? `The edit to ${effect.path} was approved and is applied.` : `Created ${effect.path}.` };
    if (now === undefined || effect.kind === 'create' || now === effect.before) return undefined;
    return { ok: false, content: `${effect.path} changed while Keel was stopped, so this edit was not applied. Read the file again before proposing a change.` };
  }
  const last = pending.approvals.at(-1);
  if (last && (last.state === 'asked' || last.decision === 'denied')) return undefined;
  const choice = await planned.confirmRepeat();
  if (choice === 'run') return undefined;
  if (choice === 'skip') return { ok: false, content: `${planned.call.name} may have run before Keel stopped, and the user chose not to run it again. Check its effect before relying on it.` };
  throw new Error(l10n.t('The run stopped on resuming it: {0} may have run before Keel stopped, and it is not run again or skipped without someone saying so.', planned.call.name));
}

/**
 * What a side-effecting call will have done to the workspace once it ran, or undefined when it cannot run at all. An
 * edit's file is kept as it is now in `backups`, for an undo; without that copy an undo of the file is refused.
 */
async function expectedEffect(planned: PlannedCall, backups: FileBackups | undefined): Promise<StepEffect | undefined> {
  const { name, arguments: args } = planned.call;
  const fields = (args ?? {}) as Record<string, unknown>;
  if (name === 'create_file') {
    return typeof fields.path === 'string' && typeof fields.content === 'string' ? { kind: 'create', path: fields.path, after: sha256(fields.content) } : undefined;
  }
  if (name === 'propose_edit') {
    const { path, old_text: oldText, new_text: newText } = fields;
    if (typeof path !== 'string' || typeof oldText !== 'string' || typeof newText !== 'string') return undefined;
    let effect: StepEffect;
    let text: string;
    try {
      text = await planned.workspace.readFile(path);
      effect = { kind: 'edit', path, before: sha256(text), after: sha256(applyEditToText(text, locateEdit(path, text, oldText, newText))) };
    } catch {
      // The tool reads the same file and fails the same way, so the call has no effect to record.
      return undefined;
    }
    await backups?.save(text).catch(() => undefined);
    return effect;
  }
  return { kind: 'other' };
}

function callKey(at: { step: number; index: number }): string {
  return `${at.step}:${at.index}`;
}

/** The longest string a record keeps; tool results are cut far below this already. */
const MAX_STRING_CHARS = 1_000_000;

/**
 * Ids and content hashes, which a resume compares as written, and the record's own names and states: redaction must
 * never touch the first, and need not scan the second (about 2 µs a string, a third of a step's journal cost).
 */
const VERBATIM: ReadonlySet<string> = new Set(['runId', 'traceId', 'effect', 'type', 'id', 'name', 'modelId', 'tool', 'scope', 'state', 'decision', 'outcome', 'time', 'sha256', 'key', 'call']);

/**
 * The record as it is stored: every other string redacted and cut, however deep in the model's arguments. Most
 * records hold no secret and nothing too long: they are stored as they are, without a copy (it is encoded at once).
 */
function cleaned(record: JournalRecord): object {
  return needsCleaning(record) ? (cleanedCopy(record) as object) : record;
}

function needsCleaning(value: unknown): boolean {
  if (typeof value === 'string') return value.length > MAX_STRING_CHARS || redactSecrets(value).redactions > 0;
  if (Array.isArray(value)) return value.some(needsCleaning);
  if (value && typeof value === 'object') {
    // Records and the model's arguments are plain JSON objects: their own keys are all there is to look at.
    for (const key in value) if (!VERBATIM.has(key) && needsCleaning((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

let isoAt = 0;
let iso = '';

/** The time as an ISO string; records in the same millisecond share one. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

function cleanedCopy(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = redacted(value);
    return text.length <= MAX_STRING_CHARS ? text : `${text.slice(0, MAX_STRING_CHARS)}\n[${text.length - MAX_STRING_CHARS} more characters were cut]`;
  }
  if (Array.isArray(value)) return value.map(cleanedCopy);
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = VERBATIM.has(key) ? field : cleanedCopy(field);
    return copy;
  }
  return value;
}
