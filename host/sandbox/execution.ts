/**
 * One execution inside a worker: a fresh guest realm with every limit set, the agent's code started as an async
 * function, and its promise jobs driven until it settles. The worker disposes the realm afterwards.
 */
import * as l10n from '@vscode/l10n';
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle } from 'quickjs-emscripten-core';
import { heapExhausted } from './engine';
import type { GuestRealm } from './guest';
import { limitMessage, returnValueTooLarge, stopOutcome, type StopReason } from './limits';
import type { HostReply, RunMessage, WorkerResult } from './messages';
import type { LogEntry, LogLevel } from './types';

/** More capability calls than this waiting at once is a runaway loop, not a workload; the extra calls fail. */
const MAX_WAITING_HOST_CALLS = 1000;

type Settled =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'stalled' }
  | { readonly kind: 'fulfilled'; readonly value: QuickJSHandle }
  | { readonly kind: 'rejected'; readonly error: QuickJSHandle };

type Outcome = Pick<WorkerResult, 'outcome' | 'valueJson' | 'error'>;

export class Execution {
  /** Set when the engine failed underneath the guest; its WebAssembly instance must not be used again. */
  engineFailed = false;
  private stopReason: StopReason | undefined;
  private readonly deadline: number;
  /** The guest's running time before the current stretch, and when the current stretch began (waits excluded). */
  private computedMs = 0;
  private computingSince = performance.now();
  private readonly logs: LogEntry[] = [];
  private outputChars = 0;
  private readonly waiting = new Map<number, QuickJSDeferredPromise>();
  private readonly replies: { readonly callId: number; readonly reply: HostReply }[] = [];
  private nextCallId = 1;
  private wake: (() => void) | undefined;

  constructor(
    private readonly realm: GuestRealm,
    private readonly request: RunMessage,
    private readonly cancelFlag: Int32Array,
    private readonly postHostCall: (callId: number, name: string, argsJson: string) => void,
  ) {
    this.deadline = performance.now() + request.limits.timeoutMs;
  }

  get id(): number {
    return this.request.id;
  }

  receiveReply(callId: number, reply: HostReply): void {
    this.replies.push({ callId, reply });
    this.wake?.();
  }

  cancel(): void {
    this.stop('cancelled');
    this.wake?.();
  }

  async run(): Promise<WorkerResult> {
    const { limits } = this.request;
    const { context } = this.realm;
    let outcome: Outcome;
    let memoryUsedBytes: number | undefined;
    try {
      // The engine's cap on the WebAssembly memory is the memory limit (see QuickJSEngine.capMemory). QuickJS's own
      // limit stays off: it refuses allocations the host never hears of, which the guest could catch and carry on.
      context.runtime.setMemoryLimit(-1);
      // Always set: without it deep recursion overflows WebAssembly's stack and the module aborts (issue #60).
      context.runtime.setMaxStackSize(limits.stackBytes);
      context.runtime.setInterruptHandler(() => this.shouldInterrupt());
      this.realm.enter({ capabilities: this.request.capabilities, inputJson: this.request.inputJson, maxOutputChars: limits.maxOutputChars }, {
        log: (level, text) => this.log(level, text),
        call: (name, argsJson) => this.startHostCall(context, name, argsJson),
      });
      outcome = await this.evaluate(context);
      // After running out, what the guest still holds once its stack unwound is no measure of what it used.
      memoryUsedBytes = outcome.outcome === 'memory' ? limits.memoryBytes : memoryUsed(context);
    } catch (error) {
      outcome = this.engineFailure(error);
    } finally {
      for (const deferred of this.waiting.values()) if (deferred.alive) deferred.dispose();
    }
    memoryUsedBytes ??= outcome.outcome === 'memory' ? limits.memoryBytes : 0;
    return { ...outcome, logs: this.logs, memoryUsedBytes };
  }

