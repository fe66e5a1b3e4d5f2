import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The text of each file a run edited as it was before the edit, so the run can be undone: one file per content under
 * `backups/<runId>/`, named by the content's SHA-256 (the hash the journal's edit intent holds), readable by the user
 * only. They are copies of workspace files, like VS Code's Local History, not records: unredacted, since an undo must
 * restore the file exactly, and deleted with the run's journal.
 */
export class FileBackups {
  constructor(private readonly dir: string) {}

  /** Keeps `text`; resolves once it is written. The same content is written once. */
  async save(text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, sha256(text)), text, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }

  /** The text kept under `hash`, or undefined when none is kept or it does not match its hash (damaged). */
  async read(hash: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const text = await readFile(join(this.dir, hash), 'utf8').catch(() => undefined);
    return text !== undefined && sha256(text) === hash ? text : undefined;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
