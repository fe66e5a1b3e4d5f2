import * as l10n from '@vscode/l10n';
import { abortable } from '../abortable';
import { errorMessage } from '../observability/tracer';
import { PausableDeadline } from './deadline';
import type { Tool, ToolContext } from './tool';
import { mayRetry } from './transient';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_CALLS_PER_MINUTE = 120;
/** Attempts of one call in all, counted across a resume. */
const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 500;
/** A server that asks for a longer wait than this is not waited for: the model hears it and decides. */
const MAX_RETRY_WAIT_MS = 30_000;

/**
 * Runs an approved, validated call under the tool's limits: a timeout, a rate limit for calls that reach another
 * service, and up to three attempts of a call that fails transiently where repeating it is safe (`transient.ts`),
 * with exponential backoff and jitter; each failed attempt is counted in the run's journal (`attempts`). One CallPolicy
 * serves every run of a host, so parallel agents share a service's limit instead of each having its own.
 */
export class CallPolicy {
  private readonly recentCalls = new Map<string, number[]>();

  /** `sleep` and `random` are the clock and the jitter; tests replace them. */
  constructor(private readonly timing: { sleep?: (ms: number, signal: AbortSignal) => Promise<void>; random?: () => number } = {}) {}

  async run<Args>(tool: Tool<Args>, args: Args, context: ToolContext): Promise<string> {
    this.takeRateSlot(tool);
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // A resumed call goes on from the attempts its record shows, with at least one more.
    const first = Math.min((context.attempts?.before ?? 0) + 1, MAX_ATTEMPTS);
    for (let attempt = first; ; attempt++) {
      const deadline = new PausableDeadline(timeoutMs);
      const signal = AbortSignal.any([context.signal, deadline.signal]);
      try {
        return await abortable(tool.run(args, { ...context, attempt, approvals: deadline.pausing(context.approvals), signal }), signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        if (deadline.signal.aborted) throw new Error(l10n.t('{0} did not finish within {1} s.', tool.name, Math.round(timeoutMs / 1000)), { cause: error });
        if (!mayRetry(error, tool.idempotent === true)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new Error(l10n.t('{0} ({1} attempts)', errorMessage(error), attempt), { cause: error });
        const delayMs = this.backoffMs(attempt, error.retryAfterMs);
        if (delayMs === undefined) throw new Error(l10n.t('{0}; the server asks to wait {1} s', errorMessage(error), Math.ceil(error.retryAfterMs! / 1000)), { cause: error });
        context.attempts?.failed(attempt, errorMessage(error));
        context.span.setAttributes({ 'keel.tool.retries': attempt - first + 1, 'keel.tool.retry_reason': errorMessage(error) });
        await (this.timing.sleep ?? sleep)(delayMs, context.signal);
      } finally {
        deadline.dispose();
      }
    }
  }

  /** Exponential backoff with jitter (half to one and a half times the step), or the server's `Retry-After` if longer. */
  private backoffMs(attempt: number, retryAfterMs: number | undefined): number | undefined {
    if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_WAIT_MS) return undefined;
    const backoff = RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + (this.timing.random ?? Math.random)());
    return Math.max(backoff, retryAfterMs ?? 0);
  }

  private takeRateSlot(tool: Tool<unknown>): void {
    const key = rateKey(tool);
    if (key === undefined) return;
    const limit = tool.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE;
    const now = Date.now();
    const recent = (this.recentCalls.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= limit) {
      const waitS = Math.ceil((60_000 - (now - recent[0]!)) / 1000);
      throw new Error(l10n.t('{0} is limited to {1} calls a minute; wait {2} s or do the work with fewer calls.', tool.name, limit, waitS));
    }
    recent.push(now);
    this.recentCalls.set(key, recent);
  }
}

/**
 * What a rate limit protects: an MCP server (all its tools count together), a network tool, or a tool that declares
 * its own limit. Local reads, edits and commands have none: each is cheap or already approved, and a long run or
 * many agents reading files must not be stopped by a counter.
 */
function rateKey(tool: Tool<unknown>): string | undefined {
  if (tool.callsPerMinute !== undefined) return `tool:${tool.name}`;
  if (tool.source.startsWith('mcp:')) return tool.source;
  if (tool.risk === 'network') return `tool:${tool.name}`;
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error(l10n.t('The run was cancelled.')));
    };
    signal.addEventListener('abort', aborted, { once: true });
  });
}
