import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('smoke', () => {
  it('activates the Keel extension', async () => {
    const extension = vscode.extensions.getExtension('keel-dev.keel');
    assert.ok(extension, 'keel-dev.keel is not among the installed extensions');
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('opens exactly one workspace folder', () => {
    assert.equal(vscode.workspace.workspaceFolders?.length, 1);
  });
});
