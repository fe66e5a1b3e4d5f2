/**
 * A small warm pool of sandbox workers. Workers start on first use, each runs one execution at a time, and a
 * worker that dies or is terminated by its watchdog is replaced at once so the next execution finds a warm one.
 */
import * as l10n from '@vscode/l10n';
import type { WorkerResult } from './messages';
import { SandboxWorker, type WorkerJob } from './sandboxWorker';

/** After this many workers in a row die before loading QuickJS, the pool stops trying and says why. */
const MAX_START_FAILURES = 3;

interface Waiter {
  readonly resolve: (worker: SandboxWorker | undefined) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerPool {
  private readonly workers = new Set<SandboxWorker>();
  private readonly idle: SandboxWorker[] = [];
  private readonly waiters: Waiter[] = [];
  private startFailures = 0;
  private broken: Error | undefined;
  private disposed = false;

  constructor(private readonly size: number) {}

  /** Runs a job on a free worker, waiting for one if all are busy; undefined if the job is cancelled while it waits. */
  async run(job: WorkerJob): Promise<WorkerResult | undefined> {
    const worker = await this.acquire(job.signal);
    if (!worker) return undefined;
    try {
      return await worker.run(job);
    } finally {
      this.release(worker);
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(l10n.t('The sandbox was disposed while the execution waited for a worker.')));
    this.idle.length = 0;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
  }

  private acquire(signal: AbortSignal | undefined): Promise<SandboxWorker | undefined> {
    if (this.disposed) return Promise.reject(new Error(l10n.t('This Sandbox has been disposed; create a new one.')));
    if (this.broken) return Promise.reject(this.broken);
    this.fill();
    // The longest-idle worker first: the others may still be preparing their next realm.
    const worker = this.idle.shift();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      };
      const waiter: Waiter = {
        resolve: (free) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(free);
        },
        reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(worker: SandboxWorker): void {
    if (!worker.usable || this.disposed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(worker);
    else this.idle.push(worker);
  }

  private fill(): void {
    while (!this.disposed && !this.broken && this.workers.size < this.size) {
      const worker = new SandboxWorker((exited, reason) => this.replace(exited, reason));
      this.workers.add(worker);
      worker.ready.then(
        () => {
          this.startFailures = 0;
          this.release(worker);
        },
        () => undefined, // `replace` handles a worker that died before it was ready.
      );
    }
  }

  private replace(exited: SandboxWorker, reason: string): void {
    this.workers.delete(exited);
    const index = this.idle.indexOf(exited);
    if (index >= 0) this.idle.splice(index, 1);
    if (this.disposed) return;
    if (!exited.wasStarted && ++this.startFailures >= MAX_START_FAILURES) {
      this.broken = new Error(
        l10n.t('The sandbox worker failed to start {0} times in a row (last: {1}). In the bundle, {2} and {3} must sit beside {4}.', MAX_START_FAILURES, reason, 'dist/sandbox-worker.js', 'dist/emscripten-module.wasm', 'dist/host.js'),
      );
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.broken);
      return;
    }
    this.fill();
  }
}
