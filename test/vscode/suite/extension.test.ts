import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;
const fileUri = (name: string) => vscode.Uri.joinPath(folder(), name);
const onDisk = (name: string) => readFile(fileUri(name).fsPath, 'utf8');

async function setModelUrl(url: string): Promise<void> {
  await vscode.workspace.getConfiguration('keel').update('ollama.baseUrl', url, vscode.ConfigurationTarget.Global);
}

describe('Keel inside VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;

  before(async () => {
    // The scripted model runs in this extension host process, on loopback.
    server = await startModelServer(scriptedAgent);
    await setModelUrl(server.url);
    await vscode.workspace.getConfiguration('keel').update('model.timeoutSeconds', 3, vscode.ConfigurationTarget.Global);
    const extension = vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!;
    api = await extension.activate();
  });
  after(async () => {
    await server.close();
  });

  it('starts the host at activation only for the Model view, which first use shows, to say whether the model answers', () => {
    const states = api.hostStates();
    // Nothing else may start it: with the Model view hidden the host stays down until the first task.
    if (states.length > 0) assert.notEqual(api.modelState().phase, 'unchecked', `the host started (${states.join(', ')}) but the Model view never asked`);
    assert.ok(states.length <= 2 && states.every((state, i) => state === ['starting', 'running'][i]), `host states: ${states.join(', ')}`);
  });

  it('runs a task from the command, shows the edit inline, and applies it on Approve', async () => {
    const runId = await vscode.commands.executeCommand<string>('keel.runTask', 'replace "world" with "keel" in greeting.txt');
    assert.ok(runId, 'the command returns the run id');
    assert.deepEqual(api.hostStates().slice(0, 2), ['starting', 'running']);
    const [pending] = await until('an inline approval', () => api.pendingEdits().length > 0 && api.pendingEdits());
    assert.equal(pending!.path, 'greeting.txt');

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', fileUri('greeting.txt'));
    const titles = lenses.map((l) => l.command?.title);
    assert.ok(titles.includes('$(check) Approve edit') && titles.includes('$(close) Deny'), `lenses: ${titles.join(', ')}`);
    assert.equal(lenses[0]!.range.start.line, 0, 'the prompt sits on the line the edit changes');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, fileUri('greeting.txt').fsPath, 'the file is shown');
    assert.equal(await onDisk('greeting.txt'), 'hello world\nsecond line\n', 'nothing is written before approval');

    await vscode.commands.executeCommand('keel.approveEdit', pending!.approvalId);
    await until('the run to finish', () => api.spans().some((s) => s.operation === 'invoke_agent' && s.attributes['keel.run.id'] === runId && s.status !== 'running'));
    assert.equal(await onDisk('greeting.txt'), 'hello keel\nsecond line\n');
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === runId)!;
    const ops = api.spans().filter((s) => s.traceId === root.traceId).map((s) => s.operation);
    for (const op of ['invoke_agent', 'chat', 'execute_tool', 'approval']) assert.ok(ops.includes(op), `a ${op} span`);

    // Applied as a WorkspaceEdit, so undo takes it back.
    await vscode.commands.executeCommand('undo');
    assert.equal(vscode.window.activeTextEditor!.document.getText(), 'hello world\nsecond line\n');
    await vscode.window.activeTextEditor!.document.save();
  });

  it('leaves the file unchanged on Deny', async () => {
    const { done } = await api.runTask('replace "alpha" with "omega" in notes.txt');
    const [pending] = await until('an inline approval', () => api.pendingEdits().length > 0 && api.pendingEdits());
    await vscode.commands.executeCommand('keel.denyEdit', pending!.approvalId);
    const result = await done;
    assert.equal(result.outcome, 'succeeded');
    assert.match(result.message, /denied the edit to notes.txt/);
    assert.equal(await onDisk('notes.txt'), 'alpha\nbeta\ngamma\n');
  });

  it('reads unsaved editor changes, not the stale disk copy', async () => {
    const document = await vscode.workspace.openTextDocument(fileUri('notes.txt'));
    const editor = await vscode.window.showTextDocument(document);
    await editor.edit((b) => b.insert(new vscode.Position(3, 0), 'delta\nepsilon\n'));
    const { done } = await api.runTask('summarize notes.txt');
    assert.equal((await done).message, 'notes.txt has 5 lines.');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('creates a file after approval and shows it', async () => {
    const { done } = await api.runTask('call tool create_file with {"path": "docs/notes.md", "content": "# Notes\\n"}');
    const [pending] = await until('a tool approval', () => api.pendingToolCalls().length > 0 && api.pendingToolCalls());
    assert.equal(pending!.tool, 'create_file');
    await vscode.commands.executeCommand('keel.allowToolCall', pending!.approvalId);
    assert.equal((await done).message, 'create_file said: Created docs/notes.md.');
    assert.equal(await onDisk('docs/notes.md'), '# Notes\n');
    assert.ok(existsSync(fileUri('docs/notes.md').fsPath));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, fileUri('docs/notes.md').fsPath, 'the new file is shown');
  });

  it('runs agent-written JavaScript in the sandbox with run_js, traced as sandbox.eval', async () => {
    const { done } = await api.runTask('call tool run_js with {"code": "const text = await readFile(input); console.log(text.length); return text.split(\\"\\\\n\\").length;", "input": "notes.txt"}');
    const result = await done;
    assert.match(result.message, /^run_js said: 4\nconsole:\n\[log\] 17\n\[ran in [\d.]+ ms\]$/);
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === result.runId)!;
    const evalSpan = api.spans().find((s) => s.traceId === root.traceId && s.operation === 'sandbox.eval')!;
    assert.equal(evalSpan.attributes['keel.sandbox.outcome'], 'ok');
    assert.ok((evalSpan.attributes['keel.sandbox.memory_used_bytes'] as number) > 0);
  });

  it('contains run_js code that never ends, and the next call works', async () => {
    const stuck = await (await api.runTask('call tool run_js with {"code": "while (true) {}"}')).done;
    assert.match(stuck.message, /stopped \(timeout\).*limits\.timeoutMs = 5000 ms/);
    const next = await (await api.runTask('call tool run_js with {"code": "return 6 * 7;"}')).done;
    assert.match(next.message, /^run_js said: 42\n\[ran in [\d.]+ ms\]$/);
  });

  it('offers .keel/tools/*.js as tools that run sandboxed', async () => {
    const result = await (await api.runTask('call tool word_count with {"path": "notes.txt"}')).done;
    assert.match(result.message, /^word_count said: \{\n {2}"path": "notes.txt",\n {2}"words": 3,\n {2}"lines": 3\n\}\nconsole:\n\[log\] counted notes.txt\n\[ran in [\d.]+ ms\]$/);
  });

  it('refuses an empty goal with a clear message', async () => {
    await assert.rejects(api.runTask('  '), /goal is empty/);
  });

  it('says how to start Ollama when no model is reachable', async () => {
    await setModelUrl('http://127.0.0.1:9');
    try {
      const { done } = await api.runTask('summarize notes.txt');
      const result = await done;
      assert.equal(result.outcome, 'failed');
      assert.match(result.message, /Could not reach Ollama at http:\/\/127.0.0.1:9. Start Ollama/);
    } finally {
      await setModelUrl(server.url);
    }
  });

  it('fails a run whose model never answers', async () => {
    const { done } = await api.runTask('never answer');
    const result = await done;
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /did not answer within 3 s/);
  });

  it('shows kept runs again after the viewer is cleared and the host restarts, from the host\'s trace store', async () => {
    const result = await (await api.runTask('summarize notes.txt')).done;
    assert.equal(result.outcome, 'succeeded', result.message);
    api.clearTraces();
    assert.equal(api.spans().length, 0);
    await vscode.commands.executeCommand('keel.restartHost');
    await until('the run back from the trace store', () => api.spans().some((s) => s.operation === 'invoke_agent' && s.attributes['keel.run.id'] === result.runId && s.status === 'ok'));
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === result.runId)!;
    assert.ok(api.spans().some((s) => s.traceId === root.traceId && s.name === 'execute_tool read_file'));
  });

  it('restarts a killed host and reports the run as interrupted', async () => {
    await vscode.workspace.getConfiguration('keel').update('model.timeoutSeconds', 60, vscode.ConfigurationTarget.Global);
    try {
      const pid = await api.hostPid();
      const { done } = await api.runTask('never answer');
      process.kill(pid, 'SIGKILL');
      const result = await done;
      assert.equal(result.outcome, 'interrupted');
      assert.match(result.message, /interrupted/);
      const newPid = await until('a restarted host', () => api.hostStates().at(-1) === 'running' && api.hostPid());
      assert.notEqual(await newPid, pid);
      const states = api.hostStates();
      assert.deepEqual(states.slice(-3), ['stopped', 'starting', 'running'], `states: ${states.join(' → ')}`);
      const root = api.spans().find((s) => s.operation === 'invoke_agent' && s.status === 'error' && s.statusMessage?.includes('interrupted'));
      assert.ok(root, 'the interrupted run\'s spans are closed');
    } finally {
      await vscode.workspace.getConfiguration('keel').update('model.timeoutSeconds', 3, vscode.ConfigurationTarget.Global);
    }
  });

  it('stops restarting a host that keeps crashing, and restarts it on command', async () => {
    let gaveUp = false;
    for (let kill = 1; kill <= 6 && !gaveUp; kill++) {
      const pid = await api.hostPid();
      const before = api.hostStates().length;
      process.kill(pid, 'SIGKILL');
      await until('the host to restart or give up', () => api.hostStates().length > before + 1 || (api.hostStates().at(-1) === 'stopped' && api.hostStates().length > before));
      await new Promise((r) => setTimeout(r, 1500));
      gaveUp = api.hostStates().at(-1) === 'stopped';
    }
    assert.ok(gaveUp, `the host was restarted after every crash: ${api.hostStates().join(' → ')}`);
    await vscode.commands.executeCommand('keel.restartHost');
    assert.equal(api.hostStates().at(-1), 'running');
    const { done } = await api.runTask('summarize notes.txt');
    assert.equal((await done).outcome, 'succeeded');
  });

  it('cancels a run from the command palette command', async () => {
    const { done } = await api.runTask('never answer');
    await new Promise((r) => setTimeout(r, 200));
    await vscode.commands.executeCommand('keel.cancelRun');
    assert.equal((await done).outcome, 'cancelled');
  });
});

