import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChunkFeed, type ChunkFeedOptions } from '../../host/memory/workspaceIndex/chunking/chunkFeed';
import type { ChunkedContent, FileToChunk } from '../../host/memory/workspaceIndex/chunking/fileChunks';

/** Batch b holds files `b-0` and `b-1` of `sizeOf(b)` bytes each; a file's "chunked content" names it and who chunked it. */
function feed(batches: number, workers?: ChunkFeedOptions['workers'], sizeOf: (batch: number) => number = () => 1) {
  const chunkedHere: number[] = [];
  const filesOf = (batch: number): FileToChunk[] => [0, 1].map((i) => ({ path: `${batch}-${i}`, size: sizeOf(batch), mtimeMs: 0 }));
  const contents = (files: readonly FileToChunk[], by: string): ChunkedContent[] => files.map((f) => ({ kind: 'skipped', hash: f.path, reason: by }));
  const here = async (files: readonly FileToChunk[]) => {
    chunkedHere.push(Number(files[0]!.path.split('-')[0]));
    return contents(files, 'here');
  };
  return { feed: new ChunkFeed({ batches, filesOf, here, ...(workers ? { workers } : {}) }), chunkedHere, contents };
}

async function drain(chunkFeed: ChunkFeed, batches: number): Promise<ChunkedContent[][]> {
  const all: ChunkedContent[][] = [];
  for (let i = 0; i < batches; i++) all.push(await chunkFeed.next());
  return all;
}

const hashes = (all: ChunkedContent[][]) => all.map((batch) => batch.map((c) => c.hash));
const expected = (batches: number) => Array.from({ length: batches }, (_, b) => [`${b}-0`, `${b}-1`]);

describe('memory chunk feed', () => {
  it('without workers, chunks every batch on the calling thread, in order', async () => {
    const { feed: chunkFeed, chunkedHere } = feed(5);
    assert.deepEqual(hashes(await drain(chunkFeed, 5)), expected(5));
    assert.deepEqual(chunkedHere, [0, 1, 2, 3, 4]);
  });

  it('chunks later batches itself while a slow worker holds the next one, and still returns them in order', async () => {
    let workerBatches = 0;
    const { feed: chunkFeed, chunkedHere, contents } = feed(40, {
      size: 1,
      chunk: async (files) => {
        workerBatches++;
        await sleep(20);
        return contents(files, 'worker');
      },
    });
    const all = await drain(chunkFeed, 40);
    assert.deepEqual(hashes(all), expected(40));
    assert.ok(chunkedHere.length > 0 && workerBatches > 0, `${chunkedHere.length} here, ${workerBatches} with the worker`);
    assert.equal(chunkedHere.length + workerBatches, 40, 'every batch is chunked exactly once');
    for (const b of chunkedHere) assert.ok(all[b]!.every((c) => c.kind === 'skipped' && c.reason === 'here'));
  });

  it('keeps the order when workers reply while the calling thread is waiting in the middle of a batch', async () => {
    // Chunking here can wait on I/O (a grammar loading for the first time), and workers' replies arrive meanwhile.
    const chunkedHere: number[] = [];
    const filesOf = (batch: number): FileToChunk[] => [0, 1].map((i) => ({ path: `${batch}-${i}`, size: 1, mtimeMs: 0 }));
    const contents = (files: readonly FileToChunk[], by: string): ChunkedContent[] => files.map((f) => ({ kind: 'skipped', hash: f.path, reason: by }));
    let queue: Promise<ChunkedContent[]> = Promise.resolve([]);
    const chunkFeed = new ChunkFeed({
      batches: 30,
      filesOf,
      here: async (files) => {
        chunkedHere.push(Number(files[0]!.path.split('-')[0]));
        await sleep(15);
        return contents(files, 'here');
      },
      workers: {
        size: 1,
        // One batch at a time, as a worker thread takes them.
        chunk: (files) => {
          queue = queue.then(() => sleep(4)).then(() => contents(files, 'worker'));
          return queue;
        },
      },
    });
    assert.deepEqual(hashes(await drain(chunkFeed, 30)), expected(30));
    assert.ok(chunkedHere.length > 0, 'the calling thread chunked nothing');
  });

  it('leaves large batches to the workers, taking the small ones after them itself', async () => {
    const large = (batch: number) => batch % 3 === 1;
    let workerBatches = 0;
    const { feed: chunkFeed, chunkedHere, contents } = feed(
      40,
      {
        size: 1,
        chunk: async (files) => {
          workerBatches++;
          await sleep(20);
          return contents(files, 'worker');
        },
      },
      (batch) => (large(batch) ? 200 * 1024 : 1000),
    );
    assert.deepEqual(hashes(await drain(chunkFeed, 40)), expected(40));
    assert.ok(chunkedHere.length > 3, `chunked here: ${chunkedHere.join(', ')}`);
    assert.deepEqual(chunkedHere.filter(large), [], 'a batch of 400 KiB was chunked on the calling thread');
    assert.equal(chunkedHere.length + workerBatches, 40);
  });

  it('leaves the work to a worker that keeps up', async () => {
    const { feed: chunkFeed, chunkedHere, contents } = feed(30, { size: 1, chunk: async (files) => contents(files, 'worker') });
    const all = await drain(chunkFeed, 30);
    assert.deepEqual(hashes(all), expected(30));
    // The first batch is never ready the moment it is sent; after that the worker is ahead.
    assert.ok(chunkedHere.length <= 1, `chunked here: ${chunkedHere.join(', ')}`);
  });

  it('chunks a batch the worker failed on the calling thread', async () => {
    const { feed: chunkFeed, chunkedHere, contents } = feed(6, {
      size: 1,
      chunk: async (files) => {
        if (files[0]!.path.startsWith('2-')) throw new Error('the worker stopped');
        return contents(files, 'worker');
      },
    });
    const all = await drain(chunkFeed, 6);
    assert.deepEqual(hashes(all), expected(6));
    assert.ok(chunkedHere.includes(2));
    assert.ok(all[2]!.every((c) => c.kind === 'skipped' && c.reason === 'here'));
  });

  it('hands nothing more to the workers once stopped', async () => {
    let sent = 0;
    const { feed: chunkFeed, contents } = feed(100, {
      size: 1,
      chunk: async (files) => {
        sent++;
        return contents(files, 'worker');
      },
    });
    await chunkFeed.next();
    chunkFeed.stop();
    const before = sent;
    await sleep(10);
    assert.equal(sent, before);
    assert.ok(sent < 100);
  });
});
