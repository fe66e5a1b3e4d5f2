import type { ChunkedContent, FileToChunk } from './fileChunks';

/** How many batches each chunking worker may hold at once: enough that it never waits for the index's thread. */
const BATCHES_PER_WORKER = 4;
/** How many batches may be chunked (by workers or this thread) before the index has taken the first one's results. */
const MAX_BATCHES_AHEAD = 64;
/**
 * The calling thread chunks a batch only up to this size: parsing blocks its event loop (0.4 s for a batch holding
 * two 1 MB generated files), and a larger batch is left to the workers.
 */
const MAX_BYTES_HERE = 256 * 1024;

interface Batch {
  readonly contents: Promise<ChunkedContent[]>;
  ready: boolean;
}

export interface ChunkFeedOptions {
  /** How many batches there are. */
  readonly batches: number;
  readonly filesOf: (batch: number) => FileToChunk[];
  /** Chunks files on the calling thread. */
  readonly here: (files: readonly FileToChunk[]) => Promise<ChunkedContent[]>;
  /** Chunks files on worker threads; without it, every batch is chunked here. */
  readonly workers?: { readonly size: number; chunk(files: readonly FileToChunk[]): Promise<ChunkedContent[]> };
}

/**
 * The chunked contents of an update's files, one batch at a time, in order. The workers are each kept a few batches
 * ahead, so parsing overlaps with the index inserting the batches before. While the next batch is still with a
 * worker, the calling thread chunks a later one itself rather than wait: with few cores, the workers are the slower
 * side. A batch a worker fails is chunked here.
 */
export class ChunkFeed {
  /** By batch number; a batch taken by the index is dropped (undefined), so that its contents can be collected. */
  private readonly batches: (Batch | undefined)[] = [];
  private consumed = 0;
  private withWorkers = 0;
  private stopped = false;

  constructor(private readonly options: ChunkFeedOptions) {}

  async next(): Promise<ChunkedContent[]> {
    this.fill();
    while (!this.stopped && this.batches[this.consumed]?.ready === false && this.canTakeMore()) {
      // A large batch goes to the workers out of turn, so that this thread can take the one after it.
      if (this.nextIsSmall()) await this.chunkNextHere();
      else this.sendToWorkers();
      this.fill();
    }
    const contents = this.batches[this.consumed]?.contents ?? this.options.here(this.options.filesOf(this.consumed));
    this.batches[this.consumed] = undefined;
    this.consumed++;
    this.fill();
    return contents;
  }

  /** No more batches are handed out; those with the workers finish unread. */
  stop(): void {
    this.stopped = true;
  }

  private canTakeMore(): boolean {
    return this.batches.length < this.options.batches && this.batches.length - this.consumed < MAX_BATCHES_AHEAD;
  }

  private nextIsSmall(): boolean {
    return this.options.filesOf(this.batches.length).reduce((bytes, file) => bytes + file.size, 0) <= MAX_BYTES_HERE;
  }

  private fill(): void {
    const workers = this.options.workers;
    while (workers && !this.stopped && this.canTakeMore() && this.withWorkers < workers.size * BATCHES_PER_WORKER) this.sendToWorkers();
  }

  private sendToWorkers(): void {
    const files = this.options.filesOf(this.batches.length);
    const batch: Batch = { contents: this.options.workers!.chunk(files).catch(() => this.options.here(files)), ready: false };
    this.withWorkers++;
    const settled = () => {
      batch.ready = true;
      this.withWorkers--;
      this.fill();
    };
    batch.contents.then(settled, settled);
    this.batches.push(batch);
  }

  private async chunkNextHere(): Promise<void> {
    // The batch takes its place first: chunking may wait on I/O, and workers' replies meanwhile hand out more batches.
    const batch: Batch = { contents: this.options.here(this.options.filesOf(this.batches.length)), ready: false };
    this.batches.push(batch);
    await batch.contents;
    batch.ready = true;
    // A turn of the event loop, for the workers' replies that arrived meanwhile to mark their batches ready.
    await new Promise(setImmediate);
  }
}
