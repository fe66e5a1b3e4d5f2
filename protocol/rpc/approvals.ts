/** Questions the host asks the user before an edit, a tool call or going over a budget (`approval/…`). */
import { RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { text } from '../params';
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
  /** A command line's parts as the policy saw them, and whether it will run in the OS sandbox. */
  readonly command?: CommandReview;
  /**
   * "Always allow…": the rules that would let calls like this one run without asking, for this run or written into a
   * policy, or why none can (a deny or ask rule catches it, or Keel cannot see through the command).
   */
  readonly alwaysAllow?: AllowRuleProposal | { readonly refused: string };
}

/** A command line taken apart, for its approval card. */
export interface CommandReview {
  readonly line: string;
  readonly parts: readonly CommandPart[];
  /** Why parts of it cannot be checked (a program known only when it runs, a line that does not parse). */
  readonly unchecked: readonly string[];
  readonly sandboxed: boolean;
  /** In words: what the command can reach, sandboxed or not. */
  readonly confinement: string;
}

/** One simple command of a line (nested ones included) and the rule that decided it, if any. */
export interface CommandPart {
  readonly source: string;
  readonly verdict?: 'allow' | 'ask' | 'deny';
  /** E.g. `commands.allow "git status *"`. */
  readonly rule?: string;
  /** `managed`, `user`, `workspace`, or `run` for a grant made with "Always allow" in this run. */
  readonly level?: string;
}

/** Where "Always allow" may put its rule: this run only, `.keel/policy.jsonc`, or the `keel.policy` user setting. */
export type AllowScope = 'run' | 'workspace' | 'user';

/** An allow rule: a tool-name glob for `tools.allow`, or a command pattern for `commands.allow`. */
export const allowRule = z.object({ list: z.enum(['tools', 'commands']), pattern: text(4096, 1) }).readonly();
export type AllowRule = z.infer<typeof allowRule>;

export interface AllowRuleProposal {
  readonly rules: readonly AllowRule[];
  /** What would be written where, exactly: `default.commands.allow += "npm test"`. */
  readonly preview: { readonly workspace: string; readonly user: string };
  /** Said beside the choice, e.g. that a written rule stops the asking only on autopilot. */
  readonly note?: string;
}

export namespace AddAllowRulesRequest {
  export const params = z
    .object({
      target: z.enum(['workspace', 'user']),
      /** The agent whose section the rules go to when it has its own list (`agents.<name>`), else `default`. */
      agent: text(256).optional(),
      rules: z.array(allowRule).min(1).max(64).readonly(),
      /** For `user`: the `keel.policy` setting as it is now (user scope); the answer carries it with the rules added. */
      userPolicy: z.record(text(256), z.unknown()).optional(),
    })
    .readonly()
    .describe('add-allow-rules request');
  export type Params = z.infer<typeof params>;
  /**
   * Extension → host: "Always allow" chosen with a policy as the place: add the rules to `.keel/policy.jsonc` (comments
   * and formatting kept) or compute the `keel.policy` value for the extension to save. Refused, with nothing written,
   * when the file does not parse or a deny or ask rule of any level would catch what the rules allow.
   */
  export const type = new RequestType<Params, AddAllowRulesResult, void>('policy/addAllowRules');
}
export interface AddAllowRulesResult {
  /** What was added where, for the user: `.keel/policy.jsonc: default.commands.allow += "npm test"`. */
  readonly summary: string;
  /** For `user`: the setting's new value. */
  readonly userPolicy?: Record<string, unknown>;
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

export namespace AskUserRequest {
  /**
   * Host → extension: an agent asks the user a question (the `ask_user` tool), or Keel asks for guidance for an agent
   * it stopped because it is stuck (a loop, repeated failures, its budget); the answer goes back to the model.
   */
  export const type = new RequestType<AskUserParams, AskUserAnswer, void>('approval/askUser');
}
export interface AskUserParams {
  readonly runId: string;
  readonly approvalId: string;
  /** `question`: the agent asks; `stuck`: Keel stopped the agent and asks how to go on. */
  readonly kind: 'question' | 'stuck';
  /** The agent's question, or why it is stuck: "read_file was called 3 times with the same arguments and result". */
  readonly question: string;
  /** What the agent says the answer is for, or its last calls. */
  readonly context?: string;
  /** The agent that asks, when a run has several (subagents). */
  readonly agent?: string;
}
/**
 * `answer`: the text goes to the model (an answer, or guidance for a stuck agent; it may be empty);
 * `decline`: the agent goes on without an answer; `stop`: the run ends here.
 */
export type AskUserAnswer = { readonly action: 'answer'; readonly text: string } | { readonly action: 'decline' } | { readonly action: 'stop' };
/** The longest answer the model is given; a longer one is cut. */
export const MAX_USER_ANSWER_CHARS = 20_000;
