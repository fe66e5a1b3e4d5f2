import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { MemoryFilesChangedNotification, MemoryIndexProgressNotification, MemoryReindexRequest, MemorySearchRequest, MemorySettingsNotification } from '../../../protocol/rpc';
import { onValidatedNotification, onValidatedRequest } from '../../validatedHandlers';
import { MemoryUnavailableError, type WorkspaceMemory } from './workspaceMemory';

export interface MemorySettings {
  /** Takes the globs `files.exclude` now hides, which the index reads when it (re)opens. */
  readonly hide: (globs: readonly string[]) => void;
  readonly log: (message: string) => void;
}

/** Answers the extension's memory requests, applies its settings, and forwards index progress to it. */
export function serveMemory(connection: Connection, memory: WorkspaceMemory, settings: MemorySettings): void {
  memory.onProgress((progress) => void connection.sendNotification(MemoryIndexProgressNotification.type, progress));
  onValidatedRequest(connection, MemorySearchRequest, ({ query, limit }) => answer(async () => ({ hits: await memory.search(query, limit) })));
  onValidatedRequest(connection, MemoryReindexRequest, () => answer(() => memory.reindex()));
  onValidatedNotification(connection, MemoryFilesChangedNotification, ({ paths }) => memory.filesChanged(paths), settings.log);
  onValidatedNotification(
    connection,
    MemorySettingsNotification,
    ({ filesExclude }) => {
      settings.hide(filesExclude);
      void memory.refresh();
    },
    settings.log,
  );
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
