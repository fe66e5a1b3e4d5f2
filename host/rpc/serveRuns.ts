import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import {
  CancelRunRequest, ContinueRunRequest, DiscardRunRequest, DismissFailedTaskRequest, ListAgentsRequest, ListFailedTasksRequest, ListRunsRequest, ListUnfinishedRunsRequest, ResumeRunRequest,
  RetryFailedTaskRequest, RunTranscriptRequest, StartRunRequest, StartWorkflowRequest, SteerRunRequest, UndoRunRequest, PlanWorkflowRequest,
} from '../../protocol/rpc';
import { workflowsRestricted, type AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** Starts, cancels and resumes runs for the extension; each run's spans and end reach it through the host's ports. */
export function serveRuns(connection: Connection, host: AgentHost): void {
  // The shape was checked against the protocol; the run manager still refuses an empty goal and router settings that
  // do not parse, naming the setting.
  onValidatedRequest(connection, StartRunRequest, async (params) => {
    let started;
    try {
      started = host.startRun(params);
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidParams, (error as Error).message);
    }
    // The id is answered once the run is on disk, so a crash after this answer can always be resumed.
    await started.recorded;
    return { runId: started.runId };
  });
  onValidatedRequest(connection, StartWorkflowRequest, async (params) => {
    let started;
    try {
      started = await host.startWorkflow(params);
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidParams, (error as Error).message);
    }
    await started.recorded;
    return { runId: started.runId };
  });
  onValidatedRequest(connection, PlanWorkflowRequest, async ({ goal, models, restricted }, token) => {
    if (restricted) return new ResponseError(ErrorCodes.InvalidRequest, workflowsRestricted());
    const cancelled = new AbortController();
    token.onCancellationRequested(() => cancelled.abort());
    try {
      return await host.planWorkflow(goal, models, cancelled.signal);
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
    }
  });
  onValidatedRequest(connection, ListAgentsRequest, () => host.listAgents());
  onValidatedRequest(connection, CancelRunRequest, ({ runId }) => ({ cancelled: host.runs.cancel(runId) }));
  onValidatedRequest(connection, ListUnfinishedRunsRequest, async () => ({ runs: await host.runs.unfinished() }));
  onValidatedRequest(connection, ResumeRunRequest, async ({ runId, models, restricted }) => {
    try {
      return { runId: (await host.resumeRun(runId, { models, restricted })).runId };
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
    }
  });
  onValidatedRequest(connection, DiscardRunRequest, async ({ runId }) => {
    try {
      return { discarded: await host.runs.discard(runId) };
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
    }
  });
  onValidatedRequest(connection, ListFailedTasksRequest, async () => ({ tasks: await host.deadLetters.list() }));
  onValidatedRequest(connection, RetryFailedTaskRequest, async ({ runId, models, restricted }) => {
    try {
      return { runId: (await host.retryFailed(runId, { models, restricted })).runId };
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
    }
  });
  onValidatedRequest(connection, DismissFailedTaskRequest, async ({ runId }) => ({ dismissed: await host.dismissFailed(runId) }));
  onValidatedRequest(connection, ListRunsRequest, async (params) => ({ runs: await host.listRuns(params?.limit) }));
  onValidatedRequest(connection, RunTranscriptRequest, ({ runId }) => refusing(async () => ({ runId, messages: await host.runs.transcript(runId) })));
  // The run goes on after the answer; its end comes as `run/finished`, like any run's.
  onValidatedRequest(connection, ContinueRunRequest, ({ runId, message, models, restricted }) => refusing(async () => ({ runId: (await host.continueRun(runId, message, { models, restricted })).runId })));
  onValidatedRequest(connection, SteerRunRequest, ({ runId, message }) => refusing(async () => ({ accepted: host.runs.steer(runId, message) })));
  // The extension asked the user before sending this: the request is the decision.
  onValidatedRequest(connection, UndoRunRequest, ({ runId }) => refusing(() => host.runs.undo(runId)));
}

/** Answers what `work` returns, or its error as a refused request whose message says what to do. */
async function refusing<T>(work: () => Promise<T>): Promise<T | ResponseError<void>> {
  try {
    return await work();
  } catch (error) {
    return new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
  }
}
