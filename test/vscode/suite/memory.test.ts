import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import type { MemoryHit, MemoryReindexResult } from '../../../protocol/rpc';
import { until } from '../../until';

const fileUri = (name: string) => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, name);

describe('Keel memory inside VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  const pathsFor = async (query: string) => (await api.searchMemory(query)).map((h) => h.path);

  before(async () => {
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
  });

  it('reindexes the workspace from the command and finds a symbol in it', async () => {
    const result = await vscode.commands.executeCommand<MemoryReindexResult | undefined>('keel.reindex');
    assert.ok(result, 'the command returns what it indexed');
    assert.ok(result.files >= 4 && result.chunks >= result.files, JSON.stringify(result));
    const [hit] = await api.searchMemory('answer');
    assert.deepEqual([hit?.path, hit?.startLine, hit?.symbol, hit?.snippet], ['answer.ts', 1, 'answer', 'export const answer = 41;']);
  });

  it('opens the chunk picked in "Keel: Search Memory…"', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const closed = vscode.commands.executeCommand('keel.searchMemory', 'answer');
    // Accepting does nothing until the debounced search has filled the picker.
    await until('the picked result to open', async () => {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return vscode.window.activeTextEditor?.document.uri.path.endsWith('/answer.ts') || undefined;
    });
    await closed;
    assert.equal(vscode.window.activeTextEditor!.selection.active.line, 0);
  });

  it('tells the user what is wrong with a query', async () => {
    await assert.rejects(api.searchMemory('answer lang:cobol'), /lang:cobol is not a language Keel indexes/);
  });

  it('follows files saved, created and deleted in the editor', async () => {
    const document = await vscode.workspace.openTextDocument(fileUri('answer.ts'));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, document.lineAt(0).range, 'export const ultimateResponse = 42;');
    edit.createFile(fileUri('forecast.ts'), { contents: new TextEncoder().encode('export function computeQuarterlyForecast() {\n  return 1;\n}\n') });
    assert.ok(await vscode.workspace.applyEdit(edit));
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await pathsFor('ultimate'), [], 'an unsaved edit is not on disk, so not in the index');

    await document.save();
    await until('the saved edit in the index', async () => ((await pathsFor('ultimate'))[0] === 'answer.ts' ? true : undefined));
    const [forecast] = await until('the new file in the index', async () => {
      const hits: MemoryHit[] = await api.searchMemory('quarterly forecast');
      return hits[0]?.path === 'forecast.ts' ? hits : undefined;
    });
    assert.equal(forecast!.symbol, 'computeQuarterlyForecast');

    const removal = new vscode.WorkspaceEdit();
    removal.deleteFile(fileUri('forecast.ts'));
    assert.ok(await vscode.workspace.applyEdit(removal));
    await until('the deleted file to leave the index', async () => (!(await pathsFor('quarterly forecast')).includes('forecast.ts') ? true : undefined));
  });

  it('leaves out what files.exclude hides as soon as the setting changes, without a restart', async () => {
    assert.ok((await pathsFor('gamma')).includes('notes.txt'));
    const files = vscode.workspace.getConfiguration('files');
    await files.update('exclude', { ...files.get<Record<string, boolean>>('exclude'), '**/notes.txt': true }, vscode.ConfigurationTarget.Workspace);
    try {
      await until('the hidden file to leave the index', async () => (!(await pathsFor('gamma')).includes('notes.txt') ? true : undefined));
    } finally {
      await files.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('the file to come back once shown', async () => ((await pathsFor('gamma')).includes('notes.txt') ? true : undefined));
  });
});
