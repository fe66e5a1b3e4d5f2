import { isAbsolute, relative, sep } from 'node:path';
import { walkWorkspace } from '../workspace/fileWalk';

/** A path given to the index (absolute, or relative to the root) as a workspace-relative path with forward slashes. */
export function toWorkspaceRelative(root: string, path: string): string {
  const relativePath = isAbsolute(path) ? relative(root, path) : path;
  const posix = sep === '/' ? relativePath : relativePath.split(sep).join('/');
  if (posix.startsWith('../') || posix === '..' || isAbsolute(posix)) throw new Error(`${path} is outside the workspace ${root}; only workspace files are indexed.`);
  return posix.replace(/^\.\//, '');
}

/**
 * Which of these workspace-relative paths the walker lists, i.e. which no .gitignore or .keelignore excludes. A glob
 * would not save the walk (it filters files, not folders), so this walks as update() does and intersects.
 */
export async function notIgnored(root: string, paths: readonly string[], limit: number, signal: AbortSignal | undefined): Promise<Set<string>> {
  const { files } = await walkWorkspace(root, { limit, signal });
  const wanted = new Set(paths);
  return new Set(files.filter((path) => wanted.has(path)));
}
