import { randomUUID } from 'node:crypto';
import { CancellationTokenSource, type Connection } from 'vscode-languageserver/node';
import { VsCodeChatRequest, VsCodeChatTextNotification } from '../../protocol/rpc';
import { abortable } from '../abortable';
import { onValidatedNotification } from '../validatedHandlers';
import type { VsCodeChat } from './vscodeModel';

/**
 * VS Code's language models over the protocol: one request per chat, its text streamed back as notifications.
 * A text notification that does not match the protocol is logged and dropped.
 */
export function rpcVsCodeChat(connection: Connection, log: (message: string) => void): VsCodeChat {
  const streams = new Map<string, (delta: string) => void>();
  onValidatedNotification(connection, VsCodeChatTextNotification, ({ requestId, delta }) => streams.get(requestId)?.(delta), log);
  return async (params, onText, signal) => {
    const requestId = randomUUID();
    const source = new CancellationTokenSource();
    const onAbort = () => source.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    streams.set(requestId, onText);
    try {
      return await abortable(connection.sendRequest(VsCodeChatRequest.type, { ...params, requestId }, source.token), signal);
    } finally {
      streams.delete(requestId);
      signal.removeEventListener('abort', onAbort);
      source.dispose();
    }
  };
}
