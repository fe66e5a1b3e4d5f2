import type * as vscode from 'vscode';
import { CreateFileRequest, ReadFileRequest } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';
import { createWorkspaceFile, readWorkspaceFile } from './workspaceFiles';

/** The host reads files as the editor holds them, and creates approved new files, through the extension. */
export function registerWorkspaceFiles(context: vscode.ExtensionContext, host: AgentHost): void {
  context.subscriptions.push(
    host.onClient((client) => {
      client.onRequest(ReadFileRequest.type, async ({ path }) => ({ text: await readWorkspaceFile(path) }));
      client.onRequest(CreateFileRequest.type, ({ path, content }) => createWorkspaceFile(path, content));
    }),
  );
}
