import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { encodeRecord, readRecords, RecordLog, type FileRecord } from '../../host/memory/workspaceIndex/recordLog';
import { rejection, tempDir } from './helpers';

const META = { format: 1, chunker: 1, embedder: null };

function record(path: string, text = `export const ${path.replace(/\W/g, '_')} = 1;`): FileRecord {
  return { path, hash: `hash-${path}`, size: text.length, mtimeMs: 1, language: 'typescript', chunks: [[1, 1, null, text]] };
}

describe('memory record log', () => {
  it('stores records given as objects or already encoded, in order, the later line for a path winning', async () => {
    const dir = await tempDir('keel-record-log-');
    const { log } = await RecordLog.open(dir, META);
    await log.put([{ record: record('a.ts'), replaces: false }, { record: encodeRecord(record('b.ts', 'naïve — “quotes” \n and a newline')), replaces: false }]);
    await log.put([{ record: encodeRecord(record('a.ts', 'export const a = 2;')), replaces: true }]);
    await log.delete('b.ts');
    await log.put([{ record: record('c.ts'), replaces: false }]);
    await log.sync(() => []);
    await log.close();
    const records = await readRecords(dir);
    assert.deepEqual([...records.keys()], ['a.ts', 'c.ts']);
    assert.equal(records.get('a.ts')!.chunks[0]![3], 'export const a = 2;');

    const { records: reopened } = await RecordLog.open(dir, META);
    assert.deepEqual(reopened, records);
  });

  it('reports a write that failed behind the caller at the next put, and again at sync', async () => {
    const dir = await tempDir('keel-record-log-');
    const { log } = await RecordLog.open(dir, META);
    await log.put([{ record: record('a.ts'), replaces: false }]);
    await log.sync(() => []);
    // The file handle closed under the log: its next append fails after put() has returned.
    await (log as unknown as { handle: FileHandle }).handle.close();
    await log.put([{ record: record('b.ts'), replaces: false }]);
    assert.match((await rejection(log.put([{ record: record('c.ts'), replaces: false }]))).message, /EBADF|closed/);
    assert.match((await rejection(log.sync(() => []))).message, /EBADF|closed/);
    assert.deepEqual([...(await readRecords(dir)).keys()], ['a.ts'], 'what was written before the failure is kept');
  });
});
