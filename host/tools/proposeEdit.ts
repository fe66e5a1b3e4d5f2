import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { ProposedEdit } from '../../protocol/run';
import { contentHash } from '../governance/auditLog';
import { positionAt } from '../workspace/textRange';
import { zodArgs } from './argsSchema';
import { defineTool } from './tool';

export const proposeEditTool = defineTool({
  name: 'propose_edit',
  description:
    'Propose replacing text in a workspace file. The user sees the change in the editor and approves or denies it. ' +
    'old_text must be copied exactly from the file (read it first) and occur exactly once; include surrounding lines to make it unique.',
  risk: 'write',
  source: 'builtin',
  reviewsOwnCalls: true,
  ownsResultText: true,
  args: zodArgs(
    z
      .object({
        path: z.string().min(1).describe('Workspace-relative path of the file to change'),
        old_text: z.string().min(1).describe('The exact text to replace; must occur exactly once in the file'),
        new_text: z.string().describe('The replacement text'),
      })
      .strict(),
  ),
  touches: ({ path }) => ({ writes: [path] }),
  async run(args, { workspace, approvals, audit, runId, span, signal }) {
    const text = await workspace.readFile(args.path);
    const edit = locateEdit(args.path, text, args.old_text, args.new_text);
    const decision = await approvals.reviewEdit(edit, { runId, parent: span, signal });
    if (decision.decision === 'approved') {
      const after = await workspace.readFile(args.path).then(contentHash, () => null);
      await audit?.append({ kind: 'file_change', runId, path: args.path, before: contentHash(text), after });
      return `The user approved the edit; it is applied to ${args.path}.`;
    }
    return l10n.t('The user denied the edit to {0}: {1}. Do not propose the same edit again.', args.path, String(decision.reason));
  },
});

export function locateEdit(path: string, text: string, oldText: string, newText: string): ProposedEdit {
  if (oldText === newText) throw new Error(l10n.t('{0} and {1} are the same, so the edit would change nothing.', 'old_text', 'new_text'));
  const start = text.indexOf(oldText);
  if (start < 0) throw new Error(l10n.t('{0} was not found in {1}. Read the file again and copy the text exactly, including whitespace.', 'old_text', path));
  const count = text.split(oldText).length - 1;
  if (count > 1) throw new Error(l10n.t('{0} occurs {1} times in {2}. Include more surrounding lines so it occurs exactly once.', 'old_text', count, path));
  return {
    path,
    range: { start: positionAt(text, start), end: positionAt(text, start + oldText.length) },
    oldText,
    newText,
  };
}
