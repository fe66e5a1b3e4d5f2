import type { BudgetEscalationParams } from '../../protocol/models';
import { rewriteWorkspaceText } from '../../protocol/node/confinedFiles';
import type { AskUserAnswer, AskUserParams, ElicitAnswer, ElicitParams, RepeatChoice, RepeatStepParams, ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';
import { applyEditToText } from '../workspace/textRange';
import type { ConsentPort } from './consent';

/** Who answers when there is no editor: the terminal, a flag, or a test. Unanswerable questions are refused. */
export interface Approver {
  edit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
  toolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision>;
  budget?(escalation: BudgetEscalationParams, signal: AbortSignal): Promise<boolean>;
  elicit?(request: ElicitParams, signal: AbortSignal): Promise<ElicitAnswer>;
  /** Absent, a step that may have run stops its run: nothing is repeated or skipped without someone deciding. */
  repeat?(question: RepeatStepParams, signal: AbortSignal): Promise<RepeatChoice>;
  /** Absent, nobody can answer: the question is declined (a stuck agent's run fails). */
  ask?(question: AskUserParams, signal: AbortSignal): Promise<AskUserAnswer>;
}

/** Consent on a workspace on disk: approved edits are written straight to the file that was checked. */
export class HeadlessConsent implements ConsentPort {
  constructor(private readonly root: string, private readonly approver: Approver) {}

  async reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    const decision = await this.approver.edit(review, signal);
    if (decision.decision === 'approved') await rewriteWorkspaceText(this.root, review.edit.path, (text) => applyEditToText(text, review.edit));
    return decision;
  }

  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision> {
    return this.approver.toolCall(review, signal);
  }

  async approveBudget(escalation: BudgetEscalationParams, signal: AbortSignal): Promise<boolean> {
    return (await this.approver.budget?.(escalation, signal)) ?? false;
  }

  async elicit(request: ElicitParams, signal: AbortSignal): Promise<ElicitAnswer> {
    return (await this.approver.elicit?.(request, signal)) ?? { action: 'decline' };
  }

  async confirmRepeat(question: RepeatStepParams, signal: AbortSignal): Promise<RepeatChoice> {
    return (await this.approver.repeat?.(question, signal)) ?? 'stop';
  }

  async askUser(question: AskUserParams, signal: AbortSignal): Promise<AskUserAnswer> {
    return (await this.approver.ask?.(question, signal)) ?? { action: 'decline' };
  }
}
