import * as vscode from 'vscode';
// The same confinement rule as the headless host: resolved, symlinks followed, inside the root.
import { resolveInside, resolveNewFileInside } from '../../host/workspace/paths';

/** Resolves a workspace-relative path from the host to a file URI in the first workspace folder. */
export async function workspaceFileUri(path: string): Promise<vscode.Uri> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('No folder is open. Open a folder, then run the task again.');
  return vscode.Uri.file(await resolveInside(folder.uri.fsPath, path));
}

/** The file's text as the editor has it: an open document's unsaved changes win over the disk. */
export async function readWorkspaceFile(path: string): Promise<string> {
  const uri = await workspaceFileUri(path);
  const open = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString());
  if (open) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

/** Creates a new file as a WorkspaceEdit (so it joins VS Code's file-operation history) and shows it. */
export async function createWorkspaceFile(path: string, content: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('No folder is open. Open a folder, then run the task again.');
  const uri = vscode.Uri.file(await resolveNewFileInside(folder.uri.fsPath, path));
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(uri, { ignoreIfExists: false, contents: new TextEncoder().encode(content) });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code could not create ${path}.`);
  await vscode.window.showTextDocument(uri, { preview: true, preserveFocus: true });
}