  private async evaluate(context: QuickJSContext): Promise<Outcome> {
    const started = this.realm.start(this.request.code);
    if ('error' in started) return this.failure(started.error);
    let settled: Settled;
    try {
      settled = await this.settle(context, started.promise);
    } finally {
      started.promise.dispose();
    }
    switch (settled.kind) {
      case 'stopped':
        return this.stopped();
      case 'stalled':
        // Running out of memory can leave a promise pending with nothing left to settle it.
        if (this.limitHit()) return this.stopped();
        return { outcome: 'error', error: l10n.t('The code is waiting on a promise that nothing can settle: no capability call is pending and no job is queued, so it would never finish. Check for a promise whose resolve() is never called.') };
      case 'rejected':
        return this.failure(settled.error);
      case 'fulfilled': {
        if (this.limitHit()) {
          settled.value.dispose();
          return this.stopped();
        }
        const copied = this.realm.copyOut(settled.value, 'The return value', this.request.limits.maxOutputChars);
        settled.value.dispose();
        if (this.limitHit()) return this.stopped();
        if ('error' in copied) return this.failure(copied.error);
        if ('tooLong' in copied) return { outcome: 'output_limit', error: returnValueTooLarge(copied.tooLong, this.request.limits) };
        return { outcome: 'ok', valueJson: copied.json };
      }
    }
  }

  /** Runs promise jobs and delivers capability replies until the guest's promise settles or a limit stops it. */
  private async settle(context: QuickJSContext, promise: QuickJSHandle): Promise<Settled> {
    const { runtime } = context;
    const { maxPendingJobs } = this.request.limits;
    for (;;) {
      if (this.shouldInterrupt()) return this.stoppedAt(context, promise);
      this.deliverReplies(context);
      const jobs = runtime.executePendingJobs(maxPendingJobs);
      if (jobs.error) {
        // Only uncatchable errors (an interrupt) or engine-level failures escape a promise job.
        if (this.limitHit()) {
          jobs.error.dispose();
          return { kind: 'stopped' };
        }
        return { kind: 'rejected', error: jobs.error };
      }
      if (jobs.value >= maxPendingJobs && runtime.hasPendingJob()) this.stop('pending_jobs');
      if (this.limitHit()) return this.stoppedAt(context, promise);
      const state = context.getPromiseState(promise);
      if (state.type === 'fulfilled') return { kind: 'fulfilled', value: state.notAPromise ? state.value.dup() : state.value };
      if (state.type === 'rejected') return { kind: 'rejected', error: state.error };
      if (this.waiting.size === 0 && this.replies.length === 0) return { kind: 'stalled' };
      await this.nextEvent();
    }
  }

  /**
   * How a stopped execution settles. A guest that ran out of memory has usually rejected with QuickJS's "out of
   * memory" error, which says where it ran out, so that is kept for the report.
   */
  private stoppedAt(context: QuickJSContext, promise: QuickJSHandle): Settled {
    if (this.stopReason !== 'memory') return { kind: 'stopped' };
    const state = context.getPromiseState(promise);
    if (state.type === 'rejected') return { kind: 'rejected', error: state.error };
    if (state.type === 'fulfilled' && !state.notAPromise) state.value.dispose();
    return { kind: 'stopped' };
  }

