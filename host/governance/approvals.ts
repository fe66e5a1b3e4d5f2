import { randomUUID } from 'node:crypto';
import type { ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ProposedEdit, ToolCallDecision } from '../../protocol/run';
import type { AttributeValue } from '../../protocol/trace';
import type { Span } from '../observability/tracer';
import { errorMessage } from '../observability/tracer';
import type { WorkspacePort } from '../workspace/port';

/** The part of the workspace port that asks the user. */
export type ApprovalPort = Pick<WorkspacePort, 'reviewEdit' | 'reviewToolCall'>;

/** What tools see of the broker: the two questions they may ask. */
export type Approvals = Pick<ApprovalBroker, 'reviewEdit' | 'reviewToolCall'>;

export interface At {
  readonly runId: string;
  readonly parent: Span;
  readonly signal: AbortSignal;
}

/**
 * Asks the user about actions that need approval and records the decision on an `approval` span.
 * An unanswered request counts as denied after the timeout, so a run never waits forever.
 */
export class ApprovalBroker {
  constructor(private readonly workspace: ApprovalPort, private readonly timeoutMs: number) {}

  reviewEdit(edit: ProposedEdit, at: At): Promise<EditDecision> {
    return this.decide('propose_edit', at, { 'keel.file.path': edit.path, 'keel.edit.start_line': edit.range.start.line + 1, 'keel.edit.end_line': edit.range.end.line + 1 }, (approvalId, signal) =>
      this.workspace.reviewEdit({ runId: at.runId, approvalId, edit }, signal));
  }

  reviewToolCall(review: Omit<ReviewToolCallParams, 'runId' | 'approvalId'>, at: At): Promise<ToolCallDecision> {
    return this.decide(review.tool, at, { 'keel.tool.risk': review.risk, 'keel.tool.source': review.source }, (approvalId, signal) =>
      this.workspace.reviewToolCall({ ...review, runId: at.runId, approvalId }, signal));
  }

  private async decide<D extends EditDecision | ToolCallDecision>(
    subject: string,
    at: At,
    attributes: Record<string, AttributeValue>,
    ask: (approvalId: string, signal: AbortSignal) => Promise<D>,
  ): Promise<D | { decision: 'denied'; reason: string }> {
    const approvalId = randomUUID();
    const span = at.parent.child(`approval ${subject}`, 'approval', { 'keel.approval.id': approvalId, 'keel.run.id': at.runId, ...attributes });
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const decision = await ask(approvalId, AbortSignal.any([at.signal, timeout]));
      span.setAttributes({ 'keel.approval.decision': decision.decision, 'keel.approval.decided_by': 'user' });
      span.end('ok', decision.decision === 'denied' ? decision.reason : undefined);
      return decision;
    } catch (error) {
      if (at.signal.aborted) {
        span.end('cancelled', 'The run was cancelled while waiting for approval.');
        throw error;
      }
      if (timeout.aborted) {
        const reason = `no answer within ${Math.round(this.timeoutMs / 1000)} s, so it counts as denied`;
        span.setAttributes({ 'keel.approval.decision': 'denied', 'keel.approval.decided_by': 'timeout' });
        span.end('ok', reason);
        return { decision: 'denied', reason };
      }
      span.end('error', errorMessage(error));
      throw error;
    }
  }
}
