import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import type { ModelState } from '../../../extension/models/modelStatus';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';

const keel = () => vscode.workspace.getConfiguration('keel');
const SETTINGS = ['model.provider', 'vscode.model', 'ollama.baseUrl'];

describe('First run: whether the model answers', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;
  let before_: Record<string, unknown>;

  before(async () => {
    server = await startModelServer(scriptedAgent);
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
    before_ = Object.fromEntries(SETTINGS.map((key) => [key, keel().inspect(key)?.globalValue]));
  });
  after(async () => {
    for (const key of SETTINGS) await keel().update(key, before_[key], vscode.ConfigurationTarget.Global);
    await server.close();
  });

  it('checks the model the settings name, once, and says that a refused connection does not answer', async () => {
    await keel().update('model.provider', 'ollama', vscode.ConfigurationTarget.Global);
    await keel().update('ollama.baseUrl', 'http://127.0.0.1:9', vscode.ConfigurationTarget.Global);
    const down = await vscode.commands.executeCommand<ModelState>('keel.checkModel');
    assert.equal(down.phase, 'checked');
    assert.ok(down.phase === 'checked' && !down.result.answers);
    assert.equal(down.phase === 'checked' && down.result.error?.kind, 'unreachable');

    await keel().update('ollama.baseUrl', server.url, vscode.ConfigurationTarget.Global);
    const before = server.requests.length;
    const up = await vscode.commands.executeCommand<ModelState>('keel.checkModel');
    assert.ok(up.phase === 'checked' && up.result.answers, JSON.stringify(up));
    assert.equal(server.requests.length - before, 1, 'one short question');
    assert.deepEqual(api.modelState(), up);
  });

  it('runs with one of VS Code\'s models when the provider is "vscode", and says when VS Code offers none', async () => {
    await keel().update('model.provider', 'vscode', vscode.ConfigurationTarget.Global);
    await keel().update('vscode.model', 'copilot/gpt-4o', vscode.ConfigurationTarget.Global);
    const state = await vscode.commands.executeCommand<ModelState>('keel.checkModel');
    assert.ok(state.phase === 'checked', JSON.stringify(state));
    assert.equal(state.result.provider, 'vscode');
    assert.equal(state.result.model, 'copilot/gpt-4o');
    // This VS Code has no language-model extension: the host asked the extension, which says so.
    assert.equal(state.result.answers, false);
    assert.match(state.result.error!.message, /No VS Code language model matches "copilot\/gpt-4o"/);
    // A task the user starts now stops before it starts.
    assert.equal(await vscode.commands.executeCommand('keel.runTask', 'summarize notes.txt'), undefined);
  });
});
