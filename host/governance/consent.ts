import type { BudgetEscalationParams } from '../../protocol/models';
import type { AskUserAnswer, AskUserParams, ElicitAnswer, ElicitParams, RepeatChoice, RepeatStepParams, ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';

/**
 * The host's only way to ask the user anything. Inside VS Code it asks the extension over JSON-RPC (inline edit
 * review, notifications, the approval list); headless it is the terminal, a flag or a test. Only the
 * `ApprovalBroker` uses it, so every question gets a span, a timeout, the run's cancellation and a recorded answer.
 * Aborting `signal` takes the question down.
 */
export interface ConsentPort {
  /** Shows the edit and applies it if the user approves. */
  reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision>;
  /** May this run go over this budget? */
  approveBudget(escalation: BudgetEscalationParams, signal: AbortSignal): Promise<boolean>;
  /** An MCP server's question for the user. */
  elicit(request: ElicitParams, signal: AbortSignal): Promise<ElicitAnswer>;
  /** A resumed run's side effect may have happened before the host stopped: run it again, skip it, or stop the run? */
  confirmRepeat(question: RepeatStepParams, signal: AbortSignal): Promise<RepeatChoice>;
  /** An agent's question (`ask_user`), or guidance for an agent that is stuck: a free-text answer, no answer, or stop. */
  askUser(question: AskUserParams, signal: AbortSignal): Promise<AskUserAnswer>;
}
