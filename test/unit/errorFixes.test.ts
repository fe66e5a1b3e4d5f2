import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixesFor, notificationText, withoutClientWrapper, withoutLinks, type ContributedCommand } from '../../extension/errorFixes';
import { localizedManifest } from './manifestFile';

const manifest = localizedManifest() as unknown as { contributes: { commands: ContributedCommand[]; configuration: { properties: Record<string, unknown> } } };
const commands = manifest.contributes.commands;
const settings = new Set(Object.keys(manifest.contributes.configuration.properties));

describe('error notifications', () => {
  it('offer the commands and settings the message names, in its order, then Show Log if there is room', () => {
    const message = 'No model could answer this act call after 1 attempt (ollama/qwen2.5-coder:7b: unreachable). The last error: Could not reach Ollama at http://127.0.0.1:11434. Start Ollama (`ollama serve`) and pull the model (`ollama pull qwen2.5-coder:7b`), set "keel.ollama.baseUrl" to where it runs, or store an OpenAI key with "Keel: Set OpenAI API Key".';
    assert.deepEqual(fixesFor(message, commands, settings).map((f) => [f.label, f.command, f.args]), [
      ['Open Settings', 'workbench.action.openSettings', ['keel.ollama.baseUrl']],
      ['Set OpenAI API Key', 'keel.setOpenAIKey', undefined],
      ['Show Log', 'keel.showLog', undefined],
    ]);
  });

  it('put the caller\'s fixes first, then the named ones, each command once, three buttons at most', () => {
    const message = 'Pick another model with "Keel: Configure Models…"; check "keel.openai.model" or "keel.router.models" and "Keel: Set OpenAI API Key".';
    const fixes = fixesFor(message, commands, settings, [{ label: 'Configure Models…', command: 'keel.configureModels' }, { label: 'Retry', command: 'keel.runTask' }]);
    assert.deepEqual(fixes.map((f) => f.label), ['Configure Models…', 'Retry', 'Open Settings']);
  });

  it('find a command the host names in English when VS Code shows its title in another language', () => {
    const german = commands.map((c) => (c.command === 'keel.setOpenAIKey' ? { ...c, title: 'OpenAI-API-Schlüssel festlegen', englishTitle: c.title } : c));
    const fixes = fixesFor('Store an OpenAI key with "Keel: Set OpenAI API Key".', german, settings);
    assert.deepEqual(fixes.map((f) => [f.label, f.command]), [['OpenAI-API-Schlüssel festlegen', 'keel.setOpenAIKey'], ['Show Log', 'keel.showLog']]);
  });

  it('can look each command\'s English title up by its id, as errors.ts does (command.<id without keel.>)', () => {
    const raw = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { commands: { command: string; title: string }[] } };
    for (const c of raw.contributes.commands) assert.equal(c.title, `%command.${c.command.replace(/^keel\./, '')}%`, c.command);
  });

  it('offer nothing for names that are not Keel\'s commands or settings', () => {
    const fixes = fixesFor('Run "Keel: Format Disk" or set "keel.no.such.setting"; "Git: Commit".', commands, settings);
    assert.deepEqual(fixes.map((f) => f.label), ['Show Log']);
  });

  it('say "Keel:" once and no sentence twice', () => {
    assert.equal(notificationText('Keel could not retry "fix it": the host stopped.'), 'Keel could not retry "fix it": the host stopped.');
    assert.equal(notificationText('the run failed.'), 'Keel: the run failed.');
    assert.equal(
      notificationText('The run failed: Could not reach Ollama at http://127.0.0.1:11434. Start Ollama with ollama serve. Start Ollama with ollama serve.'),
      'Keel: The run failed: Could not reach Ollama at http://127.0.0.1:11434. Start Ollama with ollama serve.',
    );
  });

  it('show the host\'s message without the language client\'s wrapper', () => {
    assert.equal(withoutClientWrapper('Request model/discoverOllama failed with message: Could not reach Ollama at http://127.0.0.1:9.'), 'Could not reach Ollama at http://127.0.0.1:9.');
    assert.equal(withoutClientWrapper('Could not reach Ollama. Request x failed with message: y'), 'Could not reach Ollama. Request x failed with message: y');
  });

  it('keep a huge or odd message whole and fast', () => {
    const huge = `${'"Keel: x" '.repeat(20_000)}${'a.'.repeat(50_000)}`;
    const started = performance.now();
    assert.deepEqual(fixesFor(huge, commands, settings).map((f) => f.label), ['Show Log']);
    assert.ok(notificationText(huge).startsWith('Keel: '));
    assert.ok(performance.now() - started < 1000);
  });

  it('takes apart the Markdown links a model could write into a run\'s answer, which a notification would make clickable', () => {
    const answer = 'Done. [Open the changed file](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%20-rf%20~%5Cn%22%7D) or [see](https://attacker.example/x "t").';
    const shown = withoutLinks(answer);
    // VS Code's notification link pattern finds nothing left.
    assert.equal(/\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi.test(shown), false);
    assert.match(shown, /^Done\. \[Open the changed file\] \(command:/);
    assert.equal(/\]\(/.test(notificationText(answer)), false, 'errors and warnings go through it too');
  });
});
