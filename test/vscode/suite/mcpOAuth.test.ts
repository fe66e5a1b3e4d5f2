import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import type { McpServerInfo } from '../../../protocol/rpc';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { startOAuthMcpServer, type OAuthMcpServer } from '../../fixtures/oauthMcpServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

describe('MCP OAuth sign-in inside VS Code', function () {
  this.timeout(120_000);
  let api: KeelApi;
  let model: ModelServer;
  let auth: OAuthMcpServer;
  const config = () => vscode.workspace.getConfiguration('keel');
  const remoteState = async () => (await api.syncMcpServers()).find((s) => s.name === 'remote');

  /** Runs the protected tool through an agent run, allowing the call, and answers what the tool said. */
  const callWhoami = async () => {
    const { done } = await api.runTask('call tool mcp__remote__whoami with {}');
    const [pending] = await until('a tool approval', () => api.pendingToolCalls().length > 0 && api.pendingToolCalls());
    await vscode.commands.executeCommand('keel.allowToolCall', pending!.approvalId);
    return (await done).message;
  };

  before(async () => {
    model = await startModelServer(scriptedAgent);
    await config().update('ollama.baseUrl', model.url, vscode.ConfigurationTarget.Global);
    // The authorization server approves at once, so the browser only has to follow its redirect back to Keel.
    auth = await startOAuthMcpServer();
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
    await config().update('mcp.servers', { remote: { url: auth.mcpUrl } }, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await config().update('mcp.servers', undefined, vscode.ConfigurationTarget.Global);
    await Promise.all([model.close(), auth.close()]);
  });

  it('waits for sign-in, signs in through the browser, calls the protected tool, keeps the sign-in across a restart, and forgets it on sign-out', async () => {
    assert.equal((await remoteState())?.state, 'needs-sign-in', 'a server asking for OAuth waits for the user instead of failing');
    assert.equal(auth.authorizations(), 0, 'nothing opens the browser before the user asks');
    assert.deepEqual(api.mcpWaitingForSignIn(), ['remote'], 'the status bar offers the sign-in');

    const status = await vscode.commands.executeCommand<McpServerInfo>('keel.signInMcpServer', 'remote');
    assert.equal(status?.state, 'connected', JSON.stringify(status));
    assert.equal(auth.authorizations(), 1, 'the browser went to the authorization page once');
    assert.deepEqual(api.mcpWaitingForSignIn(), []);
    assert.match(await callWhoami(), /^mcp__remote__whoami said: signed in as client-/);

    await vscode.commands.executeCommand('keel.restartHost');
    assert.equal((await remoteState())?.state, 'connected', 'the new host signs in with the token from SecretStorage');
    assert.equal(auth.authorizations(), 1, 'without the browser');
    assert.match(await callWhoami(), /signed in as client-/);

    await vscode.commands.executeCommand('keel.signOutMcpServer', 'remote');
    await vscode.commands.executeCommand('keel.restartHost');
    assert.equal((await remoteState())?.state, 'needs-sign-in', 'after sign-out no token is left for a new host to use');
    assert.deepEqual(api.mcpWaitingForSignIn(), ['remote']);
    assert.equal(auth.authorizations(), 1);
  });
});
