import type { ExecutionOutcome, SandboxLimits } from './types';

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryBytes: 64 * MiB,
  stackBytes: 512 * KiB,
  timeoutMs: 5_000,
  // As long as the longest wall-clock limit, so it binds only where a caller sets it.
  computeMs: 10 * 60_000,
  maxOutputChars: 64 * 1024,
  maxPendingJobs: 100_000,
});

/**
 * The range each limit may be set to. QuickJS checks its stack limit against WebAssembly's own stack, but the
 * interpreter also uses the worker thread's native stack, up to about twelve times as much when measured;
 * `WORKER_STACK_MB` keeps that native stack 32 times larger than the largest guest stack, so the guest hits
 * QuickJS's clean "stack overflow" before V8's (which would leave the WebAssembly instance unusable).
 */
const BOUNDS: Record<keyof SandboxLimits, readonly [min: number, max: number]> = {
  memoryBytes: [1 * MiB, 1024 * MiB],
  stackBytes: [64 * KiB, 1 * MiB],
  // A day: a workflow waits on agents and on people; its own running time is held by computeMs.
  timeoutMs: [1, 24 * 60 * 60_000],
  computeMs: [1, 10 * 60_000],
  maxOutputChars: [1, 10_000_000],
  maxPendingJobs: [1, 10_000_000],
};

/** The native stack of each sandbox worker thread; see `BOUNDS.stackBytes`. */
export const WORKER_STACK_MB = (32 * BOUNDS.stackBytes[1]) / MiB;

/** Applies the defaults and checks every limit is an integer in its range; throws a RangeError naming the bad one. */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides) as (keyof SandboxLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    const range = BOUNDS[key];
    if (!range) throw new RangeError(`Unknown sandbox limit "${key}"; known limits: ${Object.keys(BOUNDS).join(', ')}.`);
    const [min, max] = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`limits.${key} must be an integer from ${describe(key, min)} to ${describe(key, max)}; got ${value}.`);
    }
    limits[key] = value;
  }
  return limits;
}

/** Why an execution stopped early, when a limit or the caller stopped it. */
export type StopReason = 'timeout' | 'compute' | 'cancelled' | 'output_limit' | 'pending_jobs' | 'memory';

/** The message for an execution stopped by a limit: which limit, its value, and what to do about it. */
export function limitMessage(reason: StopReason | 'stack' | 'value_size', limits: SandboxLimits, detail = ''): string {
  switch (reason) {
    case 'timeout':
      return `The code did not finish within limits.timeoutMs = ${limits.timeoutMs} ms${detail}. Make it do less work, or raise limits.timeoutMs.`;
    case 'compute':
      return `The code ran for more than limits.computeMs = ${limits.computeMs} ms of its own time (waits for agents and capabilities not counted)${detail}. Is a loop endless? Make it do less work, or raise limits.computeMs.`;
    case 'cancelled':
      return `The execution was cancelled${detail}.`;
    case 'output_limit':
      return `Console output exceeded limits.maxOutputChars = ${limits.maxOutputChars} characters, so it was cut off and the code was stopped. Log less, or raise limits.maxOutputChars.`;
    case 'value_size':
      return `The return value is ${detail} characters as JSON, over limits.maxOutputChars = ${limits.maxOutputChars}. Return less data, or raise limits.maxOutputChars.`;
    case 'pending_jobs':
      return `The code ran more than limits.maxPendingJobs = ${limits.maxPendingJobs} promise jobs in a row without waiting on a capability; is a promise chain endless? Fix it, or raise limits.maxPendingJobs.`;
    case 'memory':
      return `The code ran out of memory: it needed more than limits.memoryBytes = ${limits.memoryBytes} (${describe('memoryBytes', limits.memoryBytes)})${detail}. Use less memory, or raise limits.memoryBytes.`;
    case 'stack':
      return `The code overflowed its stack: limits.stackBytes = ${limits.stackBytes} (${describe('stackBytes', limits.stackBytes)})${detail}. Is a recursion endless? Recurse less deeply, or raise limits.stackBytes (at most ${describe('stackBytes', BOUNDS.stackBytes[1])}).`;
  }
}

/** The outcome each stop reason reports. */
export function stopOutcome(reason: StopReason): ExecutionOutcome {
  if (reason === 'pending_jobs') return 'error';
  return reason === 'compute' ? 'timeout' : reason;
}

function describe(key: keyof SandboxLimits, value: number): string {
  if (key !== 'memoryBytes' && key !== 'stackBytes') return String(value);
  return value % MiB === 0 ? `${value / MiB} MiB` : value % KiB === 0 ? `${value / KiB} KiB` : `${value} bytes`;
}
