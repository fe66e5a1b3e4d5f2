import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
import { IgnoreRules } from './ignoreRules';

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
  const visit = async (directory: string): Promise<boolean> => {
    options.signal?.throwIfAborted();
    const entries = await readdir(join(root, directory), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      const isDir = entry.isDirectory();
      if (await rules.ignores(isDir ? `${path}/` : path)) continue;
      if (isDir) {
        if (!(await visit(path))) return false;
      } else if (entry.isFile()) {
        if (!matches(path)) continue;
        if (files.length >= options.limit) return false;
        files.push(path);
      }
    }
    return true;
  };
  const complete = await visit('');
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
