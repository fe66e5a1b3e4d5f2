import type { ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';
import { createWorkspaceText, readWorkspaceText, rewriteWorkspaceText } from '../../protocol/node/confinedFiles';
import type { WorkspacePort } from './port';
import { applyEditToText } from './textRange';

/** Who answers approvals when there is no editor: the terminal, a flag, or a test. */
export interface Approver {
  edit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
  toolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision>;
}

/** The workspace as plain files, for the headless CLI and tests. Approved edits are written straight to disk. */
export class FsWorkspace implements WorkspacePort {
  constructor(readonly root: string, private readonly approver: Approver) {}

  createFile(path: string, content: string): Promise<void> {
    return createWorkspaceText(this.root, path, content);
  }

  readFile(path: string): Promise<string> {
    return readWorkspaceText(this.root, path);
  }

  async reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    const decision = await this.approver.edit(review, signal);
    if (decision.decision === 'approved') await rewriteWorkspaceText(this.root, review.edit.path, (text) => applyEditToText(text, review.edit));
    return decision;
  }

  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision> {
    return this.approver.toolCall(review, signal);
  }
}
