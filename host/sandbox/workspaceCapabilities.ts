import * as l10n from '@vscode/l10n';
import { minimatch } from 'minimatch';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { readWorkspaceText } from '../../protocol/node/confinedFiles';
import { IgnoreRules, toIgnorePath } from '../../protocol/node/ignoreRules';
import type { SandboxCapabilities } from './types';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** listFiles refuses globs that match more files than this, rather than return a silently partial list. */
const MAX_LISTED_FILES = 2000;
/** listFiles stops walking a workspace after this many entries; a sandboxed script should not crawl a monorepo. */
const MAX_WALKED_ENTRIES = 100_000;
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

type WorkspaceCapabilities = Required<Pick<SandboxCapabilities, 'readFile' | 'listFiles'>>;

/**
 * `readFile` and `listFiles` confined to `root`: paths are resolved through symlinks and must stay inside it,
 * files matched by .gitignore or .keelignore (at any level) are neither readable nor listed, and listing skips
 * .git and node_modules. Errors say what to do instead.
 */
export function workspaceCapabilities(root: string, options: { maxFileBytes?: number } = {}): WorkspaceCapabilities {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return {
    async readFile(path: string): Promise<string> {
      // The same checks as read_file: what is read is the file that was opened and checked, so a symlink swapped
      // in between cannot lead outside, and ignored files are refused with how to allow them.
      return readWorkspaceText(root, path, maxFileBytes);
    },

    async listFiles(glob: string): Promise<string[]> {
      const pattern = glob.trim();
      if (pattern === '' || isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..')) {
        throw new Error(l10n.t('{0} takes a glob relative to the workspace root, like {1}; got "{2}".', 'listFiles', '"src/**/*.ts"', glob));
      }
      const realRoot = await realpath(root);
      const matches = await walk(realRoot, new IgnoreRules(realRoot), (path) => minimatch(path, pattern, { dot: true }));
      return matches.sort();
    },
  };
}

/** The files under root (as relative `/` paths) that pass `matches`, skipping ignored and excluded directories. */
async function walk(root: string, rules: IgnoreRules, matches: (path: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const pending = [''];
  let walked = 0;
  while (pending.length) {
    const directory = pending.pop()!;
    const entries = await readdir(join(root, directory), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++walked > MAX_WALKED_ENTRIES) {
        throw new Error(l10n.t('The workspace has more than {0} files and folders; list a narrower folder, like {1}.', MAX_WALKED_ENTRIES, '"src/**/*.ts"'));
      }
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      const kind = entry.isSymbolicLink() ? await symlinkKind(root, rules, path) : entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : undefined;
      // Symlinked directories are not followed: they could loop, or lead outside the workspace.
      if (kind === 'directory' && !entry.isSymbolicLink() && !SKIPPED_DIRECTORIES.has(entry.name) && !(await rules.ignores(`${path}/`))) {
        pending.push(path);
      } else if (kind === 'file' && matches(path) && !(await rules.ignores(path))) {
        if (found.length >= MAX_LISTED_FILES) throw new Error(l10n.t('More than {0} files match; use a narrower glob.', MAX_LISTED_FILES));
        found.push(path);
      }
    }
  }
  return found;
}

/** A symlink counts as a file only if it resolves to a readable file inside the workspace, as readFile checks. */
async function symlinkKind(root: string, rules: IgnoreRules, path: string): Promise<'file' | 'directory' | undefined> {
  try {
    const target = await realpath(join(root, path));
    const inside = relative(root, target);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return undefined;
    if (!(await stat(target)).isFile()) return 'directory';
    return (await rules.ignores(toIgnorePath(inside, false))) ? undefined : 'file';
  } catch {
    return undefined;
  }
}
