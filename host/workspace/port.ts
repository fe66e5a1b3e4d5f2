/**
 * The host's only way to the user's files. Inside VS Code it forwards to the extension (so unsaved editor buffers
 * and undo work); headless it is the file system. Asking the user goes through governance's consent port instead.
 */
export interface WorkspacePort {
  /** The workspace folder's absolute path; throws when no folder is open. */
  readonly root: string;
  /**
   * Reads a workspace-relative file; rejects paths that leave the workspace and files that .gitignore or .keelignore
   * exclude, saying how to allow one.
   */
  readFile(path: string): Promise<string>;
  /** Creates a new file (and missing folders); rejects if it exists or would leave the workspace. */
  createFile(path: string, content: string): Promise<void>;
  /**
   * Replaces an existing file's text (undoing a run), with the checks `readFile` makes; in VS Code an open editor
   * follows and the change can be undone there. Absent where the host cannot write files.
   */
  writeFile?(path: string, content: string): Promise<void>;
  /** Deletes a file (undoing a run that created it), with the checks `readFile` makes. */
  deleteFile?(path: string): Promise<void>;
}
