import assert from 'node:assert/strict';
import type { RunState } from '../../protocol/rpc/runs';
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
});
