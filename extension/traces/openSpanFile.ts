import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Opens a file a span names (`keel.file.path`, a tool's `path` argument). The path comes from a model or a tool, so
 * only files inside a workspace folder are opened: a relative path is resolved against each folder in turn.
 */
export async function openSpanFile(named: string): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  for (const folder of folders) {
    const root = folder.uri.fsPath;
    const resolved = path.resolve(root, named);
    const relative = path.relative(root, resolved);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
    const uri = vscode.Uri.file(resolved);
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type & vscode.FileType.File) {
        await vscode.commands.executeCommand('vscode.open', uri);
        return;
      }
    } catch {
      // Not in this folder; try the next one.
    }
  }
  void vscode.window.showWarningMessage(vscode.l10n.t('Keel: "{0}" is not a file in this workspace, so the trace viewer does not open it.', named.slice(0, 200)));
}
