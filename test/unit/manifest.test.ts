import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localizedManifest } from './manifestFile';

interface Property { order?: number; tags?: string[]; markdownDescription?: string; description?: string; enum?: string[] }
const manifest = localizedManifest() as unknown as {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, Property> };
    walkthroughs: { steps: { id: string; description: string; completionEvents: string[] }[] }[];
  };
};
const properties = manifest.contributes.configuration.properties;

/** Every source file of the extension, to find who sets a context key. */
function extensionSources(dir = 'extension'): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => (entry.isDirectory() ? extensionSources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? readFileSync(join(dir, entry.name), 'utf8') : ''))
    .join('\n');
}

describe('the extension manifest', () => {
  it('orders the settings: model, approvals, budgets, memory, tools, telemetry; the developers\' port last and marked', () => {
    const ordered = Object.entries(properties).sort(([, a], [, b]) => (a.order ?? Infinity) - (b.order ?? Infinity)).map(([key]) => key);
    assert.equal(ordered[0], 'keel.model.provider');
    const first = (prefix: string) => ordered.findIndex((key) => key.startsWith(prefix));
    const groups = ['keel.model.', 'keel.approval.', 'keel.budget.', 'keel.privacy.', 'keel.mcp.', 'keel.traces.'].map(first);
    assert.deepEqual([...groups].sort((a, b) => a - b), groups, `groups in order: ${groups.join(', ')}`);
    assert.equal(ordered.at(-1), 'keel.host.debugPort');
    assert.match(properties['keel.host.debugPort']!.markdownDescription!, /^\*\*For developing Keel itself\.\*\*/);
    assert.deepEqual(Object.keys(properties).filter((key) => properties[key]!.order === undefined), [], 'every setting has its place');
  });

  it('offers VS Code\'s models as a provider', () => {
    assert.deepEqual(properties['keel.model.provider']!.enum, ['auto', 'ollama', 'openai', 'vscode']);
    assert.ok(properties['keel.vscode.model']);
  });

  it('takes its user-facing strings from package.nls.json, each key used and defined', () => {
    const raw = readFileSync('package.json', 'utf8');
    const strings = JSON.parse(readFileSync('package.nls.json', 'utf8')) as Record<string, string>;
    const used = new Set([...raw.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]!));
    assert.deepEqual([...used].filter((key) => !(key in strings)), [], 'every %key% is defined');
    assert.deepEqual(Object.keys(strings).filter((key) => !used.has(key)), [], 'every string is used');
    const titles = (JSON.parse(raw) as { contributes: { commands: { title: string }[] } }).contributes.commands.map((c) => c.title);
    assert.deepEqual(titles.filter((title) => !/^%.+%$/.test(title)), [], 'every command title is localizable');
  });

  it('has a walkthrough whose buttons are commands and whose steps are done by context keys the extension sets', () => {
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    const sources = extensionSources();
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.deepEqual(walkthrough!.steps.map((s) => s.id), ['chooseModel', 'buildIndex', 'runSample', 'approveEdit']);
    for (const step of walkthrough!.steps) {
      for (const [, command] of step.description.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(commands.has(command!) || command!.endsWith('.focus'), `${step.id}: ${command} is a contributed command`);
      }
      assert.ok(step.completionEvents.length > 0 && step.completionEvents.every((e) => e.startsWith('onContext:')), `${step.id} is done from state, not from a click`);
      for (const event of step.completionEvents) {
        const key = event.slice('onContext:'.length);
        assert.ok(sources.includes(`'${key}'`) || sources.includes(`: '${key}'`), `${step.id}: something sets ${key}`);
      }
    }
  });
});
