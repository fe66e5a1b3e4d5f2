import assert from 'node:assert/strict';
import { PANEL_MESSAGE_CHARS, PANEL_MESSAGES, panelTranscript } from '../../extension/runs/panelTranscript';
import type { RunMessage, RunState } from '../../protocol/rpc/runs';
import { MAX_RUN_MESSAGE_CHARS, offers, parseFromRunsView, RUN_ACTIONS } from '../../protocol/runsView';

describe('Runs list messages', () => {
  describe('parseFromRunsView', () => {
    it('accepts what the panel sends', () => {
      for (const message of [
        { type: 'ready' },
        { type: 'runTask' },
        { type: 'select' },
        { type: 'select', runId: 'run-1' },
        { type: 'action', runId: 'run-1', action: 'undo' },
        { type: 'action', runId: 'run-1', action: 'openTrace' },
        { type: 'message', runId: 'run-1', action: 'continue', text: 'now add a test' },
        { type: 'message', runId: 'run-1', action: 'steer', text: 'x'.repeat(MAX_RUN_MESSAGE_CHARS) },
      ]) {
        assert.deepEqual(parseFromRunsView(message), message);
      }
    });

    it('ignores anything else: unknown types and actions, missing or oversized ids, empty or oversized messages', () => {
      for (const message of [
        null,
        undefined,
        'ready',
        42,
        [],
        { type: 'eval', code: 'alert(1)' },
        { type: 'select', runId: '' },
        { type: 'select', runId: 7 },
        { type: 'action', runId: 'run-1', action: 'deleteEverything' },
        { type: 'action', runId: 'run-1', action: 'continue' },
        { type: 'action', runId: 'r'.repeat(201), action: 'undo' },
        { type: 'action', action: 'undo' },
        { type: 'message', runId: 'run-1', action: 'undo', text: 'hi' },
        { type: 'message', runId: 'run-1', action: 'continue', text: '   \n ' },
        { type: 'message', runId: 'run-1', action: 'continue', text: 'x'.repeat(MAX_RUN_MESSAGE_CHARS + 1) },
        { type: 'message', runId: 'run-1', action: 'steer', text: { toString: () => 'hi' } },
        { type: 'action', runId: 'run-1', action: 'toString' },
        { type: 'action', runId: 'run-1', action: '__proto__' },
      ]) {
        assert.equal(parseFromRunsView(message), undefined, JSON.stringify(message));
      }
    });

    it('keeps only the fields it knows', () => {
      assert.deepEqual(parseFromRunsView({ type: 'action', runId: 'run-1', action: 'cancel', confirmed: true, __proto__: { evil: 1 } }), { type: 'action', runId: 'run-1', action: 'cancel' });
      assert.deepEqual(parseFromRunsView({ type: 'ready', html: '<img src=x onerror=alert(1)>' }), { type: 'ready' });
    });
  });

  describe('the actions each state offers', () => {
    const run = (state: RunState, filesChanged = 0) => ({ state, filesChanged });

    it('resumes interrupted runs, retries failed ones, steers and cancels running ones, continues ended ones', () => {
      assert.ok(offers(run('interrupted'), 'resume'));
      assert.ok(!offers(run('interrupted'), 'continue'), 'an interrupted run is resumed, not continued');
      assert.ok(offers(run('failed'), 'retry') && offers(run('failed'), 'dismiss'));
      assert.ok(offers(run('running'), 'steer') && offers(run('running'), 'cancel'));
      assert.ok(!offers(run('running'), 'continue') && !offers(run('running'), 'undo'), 'a running run is neither continued nor undone');
      assert.ok(offers(run('waiting'), 'showApprovals'));
      for (const state of ['succeeded', 'cancelled', 'failed'] as const) assert.ok(offers(run(state), 'continue'), state);
      for (const state of ['succeeded', 'cancelled'] as const) assert.ok(!offers(run(state), 'resume') && !offers(run(state), 'steer'), state);
    });

    it('offers undo only for an ended run that changed files', () => {
      assert.ok(!offers(run('succeeded', 0), 'undo'));
      assert.ok(offers(run('succeeded', 2), 'undo'));
      assert.ok(!offers(run('running', 2), 'undo'));
      assert.ok(!offers(run('interrupted', 2), 'undo'));
    });

    it('lets every run open its trace', () => {
      for (const state of Object.keys(RUN_ACTIONS) as RunState[]) assert.ok(offers(run(state), 'openTrace'), state);
    });
  });

  describe('the conversation the panel shows', () => {
    const at = '2026-01-01T00:00:00.000Z';

    it('keeps a short conversation as it is', () => {
      const messages: RunMessage[] = [
        { role: 'user', kind: 'goal', text: 'summarize notes.txt', at },
        { role: 'tool', tool: 'read_file', summary: 'notes.txt', ok: true, agent: 'keel', at },
        { role: 'assistant', text: 'notes.txt has 3 lines.', agent: 'keel', at },
      ];
      assert.deepEqual(panelTranscript(messages), { messages, earlier: 0 });
    });

    it('shows the newest messages of a long run and counts the earlier ones', () => {
      const messages: RunMessage[] = Array.from({ length: PANEL_MESSAGES + 25 }, (_, i) => ({ role: 'assistant', text: `step ${i}`, agent: 'keel', at }));
      const shown = panelTranscript(messages);
      assert.equal(shown.earlier, 25);
      assert.equal(shown.messages.length, PANEL_MESSAGES);
      assert.deepEqual(shown.messages.at(-1), messages.at(-1), 'the newest message is kept');
      assert.equal((shown.messages[0] as { text: string }).text, 'step 25');
    });

    it('cuts a huge text short and says how much is left to the trace', () => {
      const huge = 'x'.repeat(PANEL_MESSAGE_CHARS * 50);
      const [user, assistant] = panelTranscript([
        { role: 'user', kind: 'continue', text: huge, at },
        { role: 'assistant', text: huge, agent: 'keel', at },
      ]).messages as { text: string }[];
      for (const message of [user!, assistant!]) {
        assert.ok(message.text.length < PANEL_MESSAGE_CHARS + 100, `${message.text.length} characters`);
        assert.match(message.text, new RegExp(`\\[${huge.length - PANEL_MESSAGE_CHARS} more characters; Open Trace shows them all\\]$`));
      }
    });
  });
});
