import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

describe('workflows in VS Code', function () {
  this.timeout(90_000);
  let api: KeelApi;
  let server: ModelServer;
  const workflowFile = () => vscode.Uri.joinPath(folder(), '.keel', 'workflows', 'vscode-test.js');

  before(async () => {
    server = await startModelServer(scriptedAgent);
    await vscode.workspace.getConfiguration('keel').update('ollama.baseUrl', server.url, vscode.ConfigurationTarget.Global);
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
  });
  after(async () => {
    await vscode.workspace.fs.delete(workflowFile()).then(undefined, () => undefined);
    await server.close();
  });

  it('runs a workflow from "Keel: Run Workflow…" with its input: its workflow span, with its agents beneath, reaches the extension', async () => {
    const script = 'const [a, b] = await parallel([() => agent(null, "summarize " + input.file), () => agent(null, "summarize greeting.txt")]);\nreturn a + " " + b;';
    await vscode.workspace.fs.writeFile(workflowFile(), new TextEncoder().encode(script));
    const runId = await vscode.commands.executeCommand<string>('keel.runWorkflow', '.keel/workflows/vscode-test.js', { file: 'notes.txt' });
    assert.ok(runId, 'the command answers the run id');
    const root = await until('the workflow to finish', () => api.spans().find((s) => s.attributes['keel.run.id'] === runId && s.operation === 'invoke_workflow' && s.status !== 'running'));
    assert.equal(root.status, 'ok', root.statusMessage);
    assert.equal(root.name, 'invoke_workflow .keel/workflows/vscode-test.js');
    const agents = api.spans().filter((s) => s.parentSpanId === root.spanId && s.operation === 'invoke_agent');
    assert.deepEqual(agents.map((s) => s.attributes['keel.run.goal']).sort(), ['summarize greeting.txt', 'summarize notes.txt']);
  });
});
