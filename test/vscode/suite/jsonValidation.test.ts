import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from '../../until';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

/**
 * The schemas Keel contributes through `jsonValidation` reach VS Code's JSON language service (the built-in JSON
 * Language Features extension), so a mistake in `.keel/policy.jsonc` or `.keel/triggers.json` is underlined where it is.
 */
describe('policy and triggers files are checked as they are typed', function () {
  this.timeout(60_000);
  const written: vscode.Uri[] = [];

  before(() => {
    assert.ok(vscode.extensions.getExtension('vscode.json-language-features'), 'the built-in JSON Language Features extension is present');
  });
  after(async () => {
    for (const uri of written) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  async function diagnosticsOf(path: string, text: string): Promise<vscode.Diagnostic[]> {
    const uri = vscode.Uri.joinPath(folder(), path);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    written.push(uri);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    return until(`diagnostics for ${path}`, () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 && found;
    }, 30_000);
  }

  it('underlines a wrong autonomy in .keel/policy.jsonc on its line, and nothing in a right one', async () => {
    const text = '{\n  // supervised or autopilot\n  "default": {\n    "autonomy": "yolo",\n    "commands": { "allow": ["npm test"] }\n  }\n}\n';
    const found = await diagnosticsOf('.keel/policy.jsonc', text);
    assert.deepEqual(found.map((d) => d.range.start.line), [3], found.map((d) => d.message).join('; '));
    assert.match(found[0]!.message, /supervised|autopilot|not accepted|enum/i);
    const right = vscode.Uri.joinPath(folder(), '.keel', 'policy.jsonc');
    await vscode.workspace.fs.writeFile(right, new TextEncoder().encode(text.replace('yolo', 'autopilot')));
    await until('the mistake to be gone once fixed', () => vscode.languages.getDiagnostics(right).length === 0, 30_000);
  });

  it('underlines a field of the wrong type in .keel/triggers.json on its line', async () => {
    const text = '{\n  "triggers": [\n    {\n      "name": "lint on save",\n      "on": { "fileSaved": ["src/**"] },\n      "debounceMs": "soon",\n      "goal": "lint ${file}"\n    }\n  ]\n}\n';
    const found = await diagnosticsOf('.keel/triggers.json', text);
    assert.ok(found.some((d) => d.range.start.line === 5 && /integer|type/i.test(d.message)), found.map((d) => `${d.range.start.line}: ${d.message}`).join('; '));
  });
});
