import type { ReviewEditParams } from '../../protocol/rpc';
import type { EditDecision } from '../../protocol/run';

/**
 * The host's only way into the user's workspace. Inside VS Code it forwards to the extension (so unsaved
 * editor buffers and undo work); headless it is the file system.
 */
export interface WorkspacePort {
  /** Reads a workspace-relative file; rejects paths that leave the workspace. */
  readFile(path: string): Promise<string>;
  /** Shows the edit to the user and applies it if they approve. */
  reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
}
