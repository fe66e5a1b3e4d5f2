import * as l10n from '@vscode/l10n';
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
    if (!range) throw new RangeError(l10n.t('Unknown sandbox limit "{0}"; known limits: {1}.', key, Object.keys(BOUNDS).join(', ')));
    const [min, max] = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(l10n.t('{0} must be an integer from {1} to {2}; got {3}.', `limits.${key}`, describe(key, min), describe(key, max), String(value)));
    }
    limits[key] = value;
  }
  return limits;
}

/** Why an execution stopped early, when a limit or the caller stopped it. */
export type StopReason = 'timeout' | 'compute' | 'cancelled' | 'output_limit' | 'pending_jobs' | 'memory';

/**
 * How an execution came to stop, when that needs saying: `terminated`, its worker did not stop by itself and was
 * ended; `not_started`, it was cancelled before it began; `disposed`, the sandbox went away under it;
 * `engine_restarted`, the engine ran out of native stack.
 */
export type StopCircumstance = 'terminated' | 'not_started' | 'disposed' | 'engine_restarted';

/** The message for an execution stopped by a limit: which limit, its value, and what to do about it. */
export function limitMessage(reason: StopReason | 'stack', limits: SandboxLimits, how?: StopCircumstance): string {
  switch (reason) {
    case 'timeout':
      return how === 'terminated'
        ? l10n.t('The code did not finish within {0} = {1} ms; it did not stop at the deadline (a long operation inside the engine), so its worker was terminated and replaced. Make it do less work, or raise {0}.', 'limits.timeoutMs', limits.timeoutMs)
        : l10n.t('The code did not finish within {0} = {1} ms. Make it do less work, or raise {0}.', 'limits.timeoutMs', limits.timeoutMs);
    case 'compute':
      return l10n.t('The code ran for more than {0} = {1} ms of its own time (waits for agents and capabilities not counted). Is a loop endless? Make it do less work, or raise {0}.', 'limits.computeMs', limits.computeMs);
    case 'cancelled':
      if (how === 'not_started') return l10n.t('The execution was cancelled before it started.');
      if (how === 'terminated') return l10n.t('The execution was cancelled; it did not stop by itself, so its worker was terminated.');
      if (how === 'disposed') return l10n.t('The execution was cancelled because the sandbox was disposed.');
      return l10n.t('The execution was cancelled.');
    case 'output_limit':
      return l10n.t('Console output exceeded {0} = {1} characters, so it was cut off and the code was stopped. Log less, or raise {0}.', 'limits.maxOutputChars', limits.maxOutputChars);
    case 'pending_jobs':
      return l10n.t('The code ran more than {0} = {1} promise jobs in a row without waiting on a capability; is a promise chain endless? Fix it, or raise {0}.', 'limits.maxPendingJobs', limits.maxPendingJobs);
    case 'memory':
      return l10n.t('The code ran out of memory: it needed more than {0} = {1} ({2}). Use less memory, or raise {0}.', 'limits.memoryBytes', limits.memoryBytes, describe('memoryBytes', limits.memoryBytes));
    case 'stack': {
      const [stack, most] = [describe('stackBytes', limits.stackBytes), describe('stackBytes', BOUNDS.stackBytes[1])];
      return how === 'engine_restarted'
        ? l10n.t('The code overflowed its stack: {0} = {1} ({2}); the engine ran out of native stack and was restarted. Is a recursion endless? Recurse less deeply, or raise {0} (at most {3}).', 'limits.stackBytes', limits.stackBytes, stack, most)
        : l10n.t('The code overflowed its stack: {0} = {1} ({2}). Is a recursion endless? Recurse less deeply, or raise {0} (at most {3}).', 'limits.stackBytes', limits.stackBytes, stack, most);
    }
  }
}

/** The message for a return value over `limits.maxOutputChars`. */
export function returnValueTooLarge(chars: number, limits: SandboxLimits): string {
  return l10n.t('The return value is {0} characters as JSON, over {1} = {2}. Return less data, or raise {1}.', chars, 'limits.maxOutputChars', limits.maxOutputChars);
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
