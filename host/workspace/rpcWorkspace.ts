import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import { CreateFileRequest, DeleteFileRequest, ReadFileRequest, WriteFileRequest } from '../../protocol/rpc';
import type { WorkspacePort } from './port';

/** The workspace as the extension sees it: reads include unsaved editor changes, new files are undoable edits. */
export class RpcWorkspace implements WorkspacePort {
  constructor(private readonly connection: Connection, private readonly folder: () => string | undefined) {}

  get root(): string {
    const folder = this.folder();
    if (!folder) throw new Error(l10n.t('No folder is open in VS Code; open a folder to let the agent work on files.'));
    return folder;
  }

  async createFile(path: string, content: string): Promise<void> {
    await this.connection.sendRequest(CreateFileRequest.type, { path, content });
  }

  async writeFile(path: string, content: string): Promise<void> {
    await this.connection.sendRequest(WriteFileRequest.type, { path, content });
  }

  async deleteFile(path: string): Promise<void> {
    await this.connection.sendRequest(DeleteFileRequest.type, { path });
  }

  async readFile(path: string): Promise<string> {
    return (await this.connection.sendRequest(ReadFileRequest.type, { path })).text;
  }
}
