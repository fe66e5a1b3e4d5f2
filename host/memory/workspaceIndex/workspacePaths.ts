import * as l10n from '@vscode/l10n';
import { isAbsolute, relative, sep } from 'node:path';
import { isWalkable } from '../../workspace/fileWalk';
import { IgnoreRules } from '../../../protocol/node/ignoreRules';

/** A path given to the index (absolute, or relative to the root) as a workspace-relative path with forward slashes. */
export function toWorkspaceRelative(root: string, path: string): string {
  const relativePath = isAbsolute(path) ? relative(root, path) : path;
  const posix = sep === '/' ? relativePath : relativePath.split(sep).join('/');
  if (posix.startsWith('../') || posix === '..' || isAbsolute(posix)) throw new Error(l10n.t('{0} is outside the workspace {1}; only workspace files are indexed.', path, root));
  return posix.replace(/^\.\//, '');
}

/**
 * Which of these workspace-relative paths the walker would list, i.e. which no .gitignore or .keelignore excludes:
 * each path's own folders' rules are read, so saving one new file does not walk the whole workspace.
 */
export async function notIgnored(root: string, paths: readonly string[]): Promise<Set<string>> {
  const rules = new IgnoreRules(root);
  const allowed = new Set<string>();
  for (const path of paths) if (await isWalkable(rules, path)) allowed.add(path);
  return allowed;
}
