import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the host keeps the journals of runs in one workspace folder. The storage folder is shared by every window, so
 * each workspace folder has its own, and a run is only ever resumed where it ran.
 */
export function runJournalsDir(storageDir: string, root: string | undefined): string {
  return join(storageDir, 'runs', root ? createHash('sha256').update(root).digest('hex').slice(0, 16) : 'no-folder');
}

/** Whether any run journal is waiting there: a cheap look before starting the host to ask about them. */
export async function hasRunJournals(storageDir: string, root: string | undefined): Promise<boolean> {
  const names = await readdir(runJournalsDir(storageDir, root)).catch(() => [] as string[]);
  return names.some((name) => name.endsWith('.jsonl'));
}
