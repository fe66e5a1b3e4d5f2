import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EpisodeStore, type Episode } from '../../host/memory';
import { tempDir } from './helpers';

function episode(runId: string, goal: string, summary = 'Done.', outcome: Episode['outcome'] = 'succeeded'): Episode {
  return { runId, goal, outcome, summary, filesTouched: ['src/a.ts'], toolsUsed: ['read_file'], tokens: { input: 1200, output: 300 }, finishedAt: '2026-11-24T10:00:00.000Z' };
}

describe('memory episodes', () => {
  it('records finished runs and finds the ones with similar goals, across restarts', async () => {
    const dir = await tempDir('keel-episodes-');
    const store = await EpisodeStore.open(dir);
    assert.deepEqual(await store.search('anything'), []);
    await store.record(episode('r1', 'Fix the flaky retryWithBackoff test in the HTTP client'));
    await store.record(episode('r2', 'Add dark mode to the settings page', 'Added a theme toggle.'));
    await store.record(episode('r3', 'Rename parseConfig to loadConfig', 'Renamed in 4 files.', 'failed'));
    await store.close();

    const reopened = await EpisodeStore.open(dir);
    assert.equal(reopened.size, 3);
    const hits = await reopened.search('the retry backoff test is flaky again', 2);
    assert.equal(hits[0]!.runId, 'r1');
    assert.equal(hits[0]!.tokens.input, 1200);
    assert.deepEqual((await reopened.search('theme toggle')).map((h) => h.runId), ['r2'], 'summaries are searched too');
    assert.deepEqual((await reopened.search('config parse')).map((h) => [h.runId, h.outcome]), [['r3', 'failed']]);
    await reopened.close();
  });

  it('rejects malformed episodes with the field at fault, and survives a torn line', async () => {
    const dir = await tempDir('keel-episodes-');
    const store = await EpisodeStore.open(dir);
    await assert.rejects(store.record({ ...episode('r1', 'x'), outcome: 'exploded' as never }), /Not a valid episode .*outcome/s);
    await store.record(episode('r1', 'Upgrade the lint config'));
    await store.close();
    await appendFile(join(dir, 'episodes.jsonl'), '{"runId":"torn","goal":"Half writ');

    const reopened = await EpisodeStore.open(dir);
    assert.equal(reopened.size, 1);
    await reopened.record(episode('r2', 'Write the release notes'));
    await reopened.close();
    const again = await EpisodeStore.open(dir);
    assert.deepEqual((await again.search('release notes')).map((h) => h.runId), ['r2']);
    assert.equal(again.size, 2);
    assert.equal((await readFile(join(dir, 'episodes.jsonl'), 'utf8')).split('\n').filter(Boolean).length, 3);
    await again.close();
  });
});
