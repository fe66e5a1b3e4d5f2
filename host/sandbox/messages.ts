/**
 * The messages between the pool (main thread) and a sandbox worker. Only strings and numbers cross: guest values
 * travel as JSON text, so nothing live passes in either direction.
 */
import type { ExecutionOutcome, LogEntry, SandboxLimits } from './types';

/** What the worker needs at start-up, as `workerData`. */
export interface WorkerStartData {
  readonly wasmFile: string;
  /** One Int32 the pool sets to 1 to cancel; the interrupt handler reads it even while the guest spins. */
  readonly cancelFlag: Int32Array;
  /** The host's translation, which a thread does not share; absent in English. */
  readonly translations?: Readonly<Record<string, string>>;
}

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly code: string;
  readonly inputJson: string | undefined;
  readonly limits: SandboxLimits;
  /** The names of the granted capabilities; their implementations stay on the main thread. */
  readonly capabilities: readonly string[];
}

export type HostReply = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly message: string };

export type ToWorker =
  | RunMessage
  | ({ readonly type: 'hostReply'; readonly id: number; readonly callId: number } & HostReply)
  | { readonly type: 'cancel'; readonly id: number };

export interface WorkerResult {
  readonly outcome: ExecutionOutcome;
  readonly valueJson?: string;
  readonly error?: string;
  readonly logs: LogEntry[];
  readonly memoryUsedBytes: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'hostCall'; readonly id: number; readonly callId: number; readonly name: string; readonly argsJson: string }
  | { readonly type: 'done'; readonly id: number; readonly result: WorkerResult };
