import { checkParams } from '../protocol/params';
import { StartRunRequest, StartWorkflowRequest, type StartRunParams, type StartWorkflowParams } from '../protocol/rpc';
import { validateGoal } from './orchestration/runs';

/**
 * Checks a run request that did not come through the host's RPC handlers (which check the same schema with
 * `onValidatedRequest`): the shape against the protocol's schema, naming each wrong field, then the goal. The router
 * settings inside are checked by the model layer when the run starts, which names the setting at fault.
 */
export function parseStartRunParams(params: unknown): StartRunParams {
  const checked = checkParams(StartRunRequest.params, params, StartRunRequest.type.method);
  if (!checked.ok) throw new Error(checked.message);
  validateGoal(checked.params.goal);
  return checked.params;
}

/** Checks a workflow request that did not come through the host's RPC handlers, naming each wrong field. */
export function parseStartWorkflowParams(params: unknown): StartWorkflowParams {
  const checked = checkParams(StartWorkflowRequest.params, params, StartWorkflowRequest.type.method);
  if (!checked.ok) throw new Error(checked.message);
  return checked.params;
}
