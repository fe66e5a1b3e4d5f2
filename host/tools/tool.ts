import type { z } from 'zod';
import type { ApprovalBroker } from '../governance/approvals';
import type { Span } from '../observability/tracer';
import type { WorkspacePort } from '../workspace/port';

/** How much harm a tool can do; decides whether a call needs the user's approval. */
export type RiskClass = 'read' | 'write' | 'execute' | 'network' | 'destructive';

export interface ToolContext {
  readonly runId: string;
  readonly workspace: WorkspacePort;
  readonly approvals: ApprovalBroker;
  readonly span: Span;
  readonly signal: AbortSignal;
}

export interface Tool<Args = unknown> {
  readonly name: string;
  readonly description: string;
  readonly risk: RiskClass;
  /** The source of truth for the arguments: validated before `run`, and sent to the model as JSON schema. */
  readonly args: z.ZodType<Args>;
  /** Returns the text the model sees as the tool's result. Throw to report a failure to the model. */
  run(args: Args, context: ToolContext): Promise<string>;
}

export function defineTool<Args>(tool: Tool<Args>): Tool<Args> {
  return tool;
}
