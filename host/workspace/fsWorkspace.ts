import { createWorkspaceText, readWorkspaceText } from '../../protocol/node/confinedFiles';
import type { WorkspacePort } from './port';

/** The workspace as plain files, for the headless CLI and tests. */
export class FsWorkspace implements WorkspacePort {
  constructor(readonly root: string) {}

  createFile(path: string, content: string): Promise<void> {
    return createWorkspaceText(this.root, path, content);
  }

  readFile(path: string): Promise<string> {
    return readWorkspaceText(this.root, path);
  }
}
