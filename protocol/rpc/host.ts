/** The host itself (`keel/ping`). */
import { RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';

export namespace PingRequest {
  export const params = z.object({ sentAt: z.number() }).readonly();
  /**
   * Extension → host: a no-op round trip, for health checks and benchmarks. `hostTime` is when the host answered, in
   * epoch milliseconds, so a client on the same machine can tell the host's delay from its own.
   */
  export const type = new RequestType<z.infer<typeof params>, { sentAt: number; pid: number; hostTime: number }, void>('keel/ping');
}
