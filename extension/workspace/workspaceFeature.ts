import type * as vscode from 'vscode';
import { CreateFileRequest, DeleteFileRequest, ReadFileRequest, WriteFileRequest } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { createWorkspaceFile, deleteWorkspaceFile, readWorkspaceFile, writeWorkspaceFile } from './workspaceFiles';

/**
 * The host reads files as the editor holds them, creates approved new files, and reverts a run's files when the user
 * undoes it, through the extension.
 */
export function registerWorkspaceFiles(context: vscode.ExtensionContext, host: AgentHost): void {
  context.subscriptions.push(
    host.onClient((client) => {
      client.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readWorkspaceFile(path) }));
      client.onRequest(CreateFileRequest.type, ({ path, content }) => createWorkspaceFile(path, content));
      client.onRequest(WriteFileRequest.type, ({ path, content }) => writeWorkspaceFile(path, content));
      client.onRequest(DeleteFileRequest.type, ({ path }) => deleteWorkspaceFile(path));
    }),
  );
}
