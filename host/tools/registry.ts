import type { ToolCall, ToolSpec } from '../models/types';
import { errorMessage } from '../observability/tracer';
import { CallPolicy } from './callPolicy';
import { ToolStats } from './stats';
import type { RiskClass, Tool, ToolContext } from './tool';

export interface RefusedTool {
  readonly name: string;
  readonly source: string;
  readonly reason: string;
}

export type ToolOutcome = { readonly ok: true; readonly content: string } | { readonly ok: false; readonly content: string };

/**
 * Every tool call goes through here: the name is checked, the arguments are validated against the tool's
 * schema, and only then does the implementation run. Failures become text the model can correct itself from.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool<never>>();
  /** Set in Restricted Mode: a call whose own risk is another (run_js asking for the network) is refused. */
  private onlyRiskClass: RiskClass | undefined;

  /** Tools left out because an earlier one has their name, with why. */
  readonly refused: RefusedTool[] = [];

  /**
   * `tools` in order of precedence: of two with one name (letter case aside), the first is kept. Built-ins come
   * first, so a workspace's `.keel/tools` or an MCP server can never stand in for one and answer in its name.
   */
  constructor(tools: readonly Tool<never>[], private readonly stats = new ToolStats(), private readonly policy = new CallPolicy()) {
    const byKey = new Map<string, Tool<never>>();
    for (const tool of tools) {
      const kept = byKey.get(tool.name.toLowerCase());
      if (kept) {
        const owner = kept.source === 'builtin' ? 'a built-in tool' : `the tool from ${kept.source}`;
        this.refused.push({ name: tool.name, source: tool.source, reason: `${owner} has the name ${kept.name}; rename this one` });
        continue;
      }
      byKey.set(tool.name.toLowerCase(), tool);
      this.tools.set(tool.name, tool);
    }
  }

  /** The same tools limited to the given risk, e.g. read-only in Restricted Mode. */
  onlyRisk(risk: RiskClass): ToolRegistry {
    const limited = new ToolRegistry(this.list().filter((t) => t.risk === risk), this.stats, this.policy);
    limited.onlyRiskClass = risk;
    limited.refused.push(...this.refused);
    return limited;
  }

  list(): Tool<never>[] {
    return [...this.tools.values()];
  }

  get(name: string): Tool<never> | undefined {
    return this.tools.get(name);
  }

  specs(): ToolSpec[] {
    return [...this.tools.values()].map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.args.jsonSchema,
    }));
  }

  async call(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    const started = performance.now();
    const outcome = await this.dispatch(call, context);
    this.stats.record(call.name, outcome.ok, performance.now() - started);
    return outcome;
  }

  private async dispatch(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    const tool = this.tools.get(call.name);
    if (!tool) {
      return { ok: false, content: `Unknown tool "${call.name}". Available tools: ${[...this.tools.keys()].join(', ')}.` };
    }
    if (call.argumentsError) {
      return { ok: false, content: `Invalid arguments for ${call.name}: ${call.argumentsError}. Send a JSON object matching the tool's schema.` };
    }
    const parsed = tool.args.parse(call.arguments);
    if (!parsed.ok) return { ok: false, content: `Invalid arguments for ${call.name}:\n${parsed.error}` };
    const args = parsed.value as never;
    const risk = tool.riskOf?.(args, context.policy) ?? tool.risk;
    if (this.onlyRiskClass && risk !== this.onlyRiskClass) {
      return { ok: false, content: `${call.name} with these arguments is a ${risk} action, and this run may only take ${this.onlyRiskClass} actions (Restricted Mode).` };
    }
    try {
      if (risk !== 'read' && !tool.reviewsOwnCalls) {
        const decision = await context.approvals.reviewToolCall(
          { tool: tool.name, source: tool.source, risk, title: tool.describeCall?.(args, context.policy) ?? `Run ${tool.name}?`, detail: JSON.stringify(parsed.value, null, 2), canAlwaysAllow: false },
          { runId: context.runId, parent: context.span, signal: context.signal },
        );
        if (decision.decision === 'denied') return { ok: false, content: `The user denied ${call.name}: ${decision.reason}. Do not call it again with the same arguments.` };
      }
      const sideEffect = risk !== 'read';
      if (sideEffect) await context.audit?.append({ kind: 'tool_call', runId: context.runId, tool: tool.name, risk, arguments: JSON.stringify(parsed.value) });
      try {
        const content = capResult(await this.policy.run(tool, args, context));
        if (sideEffect) await context.audit?.append({ kind: 'tool_result', runId: context.runId, tool: tool.name, ok: true });
        return { ok: true, content };
      } catch (error) {
        if (sideEffect) await context.audit?.append({ kind: 'tool_result', runId: context.runId, tool: tool.name, ok: false });
        throw error;
      }
    } catch (error) {
      if (context.signal.aborted) throw error;
      return { ok: false, content: `${call.name} failed: ${errorMessage(error)}` };
    }
  }
}

/**
 * The most of one result the model gets. Built-in tools cap their own output well below this; an MCP server, a user
 * tool or sandboxed code can return megabytes, which would crowd out the conversation and cost a fortune to send.
 */
const MAX_RESULT_CHARS = 200_000;

function capResult(content: string): string {
  if (content.length <= MAX_RESULT_CHARS) return content;
  return `${content.slice(0, MAX_RESULT_CHARS)}\n[${content.length - MAX_RESULT_CHARS} more characters of this result were cut]`;
}
