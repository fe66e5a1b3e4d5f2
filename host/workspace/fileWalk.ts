import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
import { IgnoreRules } from '../../protocol/node/ignoreRules';

/** Folders no agent wants listed or searched, whatever the ignore files say. */
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.hg', '.svn']);

export interface WalkOptions {
  /** A glob over workspace-relative paths, e.g. `src/**\/*.ts`; all files when absent. */
  readonly glob?: string;
  readonly limit: number;
  readonly signal?: AbortSignal;
}

/**
 * Workspace-relative file paths (forward slashes) in walk order, honouring `.gitignore` and `.keelignore` at every
 * level, as git does. Stops at `limit` and says whether it did.
 */
export async function walkWorkspace(root: string, options: WalkOptions): Promise<{ files: string[]; truncated: boolean }> {
  const files: string[] = [];
  const rules = new IgnoreRules(root);
  const matches = options.glob ? (path: string) => minimatch(path, options.glob!, { dot: true, matchBase: !options.glob!.includes('/') }) : () => true;
  const list = async (directory: string): Promise<Dirent[]> => {
    const entries = await readdir(join(root, directory), { withFileTypes: true }).catch(() => []);
    rules.listed(directory, entries.map((entry) => entry.name));
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  };
  const visit = async (directory: string, listing: Promise<Dirent[]>): Promise<boolean> => {
    options.signal?.throwIfAborted();
    const kept: { entry: Dirent; path: string }[] = [];
    for (const entry of await listing) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      if (!(await rules.ignores(entry.isDirectory() ? `${path}/` : path))) kept.push({ entry, path });
    }
    // The subfolders are listed all at once rather than one round trip after another, and visited in order.
    const listings = new Map(kept.filter(({ entry }) => entry.isDirectory()).map(({ path }) => [path, list(path)]));
    for (const { entry, path } of kept) {
      const subfolder = listings.get(path);
      if (subfolder) {
        if (!(await visit(path, subfolder))) return false;
      } else if (entry.isFile()) {
        if (!matches(path)) continue;
        if (files.length >= options.limit) return false;
        files.push(path);
      }
    }
    return true;
  };
  const complete = await visit('', list(''));
  return { files, truncated: !complete };
}

/**
 * Whether the walk would list this workspace-relative file as far as names and ignore files go (the walk's `limit`
 * aside): a check for one path that need not walk the whole workspace.
 */
export async function isWalkable(rules: IgnoreRules, path: string): Promise<boolean> {
  const segments = path.split('/');
  if (segments.some((segment) => ALWAYS_SKIPPED.has(segment))) return false;
  return !(await rules.ignores(path));
}
