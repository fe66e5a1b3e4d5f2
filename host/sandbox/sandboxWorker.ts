/**
 * One worker thread and the execution it is running. The thread is the last line of containment: when the
 * guest ignores its deadline or a cancel (a long native operation the interrupt handler cannot reach,
 * quickjs-emscripten issue #219), the watchdog terminates the thread and the pool starts another.
 */
import * as l10n from '@vscode/l10n';
import { Worker } from 'node:worker_threads';
import { limitMessage, WORKER_STACK_MB } from './limits';
import type { FromWorker, HostReply, RunMessage, ToWorker, WorkerResult, WorkerStartData } from './messages';
import type { ExecutionOutcome } from './types';
import { sandboxWorkerFiles } from './workerFiles';
import { translationsInUse } from '../../protocol/translations';

/** How long past its deadline an execution may take to report before its thread is terminated. */
const WATCHDOG_GRACE_MS = 1000;
/** How long a cancelled execution may take to stop by itself before its thread is terminated. */
const CANCEL_GRACE_MS = 250;
/** The worker's own V8 heap holds only messages and copied text; this keeps a runaway one from growing the host. */
const WORKER_HEAP_MB = 256;

export interface WorkerJob {
  readonly run: Omit<RunMessage, 'type' | 'id'>;
  readonly hostCall: (name: string, argsJson: string) => Promise<HostReply>;
  readonly signal?: AbortSignal;
}

interface ActiveJob {
  readonly id: number;
  readonly job: WorkerJob;
  readonly finish: (result: WorkerResult) => void;
}

export class SandboxWorker {
  /** Settles when the worker has loaded QuickJS; rejects if it dies first. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly cancelFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private active: ActiveJob | undefined;
  private nextId = 1;
  private lastError: Error | undefined;
  private stopping = false;
  private started = false;

  constructor(onExit: (worker: SandboxWorker, reason: string) => void) {
    const files = sandboxWorkerFiles();
    const translations = translationsInUse();
    const workerData: WorkerStartData = { wasmFile: files.wasmFile, cancelFlag: this.cancelFlag, ...(translations ? { translations } : {}) };
    this.worker = new Worker(files.script, {
      eval: files.evalScript,
      workerData,
      // The host's own flags (such as --inspect) are not meant for the sandbox.
      execArgv: [],
      resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    // An idle worker must not keep the host process alive; `run` holds a reference while it works.
    this.worker.unref();
    let markReady!: () => void;
    let markFailed!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          this.started = true;
          markReady();
          break;
        case 'hostCall':
          this.forwardHostCall(message.id, message.callId, message.name, message.argsJson);
          break;
        case 'done':
          if (message.id === this.active?.id) this.active.finish(message.result);
          break;
      }
    });
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    this.worker.on('exit', (code) => {
      this.stopping = true;
      const reason = this.lastError?.message ?? `exit code ${code}`;
      markFailed(new Error(l10n.t('The sandbox worker stopped before it was ready ({0}).', reason)));
      this.active?.finish(failure('error', l10n.t('The sandbox worker stopped unexpectedly ({0}) and was replaced. Run the code again.', reason)));
      onExit(this, reason);
    });
  }

  /** Whether the thread ever loaded QuickJS; a thread that dies before is a start-up failure. */
  get wasStarted(): boolean {
    return this.started;
  }

  /** False once the thread is stopping; the pool then stops handing it work. */
  get usable(): boolean {
    return !this.stopping;
  }

  run(job: WorkerJob): Promise<WorkerResult> {
    const id = this.nextId++;
    const { limits } = job.run;
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const onAbort = (): void => {
        Atomics.store(this.cancelFlag, 0, 1);
        this.post({ type: 'cancel', id });
        timers.push(setTimeout(() => this.kill(id, 'cancelled', limitMessage('cancelled', limits, 'terminated')), CANCEL_GRACE_MS));
      };
      this.active = {
        id,
        job,
        finish: (result) => {
          if (this.active?.id !== id) return;
          this.active = undefined;
          for (const timer of timers) clearTimeout(timer);
          job.signal?.removeEventListener('abort', onAbort);
          this.worker.unref();
          resolve(result);
        },
      };
      timers.push(setTimeout(() => this.kill(id, 'timeout', limitMessage('timeout', limits, 'terminated')), limits.timeoutMs + WATCHDOG_GRACE_MS));
      job.signal?.addEventListener('abort', onAbort, { once: true });
      Atomics.store(this.cancelFlag, 0, 0);
      this.worker.ref();
      this.post({ type: 'run', id, ...job.run });
    });
  }

  /** Stops the thread; an execution still running ends as cancelled. */
  async terminate(): Promise<void> {
    this.stopping = true;
    this.active?.finish(failure('cancelled', limitMessage('cancelled', this.active.job.run.limits, 'disposed')));
    await this.worker.terminate();
  }

  private kill(id: number, outcome: ExecutionOutcome, message: string): void {
    if (this.active?.id !== id) return;
    this.stopping = true;
    this.active.finish(failure(outcome, message));
    void this.worker.terminate();
  }

  private forwardHostCall(id: number, callId: number, name: string, argsJson: string): void {
    const active = this.active;
    if (active?.id !== id) return;
    void active.job.hostCall(name, argsJson).then((reply) => {
      if (this.active?.id === id) this.post({ type: 'hostReply', id, callId, ...reply });
    });
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}

function failure(outcome: ExecutionOutcome, error: string): WorkerResult {
  return { outcome, error, logs: [], memoryUsedBytes: 0 };
}
