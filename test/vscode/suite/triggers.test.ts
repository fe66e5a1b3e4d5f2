import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { KeelApi } from '../../../extension/extension';
import { startModelServer, type ModelServer } from '../../fixtures/modelServer';
import { scriptedAgent } from '../../fixtures/scriptedAgent';
import { until } from '../../until';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

describe('triggers in VS Code', function () {
  this.timeout(60_000);
  let api: KeelApi;
  let server: ModelServer;
  const triggersFile = () => vscode.Uri.joinPath(folder(), '.keel', 'triggers.json');
  const definition = () => vscode.Uri.joinPath(folder(), '.keel', 'agents', 'summarizer.md');

  before(async () => {
    server = await startModelServer(scriptedAgent);
    await vscode.workspace.getConfiguration('keel').update('ollama.baseUrl', server.url, vscode.ConfigurationTarget.Global);
    api = await vscode.extensions.getExtension<KeelApi>('keel-dev.keel')!.activate();
  });
  after(async () => {
    await vscode.workspace.fs.delete(triggersFile()).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(definition()).then(undefined, () => undefined);
    await server.close();
  });

  it('starts exactly one run for a burst of saves of a file a trigger watches, and none for other files', async () => {
    const before = api.triggerRuns().length;
    const triggers = { triggers: [{ name: 'summarize notes', on: { fileSaved: ['notes.txt'] }, goal: 'summarize ${file}', debounceMs: 800 }] };
    await vscode.workspace.fs.writeFile(triggersFile(), new TextEncoder().encode(JSON.stringify(triggers, null, 2)));
    await until('the trigger to be in force', () => api.triggers().includes('summarize notes'));
    const notes = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    const greeting = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'greeting.txt'));
    for (let i = 0; i < 3; i++) {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(notes.uri, new vscode.Position(notes.lineCount, 0), `save ${i}\n`);
      await vscode.workspace.applyEdit(edit);
      await notes.save();
      await greeting.save();
    }
    const [run] = await until('a triggered run', () => api.triggerRuns().length > before && api.triggerRuns().slice(before));
    assert.equal(run!.trigger, 'summarize notes');
    await until('the triggered run to finish', () => api.spans().some((s) => s.attributes['keel.run.id'] === run!.runId && s.operation === 'invoke_agent' && s.status !== 'running'));
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === run!.runId && s.operation === 'invoke_agent')!;
    assert.equal(root.attributes['keel.run.goal'], 'summarize notes.txt');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(api.triggerRuns().length, before + 1, 'one burst, one run');
  });

  it('starts a run of the agent whose definition declares the trigger', async () => {
    const before = api.triggerRuns().length;
    const text = ['---', 'description: Summarizes files', 'triggers:', '  - { name: summarize greeting, on: { fileSaved: [greeting.txt] }, goal: "summarize ${file}", debounceMs: 500 }', '---', 'Summarize briefly.', ''].join('\n');
    await vscode.workspace.fs.writeFile(definition(), new TextEncoder().encode(text));
    await until('the definition\'s trigger to be in force', () => api.triggers().includes('summarize greeting'));
    const greeting = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'greeting.txt'));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(greeting.uri, new vscode.Position(greeting.lineCount, 0), 'saved\n');
    await vscode.workspace.applyEdit(edit);
    await greeting.save();
    const run = await until('a run from the definition\'s trigger', () => api.triggerRuns().slice(before).find((r) => r.trigger === 'summarize greeting'));
    await until('its root span', () => api.spans().some((s) => s.attributes['keel.run.id'] === run.runId && s.operation === 'invoke_agent'));
    const root = api.spans().find((s) => s.attributes['keel.run.id'] === run.runId && s.operation === 'invoke_agent')!;
    assert.equal(root.attributes['gen_ai.agent.name'], 'summarizer');
    assert.equal(root.attributes['keel.run.goal'], 'summarize greeting.txt');
  });

  it('starts a fileCreated trigger for files that arrive inside new folders', async () => {
    // As a checkout or an unpacked archive brings them: folders and their files at once. The watcher misses some
    // of those files' own events; their folders' creation must stand for them.
    const triggers = { triggers: [{ name: 'new drops', on: { fileCreated: ['drop/**/*.txt'] }, goal: 'summarize ${files}', debounceMs: 1000 }] };
    await vscode.workspace.fs.writeFile(triggersFile(), new TextEncoder().encode(JSON.stringify(triggers, null, 2)));
    await until('the trigger to be in force', () => api.triggers().includes('new drops'));
    const before = api.triggerRuns().length;
    const paths = Array.from({ length: 15 }, (_, i) => `drop/d${i}/note.txt`);
    for (const path of paths) {
      mkdirSync(dirname(join(folder().fsPath, path)), { recursive: true });
      writeFileSync(join(folder().fsPath, path), 'dropped\n');
    }
    const run = await until('the run', () => api.triggerRuns().slice(before).find((r) => r.trigger === 'new drops'));
    const root = await until('its root span', () => api.spans().find((s) => s.attributes['keel.run.id'] === run.runId && s.operation === 'invoke_agent'));
    const goal = String(root.attributes['keel.run.goal']);
    assert.deepEqual(paths.filter((path) => !goal.includes(JSON.stringify(path))), [], goal);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder(), 'drop'), { recursive: true });
  });

  it('starts one run for a flood of new files, naming the first of them', async () => {
    // A hostile or careless workspace: 3,000 files in 30 new folders at once. One burst, one run; the goal names 20.
    const triggers = { triggers: [{ name: 'flood', on: { fileCreated: ['flood/**/*.txt'] }, goal: 'summarize ${files}', debounceMs: 1000 }] };
    await vscode.workspace.fs.writeFile(triggersFile(), new TextEncoder().encode(JSON.stringify(triggers, null, 2)));
    await until('the trigger to be in force', () => api.triggers().includes('flood'));
    const before = api.triggerRuns().length;
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(folder().fsPath, 'flood', `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(folder().fsPath, 'flood', `d${d}`, `f${f}.txt`), 'x\n');
    }
    const run = await until('the run', () => api.triggerRuns().slice(before).find((r) => r.trigger === 'flood'));
    const root = await until('its root span', () => api.spans().find((s) => s.attributes['keel.run.id'] === run.runId && s.operation === 'invoke_agent'));
    assert.match(String(root.attributes['keel.run.goal']), /^summarize ("flood\/d\d+\/f\d+\.txt", ){19}"flood\/d\d+\/f\d+\.txt" and \d+ more$/);
    await until('the run to finish', () => api.spans().some((s) => s.attributes['keel.run.id'] === run.runId && s.operation === 'invoke_agent' && s.status !== 'running'));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(api.triggerRuns().length, before + 1, 'one flood, one run');
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder(), 'flood'), { recursive: true });
  });

  it('takes up a definition written into a folder that did not exist a moment before, every time', async () => {
    // The file watcher can miss a file created in a folder it has not started watching yet; the folder's creation
    // must be enough. Eight rounds make a miss that one in five writes would suffer show.
    const agents = vscode.Uri.joinPath(folder(), '.keel', 'agents');
    for (let round = 0; round < 8; round++) {
      await vscode.workspace.fs.delete(agents, { recursive: true }).then(undefined, () => undefined);
      await until('the removed definition\'s triggers to be gone', () => !api.triggers().some((name) => name.startsWith('round ')));
      const text = ['---', 'description: Summarizes files', 'triggers:', `  - { name: round ${round}, on: { command: true }, goal: "summarize" }`, '---', 'Summarize briefly.', ''].join('\n');
      await vscode.workspace.fs.writeFile(definition(), new TextEncoder().encode(text));
      await until(`round ${round}'s trigger to be in force`, () => api.triggers().includes(`round ${round}`), 10_000);
    }
  });
});
