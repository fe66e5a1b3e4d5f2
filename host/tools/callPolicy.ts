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
 * Runs an approved, validated call under the tool's limits: a timeout, a rate limit for calls that reach another
 * service, and retries of transient failures for idempotent tools only (repeating anything else could do its effect
 * twice). One CallPolicy serves every run of a host, so parallel agents share a service's limit instead of each
 * having its own.
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
    const key = rateKey(tool);
    if (key === undefined) return;
    const limit = tool.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE;
    const now = Date.now();
    const recent = (this.recentCalls.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= limit) {
      const waitS = Math.ceil((60_000 - (now - recent[0]!)) / 1000);
      throw new Error(`${tool.name} is limited to ${limit} calls a minute; wait ${waitS} s or do the work with fewer calls.`);
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
