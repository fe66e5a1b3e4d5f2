import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { WorkspaceIndex, type UpdateOptions, type UpdateResult } from './workspaceIndex';

/**
 * Opens the index of a workspace folder, kept per folder under the host's storage directory, and brings it up
 * to date before the first search, reporting that first update's progress and result. Callers keep the promise, so
 * the index opens once.
 */
export async function openWorkspaceIndex(folder: string, storageDir: string, log: (message: string) => void, update: UpdateOptions = {}): Promise<{ index: WorkspaceIndex; updated: UpdateResult }> {
  const key = createHash('sha256').update(folder).digest('hex').slice(0, 16);
  const index = await WorkspaceIndex.open(folder, join(storageDir, 'memory', key));
  const started = Date.now();
  const updated = await index.update(update);
  const { indexed, removed, unchanged } = updated;
  log(`workspace index: ${indexed} files indexed, ${removed} removed, ${unchanged} unchanged in ${Date.now() - started} ms`);
  return { index, updated };
}
