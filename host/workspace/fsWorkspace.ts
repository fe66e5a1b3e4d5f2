import { createWorkspaceText, deleteWorkspaceText, readWorkspaceText, rewriteWorkspaceText } from '../../protocol/node/confinedFiles';
import type { WorkspacePort } from './port';

/** The workspace as plain files, for the headless CLI and tests. */
export class FsWorkspace implements WorkspacePort {
  constructor(readonly root: string) {}

  createFile(path: string, content: string): Promise<void> {
    return createWorkspaceText(this.root, path, content);
  }

  writeFile(path: string, content: string): Promise<void> {
    return rewriteWorkspaceText(this.root, path, () => content);
  }

  deleteFile(path: string): Promise<void> {
    return deleteWorkspaceText(this.root, path);
  }

  readFile(path: string): Promise<string> {
    return readWorkspaceText(this.root, path);
  }
}
