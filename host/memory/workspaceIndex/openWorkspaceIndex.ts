import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Embedder } from '../../models/embedder';
import { DEFAULT_EXCLUDES, WorkspaceIndex, type UpdateOptions, type UpdateResult } from './workspaceIndex';

/**
 * Opens the index of a workspace folder, kept per folder under the host's storage directory, and brings it up
 * to date before the first search, reporting that first update's progress and result. Callers keep the promise, so
 * the index opens once.
 */
export async function openWorkspaceIndex(
  folder: string,
  storageDir: string,
  log: (message: string) => void,
  update: UpdateOptions = {},
  options: { hidden?: readonly string[]; embedder?: Embedder } = {},
): Promise<{ index: WorkspaceIndex; updated: UpdateResult }> {
  // A `files.exclude` glob such as `**/.git` names a folder; everything under it is hidden too.
  const exclude = [...DEFAULT_EXCLUDES, ...(options.hidden ?? []).flatMap((glob) => [glob, `${glob}/**`])];
  const index = await WorkspaceIndex.open(folder, workspaceStorage(storageDir, folder), { exclude, embedder: options.embedder });
  const started = Date.now();
  // A failed or stopped first update leaves what it recorded for the next open to resume from.
  const updated = await index.update(update).catch(async (error: unknown) => {
    await index.close();
    throw error;
  });
  const { indexed, removed, unchanged } = updated;
  log(`workspace index: ${indexed} files indexed, ${removed} removed, ${unchanged} unchanged in ${Date.now() - started} ms`);
  return { index, updated };
}

/** Where a folder's memory (index, episodes) is kept: one directory per folder, named by a hash of its path. */
export function workspaceStorage(storageDir: string, folder: string): string {
  return join(storageDir, 'memory', createHash('sha256').update(folder).digest('hex').slice(0, 16));
}
