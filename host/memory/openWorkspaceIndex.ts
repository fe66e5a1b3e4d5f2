import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { WorkspaceIndex } from './workspaceIndex';

/**
 * Opens the index of a workspace folder, kept per folder under the host's storage directory, and brings it up
 * to date before the first search. Callers keep the promise, so the index opens once.
 */
export async function openWorkspaceIndex(folder: string, storageDir: string, log: (message: string) => void): Promise<WorkspaceIndex> {
  const key = createHash('sha256').update(folder).digest('hex').slice(0, 16);
  const index = await WorkspaceIndex.open(folder, join(storageDir, 'memory', key));
  const started = Date.now();
  const { indexed, removed, unchanged } = await index.update();
  log(`workspace index: ${indexed} files indexed, ${removed} removed, ${unchanged} unchanged in ${Date.now() - started} ms`);
  return index;
}
