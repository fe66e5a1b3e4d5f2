import { randomUUID } from 'node:crypto';
import type { EditDecision, ProposedEdit } from '../../protocol/run';
import type { Span } from '../observability/tracer';
import { errorMessage } from '../observability/tracer';
import type { WorkspacePort } from '../workspace/port';

/**
 * Asks the user about actions that need approval and records the decision on an `approval` span.
 * An unanswered request counts as denied after the timeout, so a run never waits forever.
 */
export class ApprovalBroker {
  constructor(private readonly workspace: WorkspacePort, private readonly timeoutMs: number) {}

  async reviewEdit(edit: ProposedEdit, at: { runId: string; parent: Span; signal: AbortSignal }): Promise<EditDecision> {
    const approvalId = randomUUID();
    const span = at.parent.child(`approval propose_edit`, 'approval', {
      'keel.approval.id': approvalId,
      'keel.run.id': at.runId,
      'keel.file.path': edit.path,
      'keel.edit.start_line': edit.range.start.line + 1,
      'keel.edit.end_line': edit.range.end.line + 1,
    });
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([at.signal, timeout]);
    try {
      const decision = await this.workspace.reviewEdit({ runId: at.runId, approvalId, edit }, signal);
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
