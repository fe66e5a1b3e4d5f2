import { CancellationTokenSource, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import type { EditDecision, ToolCallDecision } from '../../protocol/run';
import { CreateFileRequest, ReadFileRequest, ReviewEditRequest, ReviewToolCallRequest, type ReviewEditParams, type ReviewToolCallParams } from '../../protocol/rpc';
import { abortable } from '../abortable';
import type { WorkspacePort } from './port';

/** The workspace as the extension sees it: reads include unsaved editor changes, approvals are asked inline. */
export class RpcWorkspace implements WorkspacePort {
  constructor(private readonly connection: Connection, private readonly folder: () => string | undefined) {}

  get root(): string {
    const folder = this.folder();
    if (!folder) throw new Error('No folder is open in VS Code; open a folder to let the agent work on files.');
    return folder;
  }

  async createFile(path: string, content: string): Promise<void> {
    await this.connection.sendRequest(CreateFileRequest.type, { path, content });
  }

  async readFile(path: string): Promise<string> {
    return (await this.connection.sendRequest(ReadFileRequest.type, { path })).text;
  }

  reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    return this.ask(signal, (token) => this.connection.sendRequest(ReviewEditRequest.type, review, token));
  }

  reviewToolCall(review: ReviewToolCallParams, signal: AbortSignal): Promise<ToolCallDecision> {
    return this.ask(signal, (token) => this.connection.sendRequest(ReviewToolCallRequest.type, review, token));
  }

  /** Cancelling the request tells the extension to take its prompt down. */
  private async ask<R>(signal: AbortSignal, send: (token: CancellationToken) => Promise<R>): Promise<R> {
    const source = new CancellationTokenSource();
    const onAbort = () => source.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await abortable(send(source.token), signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }
}
