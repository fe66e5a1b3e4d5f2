import * as vscode from 'vscode';
// The same rules as the headless host: confined after resolving symlinks, ignore files honoured, and disk reads and
// creates checked on what was opened.
import { confirmCreated, prepareNewFile, readableFile, readWorkspaceText } from '../../protocol/node/confinedFiles';
import { resolveInside } from '../../protocol/node/paths';

function folderPath(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('No folder is open. Open a folder, then run the task again.');
  return folder.uri.fsPath;
}

/** Resolves a workspace-relative path from the host to a file URI in the first workspace folder. */
export async function workspaceFileUri(path: string): Promise<vscode.Uri> {
  return vscode.Uri.file(await resolveInside(folderPath(), path));
}

/**
 * The file's text as the editor has it: an open document's unsaved changes win over the disk. Files that
 * .gitignore or .keelignore exclude are refused either way.
 */
export async function readWorkspaceFile(path: string): Promise<string> {
  const root = folderPath();
  const uri = vscode.Uri.file(await readableFile(root, path));
  const open = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString());
  if (open) return open.getText();
  return readWorkspaceText(root, path);
}

/**
 * Creates a new file as a WorkspaceEdit (so it joins VS Code's file-operation history) and shows it. VS Code writes
 * the file by path, so the folders on its way are made and checked first, and the file is checked once written.
 */
export async function createWorkspaceFile(path: string, content: string): Promise<void> {
  const root = folderPath();
  const file = await prepareNewFile(root, path);
  const uri = vscode.Uri.file(file);
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(uri, { ignoreIfExists: false, contents: new TextEncoder().encode(content) });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code could not create ${path}.`);
  await confirmCreated(root, file, path);
  await vscode.window.showTextDocument(uri, { preview: true, preserveFocus: true });
}

/**
 * Replaces a workspace file's text as one edit in its editor, so the user can undo the undo there, and saves it unless
 * it held unsaved work of the user's. Checked as a read is: inside the workspace, not ignored.
 */
export async function writeWorkspaceFile(path: string, content: string): Promise<void> {
  const uri = vscode.Uri.file(await readableFile(folderPath(), path));
  const document = await vscode.workspace.openTextDocument(uri);
  const wasDirty = document.isDirty;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), content);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code could not write ${path}.`);
  if (!wasDirty) await document.save();
}

/** Deletes a workspace file as a WorkspaceEdit (it joins VS Code's file-operation history), checked as a read is. */
export async function deleteWorkspaceFile(path: string): Promise<void> {
  const uri = vscode.Uri.file(await readableFile(folderPath(), path));
  const edit = new vscode.WorkspaceEdit();
  edit.deleteFile(uri, { ignoreIfNotExists: false });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code could not delete ${path}.`);
}
