/** Starting, cancelling and finishing agent runs (`keel/…`, `run/…`). */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema, privacySettingsSchema } from '../models';
import { list, text } from '../params';
import { runLimitsSchema, type RunResult } from '../run';
import { id } from './names';

export namespace StartRunRequest {
  export const params = z
    .object({
      /** What the agent should do; the host also refuses one that is only whitespace. */
      goal: text(20_000),
      models: modelConfigSchema,
      privacy: privacySettingsSchema.optional(),
      limits: runLimitsSchema,
      /** Restricted Mode (an untrusted workspace): only read-only tools are offered and allowed. */
      restricted: z.boolean().optional(),
      /** Hosts sandboxed code (run_js, user tools) may fetch from; none when absent. */
      allowHosts: list(text(500, 1), 1000).optional(),
      /** Credential-like environment variables commands may still see (`keel.tools.passEnv`); none when absent. */
      passEnv: list(z.string().max(256).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), 200).optional(),
      /** Whether approved commands run in the OS sandbox (`keel.commands.sandbox`); `auto` when absent. */
      commandSandbox: z.enum(['auto', 'required', 'off']).optional(),
      /** The user's policy (`keel.policy`, user settings only); the host checks it against the policy schema. */
      policy: z.record(text(256), z.unknown()).optional(),
    })
    .readonly()
    .describe('run request');
  /** Extension → host: start an agent run; answers at once with the run's id. */
  export const type = new RequestType<StartRunParams, { runId: string }, void>('keel/startRun');
}
export type StartRunParams = z.infer<typeof StartRunRequest.params>;

export namespace CancelRunRequest {
  export const params = z.object({ runId: id() }).readonly();
  /** Extension → host: cancel a run; answers whether a run with that id was active. */
  export const type = new RequestType<z.infer<typeof params>, { cancelled: boolean }, void>('keel/cancelRun');
}

export namespace RunFinishedNotification {
  /** Host → extension: a run ended, however it ended. */
  export const type = new NotificationType<RunResult>('run/finished');
}
