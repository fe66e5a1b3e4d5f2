/** Starting, cancelling and finishing agent runs (`keel/…`, `run/…`). */
import * as l10n from '@vscode/l10n';
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema, privacySettingsSchema } from '../models';
import { integer, list, noParams, text } from '../params';
import { runLimitsSchema, type RunResult } from '../run';
import { agentName } from './agents';
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
      passEnv: list(z.string().max(256).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: () => l10n.t('must be an environment variable name') }), 200).optional(),
      /** Whether approved commands run in the OS sandbox (`keel.commands.sandbox`); `auto` when absent. */
      commandSandbox: z.enum(['auto', 'required', 'off']).optional(),
      /** The user's policy (`keel.policy`, user settings only); the host checks it against the policy schema. */
      policy: z.record(text(256), z.unknown()).optional(),
      /** The agent definition to run (`agents/list`); absent: Keel's default agent. */
      agent: agentName().optional(),
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

/** A run whose journal has no end: the host stopped (crash, restart, window reload) before the run finished. */
export interface UnfinishedRun {
  readonly runId: string;
  readonly goal: string;
  /** ISO time the run first started. */
  readonly startedAt: string;
  /** Model responses recorded so far. */
  readonly steps: number;
  /** Why this run cannot be resumed (a corrupted journal); resuming it marks it failed and runs nothing. */
  readonly problem?: string;
}

export namespace ListUnfinishedRunsRequest {
  export const params = noParams;
  /** Extension → host: the runs on disk that did not finish and are not running now. */
  export const type = new RequestType<z.infer<typeof params>, { runs: UnfinishedRun[] }, void>('runs/listUnfinished');
}

export namespace ResumeRunRequest {
  export const params = z
    .object({
      runId: id(),
      /** The model settings in force now, with their keys; the journal keeps them without keys. Absent: as journaled. */
      models: modelConfigSchema.optional(),
      /** Restricted Mode now (the workspace is no longer trusted): the run resumes with read-only tools. */
      restricted: z.boolean().optional(),
    })
    .readonly();
  /** Extension → host: resume an unfinished run under its own id; its end comes as `run/finished` like any run's. */
  export const type = new RequestType<z.infer<typeof params>, { runId: string }, void>('runs/resume');
}

export namespace DiscardRunRequest {
  export const params = z.object({ runId: id() }).readonly();
  /** Extension → host: the user does not want this unfinished run resumed; it is closed as cancelled. */
  export const type = new RequestType<z.infer<typeof params>, { discarded: boolean }, void>('runs/discard');
}

/** A run that failed, kept on the dead-letter queue until it is retried or dismissed. */
export interface FailedTask {
  readonly runId: string;
  readonly goal: string;
  readonly agent: string;
  /** Why it failed, as the run's end said (redacted). */
  readonly message: string;
  readonly failedAt: string;
  /** Model responses the journal holds: a retry replays them and goes on from the last good step. */
  readonly steps: number;
}

export namespace ListFailedTasksRequest {
  export const params = noParams;
  /** Extension → host: the dead-letter queue, newest first ("Keel: Show Failed Tasks"). */
  export const type = new RequestType<z.infer<typeof params>, { tasks: FailedTask[] }, void>('runs/listFailed');
}

export namespace RetryFailedTaskRequest {
  export const params = z.object({ runId: id(), models: modelConfigSchema.optional(), restricted: z.boolean().optional() }).readonly();
  /** Extension → host: run a failed task again under its own id, replaying its journal up to its last good step. */
  export const type = new RequestType<z.infer<typeof params>, { runId: string }, void>('runs/retryFailed');
}

export namespace DismissFailedTaskRequest {
  export const params = z.object({ runId: id() }).readonly();
  /** Extension → host: take a failed task off the queue without running it again. */
  export const type = new RequestType<z.infer<typeof params>, { dismissed: boolean }, void>('runs/dismissFailed');
}

export namespace FailedTasksChangedNotification {
  /** Host → extension: the dead-letter queue changed; `count` tasks wait. */
  export const type = new NotificationType<{ count: number }>('runs/failedChanged');
}

/** Where a run stands, as the Runs list shows it. */
export type RunState =
  /** Working now. */
  | 'running'
  /** Working, but stopped on a question to the user (an approval, a budget, an escalation). */
  | 'waiting'
  /** The host stopped during the run; it can be resumed. */
  | 'interrupted'
  /** Failed and on the dead-letter queue; it can be retried or dismissed. */
  | 'failed'
  /** Ended with an answer; it can be continued or undone. */
  | 'succeeded'
  | 'cancelled';

