import * as l10n from '@vscode/l10n';
import { createHash } from 'node:crypto';
import { readWorkspaceText } from '../../../protocol/node/confinedFiles';

/** Where the workspace's workflows live; "Keel: Run Workflow…" lists this folder's `.js` files. */
export const WORKFLOWS_DIR = '.keel/workflows';
/** A workflow is a script, not a bundle: past this it is refused. */
const MAX_WORKFLOW_BYTES = 256 * 1024;

export interface WorkflowSource {
  /** Workspace-relative, with forward slashes. */
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
}

/**
 * A workflow file's text, read like any workspace file a tool reads: inside the workspace (symlinks resolved), not
 * ignored, at most 256 KiB. Throws a message naming the file and what to do.
 */
export async function readWorkflow(root: string | undefined, path: string): Promise<WorkflowSource> {
  if (!root) throw new Error(l10n.t('Open a folder first: a workflow is a file of the workspace.'));
  const shown = path.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!shown.endsWith('.js')) throw new Error(l10n.t('{0} is not a JavaScript file; a workflow is a .js file such as {1}.', shown, `${WORKFLOWS_DIR}/review.js`));
  let text: string;
  try {
    text = await readWorkspaceText(root, shown, MAX_WORKFLOW_BYTES);
  } catch (error) {
    throw new Error(l10n.t('The workflow {0} cannot be read: {1}', shown, (error as Error).message), { cause: error });
  }
  return { path: shown, text, sha256: sha256(text) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
