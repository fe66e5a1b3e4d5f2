import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { CancelRunRequest, StartRunRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** Starts and cancels runs for the extension; each run's spans and end reach it through the host's ports. */
export function serveRuns(connection: Connection, host: AgentHost): void {
  // The shape was checked against the protocol; the run manager still refuses an empty goal and router settings that
  // do not parse, naming the setting.
  onValidatedRequest(connection, StartRunRequest, (params) => {
    try {
      return { runId: host.startRun(params).runId };
    } catch (error) {
      return new ResponseError(ErrorCodes.InvalidParams, (error as Error).message);
    }
  });
  onValidatedRequest(connection, CancelRunRequest, ({ runId }) => ({ cancelled: host.runs.cancel(runId) }));
}