  /** Waits for a capability reply, a cancel, or the deadline, whichever comes first; the wait is not running time. */
  private nextEvent(): Promise<void> {
    this.computedMs += performance.now() - this.computingSince;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), Math.max(0, this.deadline - performance.now()));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.computingSince = performance.now();
        resolve();
      };
    });
  }

  private startHostCall(context: QuickJSContext, name: string, argsJson: string): QuickJSHandle | string {
    if (this.waiting.size >= MAX_WAITING_HOST_CALLS) {
      return l10n.t('Too many capability calls are waiting ({0}); await some of them before starting more.', MAX_WAITING_HOST_CALLS);
    }
    const deferred = context.newPromise();
    const callId = this.nextCallId++;
    this.waiting.set(callId, deferred);
    this.postHostCall(callId, name, argsJson);
    return deferred.handle;
  }

  private deliverReplies(context: QuickJSContext): void {
    for (const { callId, reply } of this.replies.splice(0)) {
      const deferred = this.waiting.get(callId);
      if (!deferred) continue;
      this.waiting.delete(callId);
      // A result arrives as a new guest value parsed from JSON; an error as a new guest Error with its message only.
      const parsed = reply.ok ? this.realm.fromJson(reply.json) : { error: context.newError(reply.message) };
      try {
        if ('value' in parsed) deferred.resolve(parsed.value);
        else deferred.reject(parsed.error);
      } finally {
        ('value' in parsed ? parsed.value : parsed.error).dispose();
        deferred.dispose();
      }
    }
  }

  private log(level: LogLevel, text: string): void {
    if (this.stopReason === 'output_limit') return;
    const { maxOutputChars } = this.request.limits;
    const room = maxOutputChars - this.outputChars;
    // Each entry costs one more character, its line break, so a flood of empty lines is capped too.
    if (text.length + 1 <= room) {
      this.logs.push({ level, text });
      this.outputChars += text.length + 1;
      return;
    }
    this.logs.push({ level, text: `${text.slice(0, Math.max(0, room - 1))} ${l10n.t('…[cut off: console output reached {0}]', 'limits.maxOutputChars')}` });
    this.outputChars = maxOutputChars;
    this.stop('output_limit');
  }

  /**
   * The interrupt handler: QuickJS polls it while the guest runs, so a spinning guest still sees the deadline and
   * a cancel, and a guest that caught running out of memory is stopped by an error it cannot catch.
   */
  private shouldInterrupt(): boolean {
    if (this.limitHit()) return true;
    const now = performance.now();
    if (Atomics.load(this.cancelFlag, 0) !== 0) this.stopReason = 'cancelled';
    else if (now >= this.deadline) this.stopReason = 'timeout';
    else if (this.computedMs + now - this.computingSince >= this.request.limits.computeMs) this.stopReason = 'compute';
    return this.stopReason !== undefined;
  }

  /** Whether the execution must stop: a limit or the caller stopped it, or the guest ran out of memory. */
  private limitHit(): boolean {
    if (heapExhausted(this.realm.module)) this.stop('memory');
    return this.stopReason !== undefined;
  }

  private stop(reason: StopReason): void {
    this.stopReason ??= reason;
  }

  private stopped(): Outcome {
    const reason = this.stopReason!;
    return { outcome: stopOutcome(reason), error: limitMessage(reason, this.request.limits) };
  }

  /**
   * Turns what the guest threw into an outcome; QuickJS's own memory and stack errors map to their limits. An
   * "out of memory" error keeps its text, which says where the code ran out; when QuickJS had no memory left to
   * build one it threw null, and the engine's record of the failed allocation says what happened instead.
   */
  private failure(error: QuickJSHandle): Outcome {
    if (this.limitHit() && this.stopReason !== 'memory') {
      error.dispose();
      return this.stopped();
    }
    // Describing it runs guest code (getters on what it threw), which may hit a limit too.
    const text = this.realm.describe(error);
    error.dispose();
    if (this.limitHit() && this.stopReason !== 'memory') return this.stopped();
    const outOfMemory = /^InternalError: out of memory/.test(text);
    if (outOfMemory || this.stopReason === 'memory') {
      return { outcome: 'memory', error: limitMessage('memory', this.request.limits) + (outOfMemory ? `\n${text}` : '') };
    }
    if (/^\w*Error: stack overflow/.test(text)) return { outcome: 'stack', error: `${limitMessage('stack', this.request.limits)}\n${text}` };
    return { outcome: 'error', error: text };
  }

  /** A host-level exception from the engine: the instance is suspect, so the worker replaces it. */
  private engineFailure(error: unknown): Outcome {
    this.engineFailed = true;
    if (this.limitHit()) return this.stopped();
    const message = error instanceof Error ? error.message : String(error);
    // WebAssembly frames also use the worker's native stack; V8 guards it with a RangeError of its own.
    if (error instanceof RangeError && /call stack/i.test(message)) {
      return { outcome: 'stack', error: limitMessage('stack', this.request.limits, 'engine_restarted') };
    }
    return { outcome: 'error', error: l10n.t('The sandbox engine failed ({0}) and was restarted. Run the code again; if it fails the same way, make it use less memory or recursion.', message) };
  }
}

/** The runtime's memory use, or undefined when measuring fails: the measurement allocates inside the runtime. */
function memoryUsed(context: QuickJSContext): number | undefined {
  try {
    const usage = context.runtime.computeMemoryUsage();
    try {
      const used = context.getProp(usage, 'memory_used_size');
      try {
        return context.getNumber(used);
      } finally {
        used.dispose();
      }
    } finally {
      usage.dispose();
    }
  } catch {
    return undefined;
  }
}
