import { readFile, writeFile } from 'node:fs/promises';
import type { ReviewEditParams } from '../../protocol/rpc';
import type { EditDecision, ProposedEdit } from '../../protocol/run';
import type { WorkspacePort } from './port';
import { resolveInside } from './paths';
import { applyEditToText } from './textRange';

export type EditApprover = (edit: ProposedEdit, signal: AbortSignal) => Promise<EditDecision>;

/** The workspace as plain files, for the headless CLI and tests. Approved edits are written straight to disk. */
export class FsWorkspace implements WorkspacePort {
  constructor(private readonly root: string, private readonly approve: EditApprover) {}

  async readFile(path: string): Promise<string> {
    return readFile(await resolveInside(this.root, path), 'utf8');
  }

  async reviewEdit({ edit }: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    const decision = await this.approve(edit, signal);
    if (decision.decision === 'approved') {
      const file = await resolveInside(this.root, edit.path);
      await writeFile(file, applyEditToText(await readFile(file, 'utf8'), edit));
    }
    return decision;
  }
}
