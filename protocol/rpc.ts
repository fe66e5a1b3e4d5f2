/**
 * Every request and notification between the extension and the agent host, typed once.
 * Methods are prefixed by area. Both sides import these objects; neither spells a method string.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { EditDecision, ModelSettings, ProposedEdit, RunLimits, RunResult } from './run';
import type { SpanData } from './trace';

export namespace StartRunRequest {
  /** Extension → host: start an agent run; answers at once with the run's id. */
  export const type = new RequestType<StartRunParams, { runId: string }, void>('keel/startRun');
}
export interface StartRunParams {
  readonly goal: string;
  readonly model: ModelSettings;
  readonly limits: RunLimits;
}

export namespace CancelRunRequest {
  /** Extension → host: cancel a run; answers whether a run with that id was active. */
  export const type = new RequestType<{ runId: string }, { cancelled: boolean }, void>('keel/cancelRun');
}

export namespace RunFinishedNotification {
  /** Host → extension: a run ended, however it ended. */
  export const type = new NotificationType<RunResult>('run/finished');
}

export namespace SpanNotification {
  /** Host → extension: a span started or ended; the latest snapshot of a span replaces earlier ones. */
  export const type = new NotificationType<SpanData>('trace/span');
}

export namespace ReadFileRequest {
  /** Host → extension: the text of a workspace file, as the editor has it (unsaved changes included). */
  export const type = new RequestType<{ path: string }, { text: string }, void>('workspace/readFile');
}

export namespace ReviewEditRequest {
  /** Host → extension: show a proposed edit inline, ask the user, and apply it if approved. */
  export const type = new RequestType<ReviewEditParams, EditDecision, void>('approval/reviewEdit');
}
export interface ReviewEditParams {
  readonly runId: string;
  readonly approvalId: string;
  readonly edit: ProposedEdit;
}

export namespace PingRequest {
  /** Extension → host: a no-op round trip, for health checks and benchmarks. */
  export const type = new RequestType<{ sentAt: number }, { sentAt: number; pid: number }, void>('keel/ping');
}
