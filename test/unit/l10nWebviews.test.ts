import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { getL10nPseudoLocalized } from '@vscode/l10n-dev';
import type { RunListEntry } from '../../protocol/rpc/runs';
import { formatDuration } from '../../webview-ui/duration';
import { configureL10n } from '../../webview-ui/l10n';
import { windowName } from '../../webview-ui/metrics/format';
import { buttonLabel, composeText, speaker, stateLabel, summary, type ButtonAction } from '../../webview-ui/runs/labels';

const BUNDLE = JSON.parse(readFileSync(join(__dirname, '..', '..', 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
const ACTIONS: readonly ButtonAction[] = ['resume', 'retry', 'showApprovals', 'cancel', 'undo', 'dismiss', 'openTrace'];

function run(state: RunListEntry['state']): RunListEntry {
  return { runId: `run-${state}`, goal: 'fix the build', state, startedAt: '2026-01-01T00:00:00Z', steps: 2, filesChanged: 0, kind: 'agent' } as RunListEntry;
}

describe('translated webviews', () => {
  // @vscode/l10n keeps one bundle per page; each test leaves English behind.
  afterEach(() => l10n.config({ contents: {} }));

  it('render English when the page carries no translations', () => {
    configureL10n(undefined);
    assert.equal(buttonLabel('resume'), 'Resume');
    assert.equal(summary([run('waiting'), run('running')]), '2 runs: 1 waiting on you, 1 running');
  });

  it('render the translations the page carries in data-l10n, with their placeholders filled', () => {
    configureL10n(JSON.stringify({ 'Resume': '[Rèsümé]', 'waiting on you': '[wäitïng]', '{0} runs': '[{0} rüns]', '{0}: {1}': '{0} — {1}', 'the last 24 hours': '[24 hörs]', '{0} min {1} s': '{0} мин {1} с' }));
    assert.equal(buttonLabel('resume'), '[Rèsümé]');
    assert.equal(buttonLabel('retry'), 'Retry', 'a message the bundle lacks stays English');
    assert.equal(stateLabel('waiting'), '[wäitïng]');
    assert.equal(summary([run('waiting'), run('succeeded')]), '[2 rüns] — 1 [wäitïng]');
    assert.equal(windowName('24h'), '[24 hörs]');
    assert.equal(formatDuration(125_000), '2 мин 5 с', 'durations in every webview');
  });

  it('find every Runs list label in the committed bundle (a pseudo-translation changes them all)', () => {
    configureL10n(JSON.stringify(getL10nPseudoLocalized(BUNDLE)));
    const english = (text: string) => /^[\x20-\x7e…]*$/.test(text);
    const labels = [...ACTIONS.map(buttonLabel), stateLabel('interrupted'), composeText('steer').label, composeText('continue').submit, speaker({ role: 'user', kind: 'goal' }, undefined), summary([])];
    assert.deepEqual(labels.filter(english), [], 'untranslated: not in l10n/bundle.l10n.json (run `npm run l10n`)');
  });

  it('keep English for translations that are not a JSON object of messages', () => {
    for (const garbage of ['not json', '[1, 2]', 'null', '"Resume"', '{"Resume": 5}', '{"Resume": {"comment": ["x"]}}', '{"Resume": {"message": 5}}']) {
      assert.doesNotThrow(() => configureL10n(garbage), garbage);
      assert.equal(buttonLabel('resume'), 'Resume', garbage);
    }
  });

  it('take a message kept in the English bundle\'s { message, comment } form, as a translator may leave it', () => {
    configureL10n('{"Resume": {"message": "[qps] Resume", "comment": ["a button"]}}');
    assert.equal(buttonLabel('resume'), '[qps] Resume');
    configureL10n('{}');
  });
});
