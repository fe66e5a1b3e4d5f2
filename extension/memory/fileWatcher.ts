import { Minimatch } from 'minimatch';
import * as vscode from 'vscode';

/** Saves, formatters and branch switches come in bursts; one message per burst is enough. */
const BATCH_MS = 300;

/**
 * Watches the first workspace folder (the one the host indexes) and hands `send` batches of changed, created and
 * deleted paths, workspace-relative, leaving out what `files.exclude` hides.
 */
export function watchWorkspaceFiles(send: (paths: string[]) => void): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    const excluded = excludedBy(vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude', {}));
    const paths = [...pending].filter((path) => !excluded(path));
    pending.clear();
    if (paths.length) send(paths);
  };
  const add = (uri: vscode.Uri) => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder || uri.scheme !== folder.scheme || uri.authority !== folder.authority || !uri.path.startsWith(`${folder.path}/`)) return;
    pending.add(uri.path.slice(folder.path.length + 1));
    timer ??= setTimeout(flush, BATCH_MS);
  };

  return vscode.Disposable.from(watcher, watcher.onDidChange(add), watcher.onDidCreate(add), watcher.onDidDelete(add), { dispose: () => clearTimeout(timer) });
}

/** A `files.exclude` glob hides a path when it matches the path or a folder above it (`**\/.git` hides `.git/HEAD`). */
function excludedBy(exclude: Record<string, unknown>): (path: string) => boolean {
  // `{ when: … }` entries depend on sibling files; they stay in, and the host's ignore rules still apply.
  const globs = Object.entries(exclude).filter(([, on]) => on === true).map(([glob]) => new Minimatch(glob, { dot: true }));
  return (path) => {
    const parts = path.split('/');
    return parts.some((_, i) => globs.some((glob) => glob.match(parts.slice(0, i + 1).join('/'))));
  };
}
