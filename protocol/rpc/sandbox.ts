/** JavaScript run in the host's sandbox on the user's request (`sandbox/…`). */
import { RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { text } from '../params';

export namespace EvalJsRequest {
  /** `input` is any JSON value, visible to the code as `input`. */
  export const params = z.object({ code: text(100_000), input: z.unknown().optional() }).readonly();
  /** Extension → host: run JavaScript in the sandbox, with workspace reads only (Keel: Run JavaScript in Sandbox). */
  export const type = new RequestType<z.infer<typeof params>, EvalJsResult, void>('sandbox/eval');
}
export interface EvalJsResult {
  readonly outcome: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly logs: readonly { readonly level: string; readonly text: string }[];
  readonly durationMs: number;
}
