/** Resource limits for one execution. Every limit is always applied; a request may override any of them. */
export interface SandboxLimits {
  /**
   * The most memory the guest may allocate, held by capping the worker's WebAssembly memory at this plus the
   * 16 MiB QuickJS starts with; the guest also gets what QuickJS leaves unused of those. Running out ends the
   * execution as `memory` even if the guest catches the error.
   */
  memoryBytes: number;
  /** The most stack the guest may use; deep recursion fails cleanly at this depth. */
  stackBytes: number;
  /** Wall-clock time for the whole execution, including time spent waiting on capabilities. */
  timeoutMs: number;
  /**
   * The guest's own running time, not counting waits on capabilities: what stops a spinning loop in an execution
   * that may wait a long time (a workflow waiting on its agents).
   */
  computeMs: number;
  /** The most console output, and separately the longest return value as JSON, in characters. */
  maxOutputChars: number;
  /** The most promise jobs the guest may run back to back without waiting on a capability. */
  maxPendingJobs: number;
}

/** Capabilities live in the host (main thread); the guest reaches them only as injected async functions. */
export interface SandboxCapabilities {
  readFile?(path: string): Promise<string>;
  listFiles?(glob: string): Promise<string[]>;
  fetch?(url: string, init: FetchInit): Promise<FetchResponse>;
  /** Orchestration (workflows): run an agent on a goal; the guest's arguments as given, checked by the implementation. */
  agent?(spec: unknown, input: unknown): Promise<unknown>;
  /** Orchestration (workflows): ask the user a question. */
  ask?(question: unknown): Promise<unknown>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FetchResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ExecutionRequest {
  /** The body of an async function; its awaited return value is the result. */
  code: string;
  /** Copied into the guest as JSON and visible there as the global `input`. */
  input?: unknown;
  limits?: Partial<SandboxLimits>;
  capabilities?: SandboxCapabilities;
}

export type ExecutionOutcome = 'ok' | 'error' | 'timeout' | 'memory' | 'stack' | 'output_limit' | 'cancelled';

export type LogLevel = 'log' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  text: string;
}

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** A JSON-compatible copy of the returned value, when the outcome is `ok`. */
  value?: unknown;
  /** What went wrong: the guest's error, or which limit was hit, its value and how to change it. */
  error?: string;
  logs: LogEntry[];
  /** Wall-clock time of `execute()`, including any wait for a free worker. */
  durationMs: number;
  /** The guest runtime's memory use when it finished; for a `memory` outcome, the limit it reached. */
  memoryUsedBytes: number;
  /** The limits this execution ran with, after defaults were applied. */
  limits: SandboxLimits;
}
