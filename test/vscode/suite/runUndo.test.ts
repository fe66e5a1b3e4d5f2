import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { deleteWorkspaceFile, writeWorkspaceFile } from '../../../extension/workspace/workspaceFiles';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

/** Undoing a run writes through VS Code (`workspace/writeFile`, `workspace/deleteFile`), so editors follow and Undo works. */
describe('undoing a run: the files it changed, through the editor', function () {
  this.timeout(60_000);
  const uri = () => vscode.Uri.joinPath(folder(), 'undo-target.txt');

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(uri()).then(undefined, () => undefined);
  });

  it('puts a file\'s text back in its open editor and on disk, undoably, and deletes a file the run created', async () => {
    await vscode.workspace.fs.writeFile(uri(), new TextEncoder().encode('as the run left it\n'));
    const document = await vscode.workspace.openTextDocument(uri());
    await vscode.window.showTextDocument(document);
    await writeWorkspaceFile('undo-target.txt', 'as it was before\n');
    assert.equal(document.getText(), 'as it was before\n');
    assert.equal(document.isDirty, false, 'saved, since the user had no unsaved work in it');
    assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri())), 'as it was before\n');
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), 'as the run left it\n', 'Ctrl+Z undoes the undo');

    await assert.rejects(writeWorkspaceFile('../outside.txt', 'x'), /outside|workspace/i);
    await deleteWorkspaceFile('undo-target.txt');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri())));
  });
});