describe('Keel with an MCP server inside VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;
  const config = () => vscode.workspace.getConfiguration('keel');

  before(async () => {
    server = await startModelServer(scriptedAgent);
    await setModelUrl(server.url);
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
    // server-everything from npm, started over stdio by the host, as a user's settings would configure it.
    const entry = vscode.Uri.joinPath(vscode.extensions.getExtension('keel-dev.keel')!.extensionUri, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js').fsPath;
    await config().update('mcp.servers', { everything: { command: process.execPath, args: [entry, 'stdio'], env: { ELECTRON_RUN_AS_NODE: '1' } } }, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await config().update('mcp.servers', undefined, vscode.ConfigurationTarget.Global);
    await server.close();
  });

  it('calls an MCP tool after the user allows it, and traces the call', async () => {
    const servers = await api.syncMcpServers();
    assert.deepEqual(servers.map((s) => [s.name, s.state]), [['everything', 'connected']], JSON.stringify(servers));
    const { done } = await api.runTask('call tool mcp__everything__get-sum with {"a": 2, "b": 3}');
    const [pending] = await until('a tool approval', () => api.pendingToolCalls().length > 0 && api.pendingToolCalls());
    assert.equal(pending!.tool, 'mcp__everything__get-sum');
    assert.ok(pending!.canAlwaysAllow);
    await vscode.commands.executeCommand('keel.allowToolCall', pending!.approvalId);
    const result = await done;
    assert.equal(result.message, 'mcp__everything__get-sum said: The sum of 2 and 3 is 5.');
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === result.runId)!;
    const tool = api.spans().find((s) => s.traceId === root.traceId && s.name === 'execute_tool mcp__everything__get-sum')!;
    assert.equal(tool.status, 'ok');
    assert.equal(tool.attributes['keel.mcp.server'], 'everything');
  });

  it('tells the model when the user denies an MCP tool call', async () => {
    const { done } = await api.runTask('call tool mcp__everything__echo with {"message": "hi"}');
    const [pending] = await until('a tool approval', () => api.pendingToolCalls().length > 0 && api.pendingToolCalls());
    await vscode.commands.executeCommand('keel.denyToolCall', pending!.approvalId);
    assert.match((await done).message, /denied this call: the user denied it/);
  });

  it('starts the servers of a .vscode/mcp.json written into a new folder, and stops them when the folder goes', async () => {
    const entry = vscode.Uri.joinPath(vscode.extensions.getExtension('keel-dev.keel')!.extensionUri, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js').fsPath;
    const settingsFolder = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, '.vscode');
    const fromWorkspace = () => api.mcpServers().filter((s) => s.source === '.vscode/mcp.json');
    // Three rounds: the watcher can miss a file written into a folder it has not begun to watch.
    for (let round = 0; round < 3; round++) {
      const config = { servers: { [`workspace${round}`]: { type: 'stdio', command: process.execPath, args: [entry, 'stdio'], env: { ELECTRON_RUN_AS_NODE: '1' } } } };
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(settingsFolder, 'mcp.json'), new TextEncoder().encode(JSON.stringify(config)));
      await until(`round ${round}'s server to connect`, () => fromWorkspace().some((s) => s.name === `workspace${round}` && s.state === 'connected'), 15_000);
      await vscode.workspace.fs.delete(settingsFolder, { recursive: true });
      await until(`round ${round}'s server to stop with its folder`, () => fromWorkspace().length === 0, 15_000);
    }
    assert.deepEqual(api.mcpServers().map((s) => [s.name, s.state]), [['everything', 'connected']]);
  });
});
