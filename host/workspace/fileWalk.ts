import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { minimatch } from 'minimatch';

/** Folders no agent wants listed or searched, whatever the ignore files say. */
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.hg', '.svn']);
const IGNORE_FILES = ['.gitignore', '.keelignore'];

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
  const matches = options.glob ? (path: string) => minimatch(path, options.glob!, { dot: true, matchBase: !options.glob!.includes('/') }) : () => true;
  const visit = async (dir: string, rules: { base: string; ignore: Ignore }[]): Promise<boolean> => {
    options.signal?.throwIfAborted();
    const here = await loadIgnoreRules(dir);
    const active = here ? [...rules, { base: dir, ignore: here }] : rules;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const absolute = join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (active.some((r) => r.ignore.ignores(toPosix(relative(r.base, absolute)) + (isDir ? '/' : '')))) continue;
      if (isDir) {
        if (!(await visit(absolute, active))) return false;
      } else if (entry.isFile()) {
        const path = toPosix(relative(root, absolute));
        if (!matches(path)) continue;
        if (files.length >= options.limit) return false;
        files.push(path);
      }
    }
    return true;
  };
  const complete = await visit(root, []);
  return { files, truncated: !complete };
}

async function loadIgnoreRules(dir: string): Promise<Ignore | undefined> {
  let rules: Ignore | undefined;
  for (const name of IGNORE_FILES) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) rules = (rules ?? ignore()).add(text);
  }
  return rules;
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
