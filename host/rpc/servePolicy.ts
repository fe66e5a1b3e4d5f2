import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { AddAllowRulesRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** "Always allow" written as a policy rule from the approval center; a refusal's message is for the user as it stands. */
export function servePolicy(connection: Connection, host: AgentHost): void {
  onValidatedRequest(connection, AddAllowRulesRequest, async (params) => {
    try {
      return await host.addAllowRules(params);
    } catch (error) {
      throw new ResponseError(ErrorCodes.InvalidRequest, (error as Error).message);
    }
  });
}
