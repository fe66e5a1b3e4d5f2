/** Questions the host asks the user before an edit, a tool call or going over a budget (`approval/…`). */
import { RequestType } from 'vscode-jsonrpc';
import type { BudgetEscalationParams } from '../models';
import type { EditDecision, ProposedEdit, RiskClass, ToolCallDecision } from '../run';

export namespace ReviewEditRequest {
  /** Host → extension: show a proposed edit inline, ask the user, and apply it if approved. */
  export const type = new RequestType<ReviewEditParams, EditDecision, void>('approval/reviewEdit');
}
export interface ReviewEditParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly edit: ProposedEdit;
  /** The agent that proposes it, when a run has several (subagents). */
  readonly agent?: string;
}

export namespace ReviewToolCallRequest {
  /** Host → extension: ask the user whether a tool may run (risky tools, first use or a changed MCP tool). */
  export const type = new RequestType<ReviewToolCallParams, ToolCallDecision, void>('approval/reviewToolCall');
}
export interface ReviewToolCallParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly tool: string;
  /** `builtin`, or `mcp:<server>`. */
  readonly source: string;
  readonly risk: RiskClass;
  /** One line for the prompt, e.g. "Run tool echo from MCP server everything?". */
  readonly title: string;
  /** The arguments, and for a changed MCP tool what changed. */
  readonly detail: string;
  /** Whether "Always allow" may be offered (never for a changed definition). */
  readonly canAlwaysAllow: boolean;
  /** Why the policy asks: its rule and level (`managed`, `user`, `workspace`, or `default` for Keel's own default). */
  readonly policy?: { readonly reason: string; readonly rule?: string; readonly level: string };
  /** The agent that asks, when a run has several (subagents). */
  readonly agent?: string;
}

export namespace BudgetEscalationRequest {
  /** Host → extension: a run would go over a budget; answers whether the user lets it continue. */
  export const type = new RequestType<BudgetEscalationParams, { approved: boolean }, void>('approval/budget');
}

export namespace RepeatStepRequest {
  /** Host → extension: a resumed run's side effect may have happened before the host stopped; run it again, skip it, or stop the run. */
  export const type = new RequestType<RepeatStepParams, RepeatStepAnswer, void>('approval/repeatStep');
}
export interface RepeatStepParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly tool: string;
  /** One line for the prompt, e.g. "run_command may have run before Keel stopped: npm test". */
  readonly title: string;
  /** The call's arguments. */
  readonly detail: string;
}
/** `run`: call it again; `skip`: tell the agent it was skipped; `stop`: end the run here. */
export type RepeatChoice = 'run' | 'skip' | 'stop';
export interface RepeatStepAnswer {
  readonly choice: RepeatChoice;
}
