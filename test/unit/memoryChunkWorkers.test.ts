import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { save } from '@orama/orama';
import { WorkspaceIndex } from '../../host/memory';
import { ChunkPool, sharedChunkPool } from '../../host/memory/workspaceIndex/chunking/chunkPool';
import type { ChunkDb } from '../../host/memory/workspaceIndex/chunkDb';
import { readRecords } from '../../host/memory/workspaceIndex/recordLog';
import { defaultWasmDir } from '../../host/memory/workspaceIndex/chunking/treeSitter';
import { realSourceTree } from '../memory/sourceTree';
import { tempDir } from './helpers';

describe('memory chunking workers', function () {
  this.timeout(60_000);
  let root: string;

  before(async () => {
    // Enough files for an update to use the workers, and chunks for a reopened index to: the real tree, two copies
    // with every file edited, and an exact copy.
    root = await realSourceTree();
    for (const copy of ['edited', 'edited-again']) {
      for (const folder of ['zod', 'minimatch', 'flatted']) {
        await cp(join(root, folder), join(root, copy, folder), { recursive: true });
        for (const name of await readdir(join(root, copy, folder))) await writeFile(join(root, copy, folder, name), `${await readFile(join(root, copy, folder, name), 'utf8')}\n// ${copy}\n`);
      }
    }
    await cp(join(root, 'zod'), join(root, 'twin'), { recursive: true });
  });

  const snapshotOf = (index: WorkspaceIndex) => JSON.stringify(save((index as unknown as { files: { db: ChunkDb } }).files.db));

  async function indexWith(chunkWorkers: boolean) {
    const store = await tempDir('keel-memory-workers-');
    const index = await WorkspaceIndex.open(root, store, { chunkWorkers });
    const result = await index.update();
    const snapshot = snapshotOf(index);
    const hits = await index.search('parse a glob pattern into a regular expression', { limit: 20 });
    const chunks = index.stats().chunks;
    await index.close();
    const records = [...(await readRecords(store)).values()].map((r) => JSON.stringify(r)).sort();
    return { result, snapshot, hits, records, chunks, store };
  }

  it('builds exactly the index that chunking on one thread builds: records, Orama data and rankings', async () => {
    const workers = await indexWith(true);
    assert.ok((sharedChunkPool(defaultWasmDir()) as unknown as { workers: unknown[] }).workers.length > 0, 'no worker was started');
    const single = await indexWith(false);
    assert.ok(workers.result.indexed > 70, `${workers.result.indexed} files`);
    assert.deepEqual(workers.result, single.result);
    assert.deepEqual(workers.records, single.records);
    assert.ok(workers.snapshot === single.snapshot, 'the Orama snapshots differ');
    assert.deepEqual(workers.hits, single.hits);

    // Reopening rebuilds Orama from the records, with the workers tokenizing ahead of the inserts.
    assert.ok(workers.chunks > 2000, `${workers.chunks} chunks`);
    const reopened = await WorkspaceIndex.open(root, workers.store, { chunkWorkers: true });
    const reopenedHere = await WorkspaceIndex.open(root, single.store, { chunkWorkers: false });
    assert.ok(snapshotOf(reopened) === snapshotOf(reopenedHere), 'the reopened Orama snapshots differ');
    assert.deepEqual(await reopened.search('parse a glob pattern into a regular expression', { limit: 20 }), workers.hits);
    await Promise.all([reopened.close(), reopenedHere.close()]);
  });

  it('reports a file it cannot read as a failed request, which the index then retries on its own thread', async () => {
    const pool = new ChunkPool(defaultWasmDir(), 1);
    try {
      const [chunked] = await pool.chunk(root, 1 << 20, [{ path: 'zod/util.ts', size: 1, mtimeMs: 0 }]);
      assert.equal(chunked?.kind, 'chunked');
      assert.ok(chunked?.kind === 'chunked' && chunked.chunks.length === chunked.joinedTokens?.length);
      await assert.rejects(pool.chunk(root, 1 << 20, [{ path: 'missing.ts', size: 1, mtimeMs: 0 }]), /ENOENT/);
    } finally {
      await pool.dispose();
    }
  });
});
