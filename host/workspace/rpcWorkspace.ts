import { CancellationTokenSource, type Connection } from 'vscode-languageserver/node';
import type { EditDecision } from '../../protocol/run';
import { ReadFileRequest, ReviewEditRequest, type ReviewEditParams } from '../../protocol/rpc';
import type { WorkspacePort } from './port';

/** The workspace as the extension sees it: reads include unsaved editor changes, edits are approved inline. */
export class RpcWorkspace implements WorkspacePort {
  constructor(private readonly connection: Connection) {}

  async readFile(path: string): Promise<string> {
    return (await this.connection.sendRequest(ReadFileRequest.type, { path })).text;
  }

  async reviewEdit(review: ReviewEditParams, signal: AbortSignal): Promise<EditDecision> {
    // Cancelling the request tells the extension to take the inline prompt down.
    const source = new CancellationTokenSource();
    const onAbort = () => source.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const decision = this.connection.sendRequest(ReviewEditRequest.type, review, source.token);
      return await Promise.race([decision, aborted(signal)]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
