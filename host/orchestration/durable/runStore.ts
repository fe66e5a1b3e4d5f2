import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartRunRequest, type StartRunParams, type UnfinishedRun } from '../../../protocol/rpc';
import { checkParams } from '../../../protocol/params';
import { JournalFile, readJournal } from './journalFile';
import { journalRecord, type JournalRecord, type WorkflowStart } from './journalRecords';
import { Replay, RunJournal } from './runJournal';

/** A run read back from its journal, ready to resume, or the reason it cannot be. */
export type LoadedRun =
  | { readonly ok: true; readonly runId: string; readonly goal: string; readonly request: StartRunParams; readonly traceId: string; readonly startedAt: string; readonly replay: Replay; readonly goodBytes: number; readonly note?: string; readonly workflow?: WorkflowStart }
  | { readonly ok: false; readonly runId: string; readonly goal: string; readonly problem: string };

const JOURNAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;
const FINISHED = 'finished';
/** Finished runs' journals kept, newest first, for later inspection; older ones are deleted. */
const KEEP_FINISHED = 100;

/**
 * Run journals in one folder (the host keeps one per workspace folder): `<runId>.jsonl` while a run has not ended,
 * moved to `finished/` once it has. A journal left without an end is a run a host stopped in the middle of, which can
 * be resumed. `<runId>.owner` holds the pid of the host running it, so a second window on the same workspace neither
 * lists nor resumes a run another host is running.
 */
export class RunStore {
  constructor(private readonly dir: string) {}

  /** Opens a new run's journal with its start record, synced: the run exists on disk before its first step. */
  async create(start: { runId: string; goal: string; request: StartRunParams; traceId: string; workflow?: WorkflowStart }): Promise<RunJournal> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = JournalFile.open(this.path(start.runId));
    await this.own(start.runId);
    const journal = new RunJournal(file);
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
      if (!runId || running.has(runId) || (await this.runningElsewhere(runId))) continue;
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
      if (!parsed.success) return { ok: false, runId, goal: goalOf(records), problem: `record ${index + 1} of ${this.path(runId)} is not a record Keel writes; the run cannot be resumed` };
      records.push(parsed.data);
    }
    if (records.some((record) => record.type === 'end')) return 'ended';
    const goal = goalOf(records);
    if (contents.corrupt) return { ok: false, runId, goal, problem: `${contents.corrupt}; the run cannot be resumed` };
    const start = records[0];
    if (start?.type !== 'start' || start.runId !== runId) return { ok: false, runId, goal, problem: `${this.path(runId)} does not begin with the run's start record; the run cannot be resumed` };
    const request = checkParams(StartRunRequest.params, start.request, StartRunRequest.type.method);
    if (!request.ok) return { ok: false, runId, goal, problem: `the run request in ${this.path(runId)} is not valid (${request.message}); the run cannot be resumed` };
    return { ok: true, runId, goal, request: request.params, traceId: start.traceId, startedAt: start.time, replay: new Replay(records), goodBytes: contents.goodBytes, ...(contents.tornTail ? { note: contents.tornTail } : {}), ...(start.workflow ? { workflow: start.workflow } : {}) };
  }

  /** Appends to a loaded run's journal from its last good record on, noting the resume. */
  async reopen(loaded: Extract<LoadedRun, { ok: true }>): Promise<RunJournal> {
    if (await this.runningElsewhere(loaded.runId)) throw new Error(`Run ${loaded.runId} is running in another Keel window.`);
    await this.own(loaded.runId);
    const journal = new RunJournal(JournalFile.open(this.path(loaded.runId), loaded.goodBytes), loaded.replay);
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
    const start = records[0];
    const agent = start?.type === 'start' ? (start.request as { agent?: unknown } | undefined)?.agent : undefined;
    return { goal: goalOf(records), agent: typeof agent === 'string' ? agent : 'keel', steps: records.filter((r) => r.type === 'model').length };
  }

  /**
   * Puts an ended run's journal back as unfinished, without its end: resuming it then replays every step it recorded
   * and goes on from the last good one. For retrying a failed run from the dead-letter queue.
   */
  async revive(runId: string): Promise<void> {
    const records = await this.endedRecords(runId);
    if (!records) throw new Error(`Run ${runId} has no finished journal to retry from; it may have been pruned (Keel keeps the last ${KEEP_FINISHED}).`);
    const end = records.findIndex((r) => r.type === 'end');
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
    this.path(runId);
    const contents = await readJournal(join(this.dir, FINISHED, `${runId}.jsonl`)).catch(() => undefined);
    if (!contents || contents.corrupt) return undefined;
    const records: JournalRecord[] = [];
    for (const raw of contents.records) {
      const parsed = journalRecord.safeParse(raw);
      if (!parsed.success) return undefined;
      records.push(parsed.data);
    }
    return records;
  }

  /** Moves an ended run's journal to `finished/`, keeping the newest few. */
  async retire(runId: string): Promise<void> {
    const finished = join(this.dir, FINISHED);
    await mkdir(finished, { recursive: true, mode: 0o700 });
    await rename(this.path(runId), join(finished, `${runId}.jsonl`));
    await rm(this.ownerPath(runId), { force: true });
    const names = await readdir(finished);
    if (names.length <= KEEP_FINISHED) return;
    const aged = await Promise.all(names.map(async (name) => ({ name, time: (await stat(join(finished, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.time - a.time);
    await Promise.all(aged.slice(KEEP_FINISHED).map(({ name }) => rm(join(finished, name), { force: true })));
  }

  private async own(runId: string): Promise<void> {
    await writeFile(this.ownerPath(runId), String(process.pid));
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
    if (!JOURNAL.test(`${runId}.jsonl`)) throw new Error(`"${runId.slice(0, 80)}" is not a run id.`);
    return join(this.dir, `${runId}.jsonl`);
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
