import * as l10n from '@vscode/l10n';
import type { AuditSink } from '../../governance/auditLog';
import { errorMessage } from '../../observability/tracer';
import type { WorkspacePort } from '../../workspace/port';
import { sha256, type FileBackups } from './fileBackups';
import type { FileChange } from './runRecords';

export interface UndoResult {
  readonly undone: boolean;
  /** The files reverted; when nothing was, the files that stood in the way. */
  readonly files: string[];
  readonly message: string;
}

/**
 * Reverts a run's file changes, all or none: each file must still be as the run left it (else the user's later work
 * would be lost) and have its copy from before the run; an edited file gets that text back, a created one is deleted.
 * Written through the workspace port, so open editors follow and the change joins VS Code's undo history; each file is
 * audited. Should a write fail part way, the files already reverted are put back as they were.
 */
export async function undoChanges(changes: readonly FileChange[], io: { runId: string; workspace: WorkspacePort; backups: FileBackups; audit?: AuditSink }): Promise<UndoResult> {
  const { workspace, backups } = io;
  const write = workspace.writeFile?.bind(workspace);
  const remove = workspace.deleteFile?.bind(workspace);
  if (!write || !remove) return { undone: false, files: [], message: l10n.t('Nothing was undone: this host cannot write workspace files.') };
  const current = await Promise.all(changes.map((change) => workspace.readFile(change.path).catch(() => undefined)));
  const changedSince = changes.filter((change, i) => current[i] === undefined || sha256(current[i]!) !== change.after).map((change) => change.path);
  if (changedSince.length > 0) {
    const message = changedSince.length === 1
      ? l10n.t('Nothing was undone: {0} changed since the run (or is gone), and undoing would lose that work. Revert it by hand, or put back what the run left and undo again.', list(changedSince))
      : l10n.t('Nothing was undone: {0} changed since the run (or are gone), and undoing would lose that work. Revert them by hand, or put back what the run left and undo again.', list(changedSince));
    return { undone: false, files: changedSince, message };
  }
  const before = await Promise.all(changes.map((change) => (change.before === null ? null : backups.read(change.before))));
  const uncopied = changes.filter((_, i) => before[i] === undefined).map((change) => change.path);
  if (uncopied.length > 0) {
    const message = uncopied.length === 1
      ? l10n.t('Nothing was undone: Keel has no copy of {0} from before the run (it was not written or was removed), so it cannot be restored. Revert by hand, e.g. with git.', list(uncopied))
      : l10n.t('Nothing was undone: Keel has no copy of {0} from before the run (it was not written or was removed), so they cannot be restored. Revert by hand, e.g. with git.', list(uncopied));
    return { undone: false, files: uncopied, message };
  }
  const done: number[] = [];
  try {
    for (const [i, change] of changes.entries()) {
      const text = before[i];
      if (text === null) await remove(change.path);
      else await write(change.path, text!);
      done.push(i);
    }
  } catch (error) {
    const failed = changes[done.length]!.path;
    const stuck: string[] = [];
    for (const i of done.reverse()) {
      const change = changes[i]!;
      await (change.before === null ? workspace.createFile(change.path, current[i]!) : write(change.path, current[i]!)).catch(() => stuck.push(change.path));
    }
    const left = stuck.length === 0 ? '' : stuck.length === 1
      ? ` ${l10n.t('{0} could not be put back as the run left it; check it.', list(stuck))}`
      : ` ${l10n.t('{0} could not be put back as the run left them; check them.', list(stuck))}`;
    return { undone: false, files: [failed], message: `${l10n.t('Nothing was undone: {0} could not be restored ({1}).', failed, errorMessage(error))}${left}` };
  }
  for (const change of changes) await io.audit?.append({ kind: 'file_change', runId: io.runId, path: change.path, before: change.after, after: change.before });
  const files = changes.map((change) => change.path);
  return { undone: true, files, message: files.length === 1 ? l10n.t('Undid the run\'s changes to 1 file: {0}.', list(files)) : l10n.t('Undid the run\'s changes to {0} files: {1}.', files.length, list(files)) };
}

function list(paths: readonly string[]): string {
  const shown = paths.slice(0, 10).join(', ');
  return paths.length > 10 ? l10n.t('{0} and {1} more', shown, paths.length - 10) : shown;
}