/** One run in the Runs list. */
export interface RunListEntry {
  readonly runId: string;
  /** The goal it was started with (its title). */
  readonly goal: string;
  readonly agent: string;
  /** An agent run, or a workflow run (`.keel/workflows/*.js`). */
  readonly kind: 'agent' | 'workflow';
  readonly state: RunState;
  /** ISO times. */
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Model responses recorded so far. */
  readonly steps: number;
  /** The final answer, or why it failed or stopped (redacted). */
  readonly message?: string;
  /** Files the run changed that an undo would restore. */
  readonly filesChanged: number;
  /**
   * Their workspace-relative paths (the first 50), which the Runs list's undo confirmation names before anything is
   * reverted. Absent from a host that does not send them: the confirmation then gives only the count.
   */
  readonly changedFiles?: readonly string[];
  /** The run's trace, to open in the trace viewer. */
  readonly traceId?: string;
}

export namespace ListRunsRequest {
  export const params = z.object({ limit: integer(1, 500).optional() }).readonly().optional();
  /** Extension → host: the runs it knows, newest first: running ones, unfinished, failed, and recently ended. */
  export const type = new RequestType<z.infer<typeof params>, { runs: RunListEntry[] }, void>('runs/list');
}

export namespace RunsChangedNotification {
  /** Host → extension: a run started, ended, began or stopped waiting on the user; ask `runs/list` again. */
  export const type = new NotificationType<{ runId: string; state: RunState }>('runs/changed');
}

/** What a run said and did, in order, for its conversation in the panel. */
export type RunMessage =
  /** The goal, a follow-up that continued the run, or a steering message sent while it ran. */
  | { readonly role: 'user'; readonly kind: 'goal' | 'continue' | 'steer'; readonly text: string; readonly at: string }
  /** What the model said, including its words between tool calls; `agent` names a subagent's. */
  | { readonly role: 'assistant'; readonly text: string; readonly agent: string; readonly at: string }
  /** A tool call and how it ended; `summary` is a short, redacted line of its arguments. */
  | { readonly role: 'tool'; readonly tool: string; readonly summary: string; readonly ok: boolean; readonly agent: string; readonly at: string };

export namespace RunTranscriptRequest {
  export const params = z.object({ runId: id() }).readonly();
  /** Extension → host: a run's conversation (redacted), from its journal. */
  export const type = new RequestType<z.infer<typeof params>, { runId: string; messages: RunMessage[] }, void>('runs/transcript');
}

export namespace ContinueRunRequest {
  export const params = z
    .object({
      runId: id(),
      /** The follow-up: what the agent should do next, with the run's conversation so far as context. */
      message: text(20_000, 1),
      models: modelConfigSchema.optional(),
      restricted: z.boolean().optional(),
    })
    .readonly();
  /** Extension → host: continue an ended run with a new message, under the same id and trace; it ends as any run does. */
  export const type = new RequestType<z.infer<typeof params>, { runId: string }, void>('runs/continue');
}

export namespace SteerRunRequest {
  export const params = z.object({ runId: id(), message: text(20_000, 1) }).readonly();
  /** Extension → host: a message the running agent sees at its next step; false when the run is not running here. */
  export const type = new RequestType<z.infer<typeof params>, { accepted: boolean }, void>('runs/steer');
}

export namespace UndoRunRequest {
  export const params = z.object({ runId: id() }).readonly();
  /**
   * Extension → host: revert the files an ended run changed to their content before it, from its journal. All or
   * nothing: when any file changed since the run, nothing is reverted and `message` names those files.
   */
  export const type = new RequestType<z.infer<typeof params>, { undone: boolean; files: string[]; message: string }, void>('runs/undo');
}

export namespace StartWorkflowRequest {
  /** The most of a workflow's input, as JSON. */
  export const MAX_INPUT_CHARS = 100_000;
  export const params = StartRunRequest.params
    .unwrap()
    .omit({ goal: true, agent: true })
    .extend({
      /** The workflow's file, relative to the workspace folder (`.keel/workflows/review.js`); it must stay inside it. */
      path: text(1000, 1).regex(/\.js$/, { error: () => l10n.t('must name a {0} file', '.js') }),
      /** Any JSON value, the script's `input`. */
      input: z.unknown().refine((input) => input === undefined || (JSON.stringify(input)?.length ?? 0) <= MAX_INPUT_CHARS, `must be at most ${MAX_INPUT_CHARS} characters as JSON`).optional(),
      /** The script's own running time, waits on agents and the user not counted; 10 s when absent. */
      computeMs: integer(1, 600_000).optional(),
    })
    .readonly()
    .describe('workflow request');
  /** Extension → host: run a workflow (`.keel/workflows/*.js`) as a durable run; answers once it is on disk. */
  export const type = new RequestType<StartWorkflowParams, { runId: string }, void>('runs/startWorkflow');
}
export type StartWorkflowParams = z.infer<typeof StartWorkflowRequest.params>;

export namespace PlanWorkflowRequest {
  export const params = z.object({ goal: text(20_000, 1), models: modelConfigSchema, restricted: z.boolean().optional() }).readonly();
  /**
   * Extension → host: ask the planning model to write a workflow for a hard goal ("Keel: Plan Workflow…"); answers the
   * script (checked to parse, never run) and a suggested path. The user reads it, and it runs only if they approve.
   */
  export const type = new RequestType<z.infer<typeof params>, { script: string; path: string }, void>('runs/planWorkflow');
}
