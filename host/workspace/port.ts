import type { ReviewEditParams, ReviewToolCallParams } from '../../protocol/rpc';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';

/**
 * The host's only way to the user's workspace and to the user. Inside VS Code it forwards to the extension (so
 * unsaved editor buffers, undo and inline prompts work); headless it is the file system and the terminal.
 */
export interface WorkspacePort {
  /** The workspace folder's absolute path; throws when no folder is open. */
  readonly root: string;
  /**
   * Reads a workspace-relative file; rejects paths that leave the workspace and files that .gitignore or .keelignore
   * exclude, saying how to allow them.
   */
  readFile(path: string): Promise<string>;
  /** Creates a new file (and missing folders); rejects if it exists or would leave the workspace. */
  createFile(path: string, content: string): Promise<void>;
  /** Shows the edit to the user and applies it if they approve. */
  reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision>;
  /** Asks whether a tool call may run. */
  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision>;
}
