import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';
import type { WorkspacePort } from './port';
import { resolveInside, resolveNewFileInside } from './paths';
import { applyEditToText } from './textRange';

/** Who answers approvals when there is no editor: the terminal, a flag, or a test. */
export interface Approver {
  edit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
  toolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision>;
}

/** The workspace as plain files, for the headless CLI and tests. Approved edits are written straight to disk. */
export class FsWorkspace implements WorkspacePort {
  constructor(readonly root: string, private readonly approver: Approver) {}

  async createFile(path: string, content: string): Promise<void> {
    const file = await resolveNewFileInside(this.root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content, { flag: 'wx' });
  }

  async readFile(path: string): Promise<string> {
    return readFile(await resolveInside(this.root, path), 'utf8');
  }

  async reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    const decision = await this.approver.edit(review, signal);
    if (decision.decision === 'approved') {
      const file = await resolveInside(this.root, review.edit.path);
      await writeFile(file, applyEditToText(await readFile(file, 'utf8'), review.edit));
    }
    return decision;
  }

  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision> {
    return this.approver.toolCall(review, signal);
  }
}
