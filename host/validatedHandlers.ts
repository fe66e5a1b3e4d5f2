import { ErrorCodes, ResponseError, type CancellationToken, type Connection, type Disposable, type HandlerResult, type NotificationType, type RequestType, type RequestType0 } from 'vscode-languageserver/node';
import type { z } from 'zod';
import { checkParams } from '../protocol/params';

/** A request as `protocol/rpc.ts` declares it: its type and the schema of its params. */
export interface CheckedRequest<P, R, E> {
  readonly type: RequestType<P, R, E> | RequestType0<R, E>;
  readonly params: z.ZodType<P>;
}

/** A notification as `protocol/rpc.ts` declares it. */
export interface CheckedNotification<P> {
  readonly type: NotificationType<P>;
  readonly params: z.ZodType<P>;
}

/**
 * Handles a request whose params have been checked against its schema. Params that do not match are answered
 * with InvalidParams naming each field at fault, and the handler never sees them.
 */
export function onValidatedRequest<P, R, E>(
  connection: Connection,
  request: CheckedRequest<P, R, E>,
  handler: (params: P, token: CancellationToken) => HandlerResult<R, E>,
): Disposable {
  const { method } = request.type;
  // Registered by method rather than type, so missing params reach the schema too instead of the library's
  // "defines 1 params but received none".
  return connection.onRequest<R, E>(method, (...args: unknown[]): HandlerResult<R, E> => {
    const token = args.pop() as CancellationToken;
    const checked = checkParams(request.params, receivedParams(args), method);
    if (!checked.ok) return new ResponseError<E>(ErrorCodes.InvalidParams, checked.message);
    return handler(checked.params, token);
  });
}

/**
 * Handles a notification whose params have been checked. A notification has no answer, so one that does not match
 * is logged, naming each field at fault, and dropped.
 */
export function onValidatedNotification<P>(
  connection: Connection,
  notification: CheckedNotification<P>,
  handler: (params: P) => void,
  log: (message: string) => void,
): Disposable {
  const { method } = notification.type;
  return connection.onNotification(method, (...args: unknown[]) => {
    const checked = checkParams(notification.params, receivedParams(args), method, 'notification');
    if (!checked.ok) return log(`${checked.message}. It was ignored.`);
    handler(checked.params);
  });
}

/**
 * vscode-jsonrpc spreads params sent as a list over the handler's arguments. None or one argument is the params
 * (absent, or an object); more are a list, which the schema then refuses as not an object.
 */
function receivedParams(args: readonly unknown[]): unknown {
  return args.length <= 1 ? args[0] : args;
}
