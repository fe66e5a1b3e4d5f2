import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeadLetterQueue } from '../../host/orchestration/durable/deadLetters';
import { tempDir } from './helpers';

const task = (runId: string) => ({ runId, goal: `goal ${runId}`, agent: 'keel', message: 'failed', failedAt: new Date().toISOString(), steps: 1 });

describe('dead-letter queue file', () => {
  it('reads past garbage, a torn last line and records of the wrong shape, and keeps appending cleanly', async () => {
    const dir = await tempDir();
    await new DeadLetterQueue(dir).add(task('a'));
    await appendFile(join(dir, 'dead-letters.jsonl'), '\u0000\u00ff not json\nnull\n42\n{"type":"failed","task":{"goal":"no id"}}\n{"type":"failed","task":7}\n{"type":"removed"');
    const queue = new DeadLetterQueue(dir);
    assert.deepEqual((await queue.list()).map((t) => t.runId), ['a']);
    assert.equal(queue.count, 1);
    await queue.add(task('b'));
    assert.deepEqual((await new DeadLetterQueue(dir).list()).map((t) => t.runId).sort(), ['a', 'b']);
  });

  it('treats a missing or unreadable file as an empty queue', async () => {
    const dir = await tempDir();
    assert.deepEqual(await new DeadLetterQueue(dir).list(), []);
    await writeFile(join(dir, 'dead-letters.jsonl'), 'x'.repeat(1000));
    const queue = new DeadLetterQueue(dir);
    assert.deepEqual(await queue.list(), []);
    assert.equal(await queue.remove('a', 'dismissed'), false);
    assert.match(await readFile(join(dir, 'dead-letters.jsonl'), 'utf8'), /^x+$/);
  });
});
