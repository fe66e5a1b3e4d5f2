import * as l10n from '@vscode/l10n';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartRunRequest, type StartRunParams, type UnfinishedRun } from '../../../protocol/rpc';
import { checkParams } from '../../../protocol/params';
import type { ChatMessage } from '../../models';
import { FileBackups } from './fileBackups';
import { JournalFile, readJournal } from './journalFile';
import { journalRecord, type JournalRecord, type WorkflowStart } from './journalRecords';
import { Replay, RunJournal } from './runJournal';
import { agentOf, continuationOf, endOf, fileChangesOf, lastIndexOf } from './runRecords';

/** A run read back from its journal, ready to resume, or the reason it cannot be. */
export type LoadedRun =
  | {
      readonly ok: true; readonly runId: string; readonly goal: string; readonly request: StartRunParams; readonly traceId: string; readonly startedAt: string; readonly replay: Replay; readonly goodBytes: number; readonly note?: string; readonly workflow?: WorkflowStart;
      /** Set when the run's last part is a continuation: the conversation before it and the step it starts at. */
      readonly continued?: { readonly history: ChatMessage[]; readonly firstStep: number };
    }
  | { readonly ok: false; readonly runId: string; readonly goal: string; readonly problem: string };

/** What the Runs list shows of a journal. */
export interface RunSummary {
  readonly runId: string;
  readonly goal: string;
  readonly agent: string;
  readonly kind: 'agent' | 'workflow';
  readonly startedAt: string;
  /** Set once the run's last part ended: how, when, and its answer or error. */
  readonly end?: { readonly outcome: string; readonly message: string; readonly at: string };
  /** Model responses, the subagents' included. */
  readonly steps: number;
  /** The files an undo would restore: how many, and the paths of the first 50. */
  readonly filesChanged: number;
  readonly changedFiles: readonly string[];
  readonly traceId?: string;
  /** Why the journal cannot be read or resumed. */
  readonly problem?: string;
}

const JOURNAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;
const FINISHED = 'finished';
const BACKUPS = 'backups';
/**
 * Ended runs' journals kept for the Runs list, continuing, undoing and retrying: the newest 100, none older than 30
 * days. Older ones are deleted with the file copies their undo needed.
 */
const KEEP_FINISHED = 100;
const KEEP_FINISHED_MS = 30 * 24 * 60 * 60_000;

/**
 * Run journals in one folder (the host keeps one per workspace folder): `<runId>.jsonl` while a run has not ended,
 * moved to `finished/` once it has (and back while it is continued). A journal left without an end is a run a host
 * stopped in the middle of, which can be resumed. `<runId>.owner` holds the pid of the host running it, so a second
 * window on the same workspace neither lists nor resumes a run another host is running. `backups/<runId>/` holds the
 * files the run edited as they were before, for undoing it.
 */
export class RunStore {
  /** Ended journals' summaries, by run, while the file is unchanged: the Runs list is asked for after every change. */
  private readonly summaries = new Map<string, { readonly key: string; readonly summary: RunSummary }>();

  /** Runs another live process held when they were last listed or offered: watched until it lets go of them. */
  private readonly elsewhere = new Set<string>();

  constructor(private readonly dir: string) {}

