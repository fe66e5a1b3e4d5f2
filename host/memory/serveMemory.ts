import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { MemoryFilesChangedNotification, MemoryIndexProgressNotification, MemoryReindexRequest, MemorySearchRequest, MemorySettingsNotification } from '../../protocol/rpc';
import { MemoryUnavailableError, type WorkspaceMemory } from './workspaceMemory';

export interface MemorySettings {
  /** Takes the globs `files.exclude` now hides, which the index reads when it (re)opens. */
  readonly hide: (globs: readonly string[]) => void;
  readonly log: (message: string) => void;
}

/** Answers the extension's memory requests, applies its settings, and forwards index progress to it. */
export function serveMemory(connection: Connection, memory: WorkspaceMemory, settings: MemorySettings): void {
  memory.onProgress((progress) => void connection.sendNotification(MemoryIndexProgressNotification.type, progress));
  connection.onRequest(MemorySearchRequest.type, ({ query, limit }) => answer(async () => ({ hits: await memory.search(query, limit) })));
  connection.onRequest(MemoryReindexRequest.type, () => answer(() => memory.reindex()));
  connection.onNotification(MemoryFilesChangedNotification.type, ({ paths }) => memory.filesChanged(paths));
  connection.onNotification(MemorySettingsNotification.type, (params) => {
    const globs: unknown = params?.filesExclude;
    if (!Array.isArray(globs) || !globs.every((glob) => typeof glob === 'string')) return settings.log(`memory/settings ignored: filesExclude must be an array of globs, got ${JSON.stringify(globs)}`);
    settings.hide(globs);
    void memory.refresh();
  });
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
