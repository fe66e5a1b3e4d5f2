import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailedTask } from '../../../protocol/rpc';

const FILE = 'dead-letters.jsonl';

/** Why a task left the queue: the user dismissed it, or it runs again (retried, or continued with a follow-up). */
type Removal = 'dismissed' | 'retried' | 'continued';

type Entry = { readonly type: 'failed'; readonly task: FailedTask } | { readonly type: 'removed'; readonly runId: string; readonly why: Removal };

/**
 * The dead-letter queue: runs that failed, with their goal, error and trace, kept until the user retries or dismisses
 * them. One append-only JSON-lines file beside the run journals, so the queue survives restarts; a line torn by a
 * kill mid-write is skipped when read. Cancelled runs are not failures and never land here.
 */
export class DeadLetterQueue {
  private tasks: Promise<Map<string, FailedTask>> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private size = 0;
  /** The file ends in a line torn by a kill: the next record starts on a line of its own, or it would be lost too. */
  private tornTail = false;

  constructor(private readonly dir: string, private readonly changed: () => void = () => undefined) {}

  /** How many tasks wait, as of the last read or change (the alert rule reads this synchronously). */
  get count(): number {
    return this.size;
  }

  async add(task: FailedTask): Promise<void> {
    const tasks = await this.load();
    tasks.set(task.runId, task);
    await this.append({ type: 'failed', task });
  }

  /** The failed tasks, newest first. */
  async list(): Promise<FailedTask[]> {
    return [...(await this.load()).values()].sort((a, b) => b.failedAt.localeCompare(a.failedAt));
  }

  async get(runId: string): Promise<FailedTask | undefined> {
    return (await this.load()).get(runId);
  }

  /** Takes a task off the queue; false when it was not on it. */
  async remove(runId: string, why: Removal): Promise<boolean> {
    const tasks = await this.load();
    if (!tasks.delete(runId)) return false;
    await this.append({ type: 'removed', runId, why });
    return true;
  }

  private load(): Promise<Map<string, FailedTask>> {
    this.tasks ??= readFile(join(this.dir, FILE), 'utf8').then((text) => {
      this.tornTail = text.length > 0 && !text.endsWith('\n');
      return fold(text);
    }, () => new Map<string, FailedTask>()).then((tasks) => {
      this.size = tasks.size;
      return tasks;
    });
    return this.tasks;
  }

  private async append(entry: Entry): Promise<void> {
    this.size = (await this.load()).size;
    this.changed();
    const write = this.writing.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await appendFile(join(this.dir, FILE), `${this.tornTail ? '\n' : ''}${JSON.stringify(entry)}\n`);
      this.tornTail = false;
    });
    this.writing = write.catch(() => undefined);
    await write;
  }
}

function fold(text: string): Map<string, FailedTask> {
  const tasks = new Map<string, FailedTask>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    if (entry.type === 'failed' && typeof entry.task?.runId === 'string') tasks.set(entry.task.runId, entry.task);
    else if (entry.type === 'removed') tasks.delete(entry.runId);
  }
  return tasks;
}