  /** Opens a new run's journal with its start record, synced: the run exists on disk before its first step. */
  async create(start: { runId: string; goal: string; request: StartRunParams; traceId: string; workflow?: WorkflowStart }): Promise<RunJournal> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = JournalFile.open(this.path(start.runId));
    await this.own(start.runId);
    const journal = new RunJournal(file, undefined, undefined, this.backups(start.runId));
    const kind = start.workflow ? { kind: 'workflow' as const, workflow: start.workflow } : {};
    journal.append({ type: 'start', runId: start.runId, goal: start.goal, request: withoutKeys(start.request), traceId: start.traceId, time: new Date().toISOString(), ...kind });
    await file.sync();
    return journal;
  }

  /** The runs on disk that did not end, except `running`; journals that did end are moved out of the way. */
  async unfinished(running: ReadonlySet<string>): Promise<UnfinishedRun[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const runs: UnfinishedRun[] = [];
    for (const name of names) {
      const runId = JOURNAL.exec(name)?.[1];
      if (!runId || running.has(runId) || (await this.heldElsewhere(runId))) continue;
      const loaded = await this.load(runId);
      if (loaded === 'missing') continue;
      if (loaded === 'ended') {
        await this.retire(runId);
        continue;
      }
      const startedAt = loaded.ok ? loaded.startedAt : (await stat(this.path(runId)).catch(() => undefined))?.mtime.toISOString() ?? '';
      runs.push({ runId, goal: loaded.goal, startedAt, steps: loaded.ok ? loaded.replay.responses.size : 0, ...(loaded.ok ? {} : { problem: loaded.problem }) });
    }
    return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /**
   * Reads a run's journal back: 'missing' when there is none, 'ended' when it has an end record, `ok: false` with the
   * reason when it cannot be resumed.
   */
  async load(runId: string): Promise<LoadedRun | 'ended' | 'missing'> {
    const contents = await readJournal(this.path(runId)).catch((error: NodeJS.ErrnoException) => error);
    if (contents instanceof Error) return contents.code === 'ENOENT' ? 'missing' : { ok: false, runId, goal: '', problem: contents.message };
    const records: JournalRecord[] = [];
    for (const [index, raw] of contents.records.entries()) {
      const parsed = journalRecord.safeParse(raw);
      if (!parsed.success) return { ok: false, runId, goal: goalOf(records), problem: l10n.t('record {0} of {1} is not a record Keel writes; the run cannot be resumed', index + 1, this.path(runId)) };
      records.push(parsed.data);
    }
    if (endOf(records)) return 'ended';
    const goal = goalOf(records);
    if (contents.corrupt) return { ok: false, runId, goal, problem: l10n.t({ message: '{0}; the run cannot be resumed', args: [contents.corrupt], comment: ['{0} says which journal record is damaged and how.'] }) };
    const start = records[0];
    if (start?.type !== 'start' || start.runId !== runId) return { ok: false, runId, goal, problem: l10n.t('{0} does not begin with the run\'s start record; the run cannot be resumed', this.path(runId)) };
    const request = checkParams(StartRunRequest.params, start.request, StartRunRequest.type.method);
    if (!request.ok) return { ok: false, runId, goal, problem: l10n.t('the run request in {0} is not valid ({1}); the run cannot be resumed', this.path(runId), request.message) };
    const continued = continuationOf(records);
    return {
      ok: true, runId, goal, request: request.params, traceId: start.traceId, startedAt: start.time, replay: new Replay(records), goodBytes: contents.goodBytes,
      ...(contents.tornTail ? { note: contents.tornTail } : {}), ...(continued ? { continued } : {}), ...(start.workflow ? { workflow: start.workflow } : {}),
    };
  }

  /**
   * Reopens an ended run's journal for a continuation: moved back beside the unfinished ones with the follow-up
   * appended and synced, so a crash from here on leaves a run that resumes as the continuation. Throws, saying why,
   * for a run that has no ended journal here.
   */
  async continueEnded(runId: string, text: string): Promise<Extract<LoadedRun, { ok: true }>> {
    const ended = join(this.dir, FINISHED, `${runId}.jsonl`);
    const records = await this.endedRecords(runId);
    if (!records || !endOf(records)) {
      throw new Error((await this.load(runId)) === 'missing'
        ? l10n.t('Run {0} has no ended journal to continue; it may have been pruned (Keel keeps the last {1} ended runs, for 30 days).', runId, KEEP_FINISHED)
        : l10n.t('Run {0} has no ended journal to continue (it has not ended).', runId));
    }
    const start = records[0];
    if (start?.type === 'start' && start.kind === 'workflow') throw new Error(l10n.t('Run {0} is a workflow run, which its script directs; run the workflow again instead of continuing it.', runId));
    await this.own(runId);
    await rename(ended, this.path(runId));
    const file = JournalFile.open(this.path(runId));
    try {
      file.append({ type: 'continue', text, time: new Date().toISOString() });
      await file.sync();
    } finally {
      file.close();
    }
    const loaded = await this.load(runId);
    if (loaded === 'ended') throw new Error(l10n.t('Run {0} could not be continued: its journal says it has ended.', runId));
    if (loaded === 'missing') throw new Error(l10n.t('Run {0} could not be continued: its journal is gone.', runId));
    if (!loaded.ok) throw new Error(l10n.t('Run {0} could not be continued: {1}.', runId, loaded.problem));
    return loaded;
  }

  /** Appends to a continued run's journal, reopened by `continueEnded`. */
  openContinued(loaded: Extract<LoadedRun, { ok: true }>): RunJournal {
    return new RunJournal(JournalFile.open(this.path(loaded.runId), loaded.goodBytes), loaded.replay, undefined, this.backups(loaded.runId));
  }

  /** A run's records, ended or not, for its transcript; undefined when there is no journal or it cannot be read. */
  async records(runId: string): Promise<JournalRecord[] | undefined> {
    const active = await this.readRecords(this.path(runId));
    if (active === 'missing') return this.endedRecords(runId);
    return Array.isArray(active) ? active : undefined;
  }

  /** Appends an undo to an ended run's journal: its file changes until now were reverted. */
  async undone(runId: string, files: readonly string[]): Promise<void> {
    const file = JournalFile.open(join(this.dir, FINISHED, `${this.checked(runId)}.jsonl`));
    try {
      file.append({ type: 'undone', files, time: new Date().toISOString() });
      await file.sync();
    } finally {
      file.close();
    }
  }

  /** The copies of the files the run edited, as they were before. */
  backups(runId: string): FileBackups {
    return new FileBackups(join(this.dir, BACKUPS, this.checked(runId)));
  }

  /**
   * Every run the folder holds: unfinished ones (with the reason one cannot be resumed) and those kept after they
   * ended. Another window's running ones are left out.
   */
  async list(): Promise<RunSummary[]> {
    const [active, ended] = await Promise.all([readdir(this.dir).catch(() => [] as string[]), readdir(join(this.dir, FINISHED)).catch(() => [] as string[])]);
    const runs: RunSummary[] = [];
    for (const name of active) {
      const runId = JOURNAL.exec(name)?.[1];
      if (!runId || (await this.heldElsewhere(runId))) continue;
      const summary = await this.summary(this.path(runId), runId);
      if (summary) runs.push(summary);
    }
    const listed = new Set(runs.map((run) => run.runId));
    for (const name of ended) {
      const runId = JOURNAL.exec(name)?.[1];
      if (!runId || listed.has(runId)) continue;
      const summary = await this.summary(join(this.dir, FINISHED, name), runId);
      if (summary) runs.push(summary);
    }
    const present = new Set(ended);
    for (const runId of this.summaries.keys()) if (!present.has(`${runId}.jsonl`)) this.summaries.delete(runId);
    return runs;
  }

  /** What a journal says for the list; read again only when the file changed. */
  async summary(path: string, runId: string): Promise<RunSummary | undefined> {
    const info = await stat(path).catch(() => undefined);
    if (!info) return undefined;
    const key = `${path}:${info.size}:${info.mtimeMs}`;
    const cached = this.summaries.get(runId);
    if (cached?.key === key) return cached.summary;
    const records = await this.readRecords(path).catch((error: Error) => error);
    if (records === 'missing') return undefined;
    const start = Array.isArray(records) ? records[0] : undefined;
    let summary: RunSummary;
    if (!Array.isArray(records) || start?.type !== 'start') {
      const problem = records instanceof Error ? records.message : Array.isArray(records) ? `${path} does not begin with the run's start record` : records.problem;
      summary = { runId, goal: start?.type === 'start' ? start.goal : '', agent: 'keel', kind: 'agent', startedAt: info.mtime.toISOString(), steps: 0, filesChanged: 0, changedFiles: [], problem };
    } else {
      const end = endOf(records);
      const changes = fileChangesOf(records);
      summary = {
        runId, goal: start.goal, agent: agentOf(start), kind: start.kind ?? 'agent', startedAt: start.time, traceId: start.traceId,
        steps: records.filter((record) => record.type === 'model').length,
        filesChanged: changes.length,
        changedFiles: changes.slice(0, 50).map((change) => change.path),
        ...(end ? { end: { outcome: end.outcome, message: end.message, at: end.time ?? info.mtime.toISOString() } } : {}),
      };
    }
    this.summaries.set(runId, { key, summary });
    return summary;
  }

  /** A journal's records: 'missing' when there is none, a problem when it is damaged. */
  private async readRecords(path: string): Promise<JournalRecord[] | 'missing' | { problem: string }> {
    const contents = await readJournal(path).catch((error: NodeJS.ErrnoException) => error);
    if (contents instanceof Error) return contents.code === 'ENOENT' ? 'missing' : { problem: contents.message };
    if (contents.corrupt) return { problem: contents.corrupt };
    const records: JournalRecord[] = [];
    for (const [index, raw] of contents.records.entries()) {
      const parsed = journalRecord.safeParse(raw);
      if (!parsed.success) return { problem: l10n.t('record {0} of {1} is not a record Keel writes', index + 1, path) };
      records.push(parsed.data);
    }
    return records;
  }

  /** Appends to a loaded run's journal from its last good record on, noting the resume. */
  async reopen(loaded: Extract<LoadedRun, { ok: true }>): Promise<RunJournal> {
    if (await this.runningElsewhere(loaded.runId)) throw new Error(l10n.t('Run {0} is running in another Keel window.', loaded.runId));
    await this.own(loaded.runId);
    const journal = new RunJournal(JournalFile.open(this.path(loaded.runId), loaded.goodBytes), loaded.replay, undefined, this.backups(loaded.runId));
    journal.append({ type: 'resumed', time: new Date().toISOString(), ...(loaded.note ? { note: loaded.note } : {}) });
    return journal;
  }

  /** Ends a run that will not be resumed (discarded, or its journal is damaged) and moves its journal out. */
  async close(runId: string, outcome: string, message: string): Promise<void> {
    const journal = new RunJournal(JournalFile.open(this.path(runId)));
    journal.end(outcome, message);
    await this.retire(runId);
  }

  /** What an ended run's journal says: its goal, agent and how many model responses it holds. */
  async ended(runId: string): Promise<{ goal: string; agent: string; steps: number } | undefined> {
    const records = await this.endedRecords(runId);
    if (!records) return undefined;
    return { goal: goalOf(records), agent: agentOf(records[0]), steps: records.filter((r) => r.type === 'model').length };
  }

  /**
   * Puts an ended run's journal back as unfinished, without its end: resuming it then replays every step it recorded
   * and goes on from the last good one. For retrying a failed run from the dead-letter queue.
   */
  async revive(runId: string): Promise<void> {
    const records = await this.endedRecords(runId);
    if (!records) throw new Error(l10n.t('Run {0} has no finished journal to retry from; it may have been pruned (Keel keeps the last {1}).', runId, KEEP_FINISHED));
    // Only the last part's end: the parts before a continuation stay as they ended.
    const end = lastIndexOf(records, 'end');
    const file = JournalFile.open(this.path(runId));
    try {
      for (const record of records.slice(0, end < 0 ? records.length : end)) file.append(record);
      await file.sync();
    } finally {
      file.close();
    }
    await rm(join(this.dir, FINISHED, `${runId}.jsonl`), { force: true });
  }

  private async endedRecords(runId: string): Promise<JournalRecord[] | undefined> {
    const records = await this.readRecords(join(this.dir, FINISHED, `${this.checked(runId)}.jsonl`));
    return Array.isArray(records) ? records : undefined;
  }

  /** Moves an ended run's journal to `finished/`, keeping the newest 100 for at most 30 days. */
  async retire(runId: string): Promise<void> {
    const finished = join(this.dir, FINISHED);
    await mkdir(finished, { recursive: true, mode: 0o700 });
    await rename(this.path(runId), join(finished, `${runId}.jsonl`));
    await rm(this.ownerPath(runId), { force: true });
    const names = await readdir(finished);
    const aged = await Promise.all(names.map(async (name) => ({ name, time: (await stat(join(finished, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.time - a.time);
    const oldest = Date.now() - KEEP_FINISHED_MS;
    const pruned = aged.filter(({ time }, index) => index >= KEEP_FINISHED || time < oldest);
    await Promise.all(pruned.map(async ({ name }) => {
      await rm(join(finished, name), { force: true });
      const pruned = JOURNAL.exec(name)?.[1];
      if (pruned) await this.backups(pruned).remove();
    }));
  }

  private async own(runId: string): Promise<void> {
    await writeFile(this.ownerPath(runId), String(process.pid));
  }

  /** Whether any run left out of a list because another process held it is still held. */
  get watchingElsewhere(): boolean {
    return this.elsewhere.size > 0;
  }

  /**
   * The runs left out of a list because another process held them that it has let go of since (it ended them, or
   * its host exited, as after a window reload), as the list would show them now.
   */
  async released(): Promise<RunSummary[]> {
    const free: RunSummary[] = [];
    for (const runId of [...this.elsewhere]) {
      if (await this.runningElsewhere(runId)) continue;
      this.elsewhere.delete(runId);
      const summary = (await this.summary(this.path(runId), runId)) ?? (await this.summary(join(this.dir, FINISHED, `${runId}.jsonl`), runId));
      if (summary) free.push(summary);
    }
    return free;
  }

  private async heldElsewhere(runId: string): Promise<boolean> {
    const held = await this.runningElsewhere(runId);
    if (held) this.elsewhere.add(runId);
    return held;
  }

  /** Whether another live process holds the run; a pid that no longer runs (the host crashed) holds nothing. */
  async runningElsewhere(runId: string): Promise<boolean> {
    if (!JOURNAL.test(`${runId}.jsonl`)) return false;
    const pid = Number(await readFile(this.ownerPath(runId), 'utf8').catch(() => ''));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private ownerPath(runId: string): string {
    return this.path(runId).replace(/\.jsonl$/, '.owner');
  }

  private path(runId: string): string {
    return join(this.dir, `${this.checked(runId)}.jsonl`);
  }

  private checked(runId: string): string {
    if (!JOURNAL.test(`${runId}.jsonl`)) throw new Error(l10n.t('"{0}" is not a run id.', runId.slice(0, 80)));
    return runId;
  }
}

function goalOf(records: readonly JournalRecord[]): string {
  const start = records[0];
  return start?.type === 'start' ? start.goal : '';
}

/** The request as the journal keeps it: keys stay in SecretStorage; a resume brings them again. */
function withoutKeys(request: StartRunParams): StartRunParams {
  const { apiKey: _key, ...defaultModel } = request.models.defaultModel;
  return { ...request, models: { ...request.models, defaultModel, apiKeys: {} } };
}
