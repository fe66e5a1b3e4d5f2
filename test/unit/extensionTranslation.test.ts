import assert from 'node:assert/strict';
import * as l10n from '@vscode/l10n';
import type { RunMessage } from '../../protocol/rpc';
import { describeEntry } from '../../extension/models/catalogEdits';
import { panelTranscript, PANEL_MESSAGE_CHARS } from '../../extension/runs/panelTranscript';
import { mcpStateLabel, riskLabel } from '../../protocol/stateLabels';
import { parseAgentTriggers } from '../../extension/triggers/agentTriggers';
import { parseTriggerFile } from '../../extension/triggers/triggerFile';
import { compareLines, type RunFigures } from '../../webview-ui/model/compare';
import { statusLabel } from '../../webview-ui/model/labels';

/** A display language's bundle, as extension.ts hands vscode.l10n.bundle to @vscode/l10n at activation. */
const PSEUDO: Record<string, string> = {
  'must be a cron expression, e.g. {0} (03:00 every day)': 'ɱüšţ ƀé å çŕöñ: {0}',
  'only the first {0} triggers are used.': 'öñļý ţĥé ƒîŕšţ {0}.',
  '{0} more characters; Open Trace shows them all': '{0} ɱöŕé',
  free: 'ƒŕéé',
  execute: 'éxéçüţé',
  'needs a sign-in': 'ñééðš šîĝñ-îñ',
  succeeded: 'šüççééðéð',
};

const BAD_CRON = '{ "triggers": [{ "name": "a", "on": { "schedule": "every day" }, "goal": "g" }] }';
const MANY_TRIGGERS = ['---', 'triggers:', ...Array.from({ length: 21 }, (_, i) => `  - { name: t${i}, on: { command: true }, goal: g }`), '---', ''].join('\n');
const LONG: RunMessage[] = [{ role: 'assistant', text: 'x'.repeat(PANEL_MESSAGE_CHARS + 5), agent: 'keel', at: '2026-01-01T00:00:00Z' }];
const shownText = (message: RunMessage | undefined) => (message && message.role !== 'tool' ? message.text : '');
const figures = (outcome: string): RunFigures => ({ goal: 'g', models: [], outcome, steps: 1, inputTokens: 0, outputTokens: 0, costUsd: 0, errors: 0, durationMs: 0, toolCalls: new Map() });

describe('the vscode-free modules speak the display language', () => {
  afterEach(() => l10n.config({ contents: {} }));

  it('translates trigger problems when they are found (the schema is built at import), the panel cut, model descriptions and state words; the data keeps its value', () => {
    l10n.config({ contents: PSEUDO });
    const cron = parseTriggerFile(BAD_CRON);
    assert.ok(!cron.ok);
    assert.equal(cron.message, '.keel/triggers.json, triggers.0.on.schedule: ɱüšţ ƀé å çŕöñ: "0 3 * * *".');
    assert.deepEqual(parseAgentTriggers('.keel/agents/a.md', MANY_TRIGGERS, '.md').problems.map((p) => p.message), ['.keel/agents/a.md: öñļý ţĥé ƒîŕšţ 20.']);
    assert.equal(shownText(panelTranscript(LONG).messages[0]), `${'x'.repeat(PANEL_MESSAGE_CHARS)}… [5 ɱöŕé]`);
    assert.equal(describeEntry({ provider: 'ollama', local: true }), 'ollama · local · ƒŕéé · fallback only');
    assert.deepEqual([riskLabel('execute'), riskLabel('read'), mcpStateLabel('needs-sign-in'), statusLabel('succeeded'), statusLabel('made-up')], ['éxéçüţé', 'read', 'ñééðš šîĝñ-îñ', 'šüççééðéð', 'made-up']);
    const outcome = compareLines(figures('succeeded'), figures('failed')).find((line) => line.label === 'Outcome')!;
    assert.deepEqual([outcome.left, outcome.right, outcome.differs], ['šüççééðéð', 'failed', true]);
  });

  it('stays English without a bundle', () => {
    const cron = parseTriggerFile(BAD_CRON);
    assert.ok(!cron.ok);
    assert.match(cron.message, /must be a cron expression, e\.g\. "0 3 \* \* \*" \(03:00 every day\)\.$/);
    assert.match(parseAgentTriggers('.keel/agents/a.md', MANY_TRIGGERS, '.md').problems[0]!.message, /only the first 20 triggers are used\.$/);
    assert.match(shownText(panelTranscript(LONG).messages[0]), /… \[5 more characters; Open Trace shows them all\]$/);
    assert.equal(describeEntry({ provider: 'ollama', local: true }), 'ollama · local · free · fallback only');
    assert.equal(mcpStateLabel('needs-sign-in'), 'needs a sign-in');
  });
});
