import { abortable } from '../abortable';
import { PausableDeadline } from './deadline';
import type { Tool, ToolContext } from './tool';

/** A failure that may pass if the call is repeated: a dropped connection, a server timeout. */
export class TransientToolError extends Error {
  override readonly name = 'TransientToolError';
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_CALLS_PER_MINUTE = 120;
const RETRIES = 2;
const RETRY_BASE_MS = 200;

/**
 * Runs an approved, validated call under the tool's limits: a timeout, a per-tool rate limit, and retries of
 * transient failures for idempotent tools only (repeating anything else could do its effect twice).
 */
export class CallPolicy {
  private readonly recentCalls = new Map<string, number[]>();

  async run<Args>(tool: Tool<Args>, args: Args, context: ToolContext): Promise<string> {
    this.takeRateSlot(tool);
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const deadline = new PausableDeadline(timeoutMs);
      const signal = AbortSignal.any([context.signal, deadline.signal]);
      try {
        return await abortable(tool.run(args, { ...context, approvals: deadline.pausing(context.approvals), signal }), signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        if (deadline.signal.aborted) throw new Error(`${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} s.`, { cause: error });
        if (!(error instanceof TransientToolError) || !tool.idempotent || attempt >= RETRIES) throw error;
        context.span.setAttributes({ 'keel.tool.retries': attempt + 1 });
        await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random())));
      } finally {
        deadline.dispose();
      }
    }
  }

  private takeRateSlot(tool: Tool<unknown>): void {
    const limit = tool.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE;
    const now = Date.now();
    const recent = (this.recentCalls.get(tool.name) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= limit) {
      const waitS = Math.ceil((60_000 - (now - recent[0]!)) / 1000);
      throw new Error(`${tool.name} is limited to ${limit} calls a minute; wait ${waitS} s or do the work with fewer calls.`);
    }
    recent.push(now);
    this.recentCalls.set(tool.name, recent);
  }
}
