import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

describe('smoke', () => {
  it('activates the Keel extension', async () => {
    const extension = vscode.extensions.getExtension('keel-dev.keel');
    assert.ok(extension, 'keel-dev.keel is not among the installed extensions');
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    // The host benchmark reads activation time from here: only real VS Code can measure it.
    const benchFile = process.env.KEEL_ACTIVATION_MS_FILE;
    if (benchFile) writeFileSync(benchFile, String((api as { activationMs: number }).activationMs));
  });

  it('opens exactly one workspace folder', () => {
    assert.equal(vscode.workspace.workspaceFolders?.length, 1);
  });
});
