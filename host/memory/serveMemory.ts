import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { MemoryFilesChangedNotification, MemoryIndexProgressNotification, MemoryReindexRequest, MemorySearchRequest } from '../../protocol/rpc';
import { MemoryUnavailableError, type WorkspaceMemory } from './workspaceMemory';

/** Answers the extension's memory requests and forwards index progress to it. */
export function serveMemory(connection: Connection, memory: WorkspaceMemory): void {
  memory.onProgress((progress) => void connection.sendNotification(MemoryIndexProgressNotification.type, progress));
  connection.onRequest(MemorySearchRequest.type, ({ query, limit }) => answer(async () => ({ hits: await memory.search(query, limit) })));
  connection.onRequest(MemoryReindexRequest.type, () => answer(() => memory.reindex()));
  connection.onNotification(MemoryFilesChangedNotification.type, ({ paths }) => memory.filesChanged(paths));
}

/**
 * The result, or the error as the user should read it: the JSON-RPC library would otherwise prefix the message with
 * "Request … failed with message:".
 */
async function answer<T>(work: () => Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await work();
  } catch (error) {
    const { name, message } = error as Error;
    const code = name === 'QuerySyntaxError' ? ErrorCodes.InvalidParams : error instanceof MemoryUnavailableError ? ErrorCodes.InvalidRequest : ErrorCodes.InternalError;
    return new ResponseError(code, message);
  }
}
