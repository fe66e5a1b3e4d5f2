import * as l10n from '@vscode/l10n';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { translationsInUse } from '../../../../protocol/translations';
import type { ChunkReply, ChunkRequest, ChunkWorkerData } from './chunkMessages';
import type { ChunkedContent, FileToChunk } from './fileChunks';

/** More threads than this only contend with the host's own inserts for cores. */
const MAX_WORKERS = 2;
/** Idle workers are stopped after this long: each holds a V8 heap and the grammars. */
const IDLE_MS = 30_000;
/** After this many workers in a row fail, chunking stays on the host's thread. */
const MAX_FAILURES = 3;

interface Pending {
  readonly resolve: (reply: ChunkReply) => void;
  readonly reject: (error: Error) => void;
}

class ChunkWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;

  constructor(script: { file: string; eval: boolean }, data: ChunkWorkerData, onExit: (worker: ChunkWorker, error: Error) => void) {
    this.worker = new Worker(script.file, { eval: script.eval, workerData: data, execArgv: [] });
    this.worker.unref();
    let lastError: Error | undefined;
    this.worker.on('message', (reply: ChunkReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) pending.reject(new Error(reply.error));
      else pending.resolve(reply);
    });
    this.worker.on('error', (error) => {
      lastError = error;
    });
    this.worker.on('exit', (code) => {
      const error = new Error(lastError ? l10n.t('A chunking worker stopped ({0}).', lastError.message) : l10n.t('A chunking worker stopped (exit code {0}).', String(code)));
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      onExit(this, error);
    });
  }

  post(request: ChunkRequest): Promise<ChunkReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      // A busy worker keeps the process alive, or a CLI awaiting an update could exit under it.
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * A few worker threads that read and chunk files for every index in the process. They start on first use and stop
 * when idle. A request that fails for any reason (no worker file, a crashed thread) rejects, and the index then
 * chunks those files on its own thread, which gives the same chunks.
 */
export class ChunkPool {
  private readonly workers: ChunkWorker[] = [];
  private nextId = 1;
  private failures = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly wasmDir: string,
    readonly size = Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1)),
  ) {}

  /** Whether requests can go to workers at all; when false, chunk on the calling thread. */
  get available(): boolean {
    return this.failures < MAX_FAILURES && workerScript() !== undefined;
  }

  chunk(root: string, maxBytes: number, files: readonly FileToChunk[]): Promise<ChunkedContent[]> {
    return this.send({ type: 'chunk', id: this.nextId++, root, maxBytes, files }).then((reply) => ('results' in reply ? reply.results : []));
  }

  /** Per text, `joinedSearchTokens(text)`: for rebuilding an index from its records, where tokenizing is half the time. */
  tokenize(texts: readonly string[]): Promise<string[]> {
    return this.send({ type: 'tokenize', id: this.nextId++, texts }).then((reply) => ('tokens' in reply ? reply.tokens : []));
  }

  private send(request: ChunkRequest): Promise<ChunkReply> {
    const worker = this.pick();
    if (!worker) return Promise.reject(new Error(l10n.t('No chunking worker is available.')));
    const reply = worker.post(request);
    void reply.then(
      () => this.failures = 0,
      () => undefined,
    ).finally(() => this.scheduleIdleStop());
    return reply;
  }

  async dispose(): Promise<void> {
    clearTimeout(this.idleTimer);
    await Promise.all(this.workers.splice(0).map((worker) => worker.terminate()));
  }

  /** The worker with the fewest requests outstanding, starting one while there are fewer than `size`. */
  private pick(): ChunkWorker | undefined {
    clearTimeout(this.idleTimer);
    const script = this.available ? workerScript() : undefined;
    if (!script) return undefined;
    const least = this.workers.reduce<ChunkWorker | undefined>((best, w) => (!best || w.pending.size < best.pending.size ? w : best), undefined);
    if (least && (least.pending.size === 0 || this.workers.length >= this.size)) return least;
    const translations = translationsInUse();
    const worker = new ChunkWorker(script, { wasmDir: this.wasmDir, ...(translations ? { translations } : {}) }, (exited) => {
      const index = this.workers.indexOf(exited);
      // A worker stopped by dispose() or the idle timer is no longer listed; any other exit is a failure.
      if (index >= 0) {
        this.workers.splice(index, 1);
        this.failures++;
      }
    });
    this.workers.push(worker);
    return worker;
  }

  private scheduleIdleStop(): void {
    if (this.workers.some((w) => w.pending.size > 0)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.dispose(), IDLE_MS);
    this.idleTimer.unref();
  }
}

let shared: ChunkPool | undefined;

/** The process's pool, shared by its indexes so that several workspace folders do not each start threads. */
export function sharedChunkPool(wasmDir: string): ChunkPool {
  if (shared?.wasmDir !== wasmDir) shared = new ChunkPool(wasmDir);
  return shared;
}

/**
 * The worker's entry. In the bundle, esbuild puts it beside dist/host.js as dist/memory-worker.js. From source
 * (tests and benchmarks under tsx) it is chunkWorker.ts; Node 20 does not apply `--import tsx` to a worker's entry
 * module, so a bootstrap installs tsx's require hook first. Undefined when the bundle lacks it.
 */
function workerScript(): { file: string; eval: boolean } | undefined {
  if (script === null) {
    if (extname(__filename) !== '.ts') {
      const file = join(__dirname, 'memory-worker.js');
      script = existsSync(file) ? { file, eval: false } : undefined;
    } else {
      const resolve = createRequire(__filename).resolve;
      script = { file: `require(${JSON.stringify(resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, 'chunkWorker.ts'))});`, eval: true };
    }
  }
  return script;
}

let script: { file: string; eval: boolean } | undefined | null = null;
