import type { ElicitAnswer, ElicitParams } from '../../../protocol/rpc';
import type { ApprovalBroker } from '../../governance/approvals';
import type { SpanSink } from '../../observability/tracer';
import type { McpClientHandlers } from './connection';
import { elicitationFields, withDefaults } from './elicitation';
import { sample, type SamplingModel } from './sampling';

/** What servers may ask of the user — elicitation and sampling — routed to whoever stands for the user. */
export function mcpUserHandlers(deps: {
  roots: () => { uri: string; name: string }[];
  log: (message: string) => void;
  askUser: (params: ElicitParams) => Promise<ElicitAnswer>;
  approvals: ApprovalBroker;
  spans: SpanSink;
  samplingModel: () => SamplingModel | undefined;
}): McpClientHandlers {
  return {
    roots: deps.roots,
    log: deps.log,
    async elicit(server, request) {
      // URL-mode elicitation (open a page) is not offered: Keel declines rather than open links for servers.
      if (!('requestedSchema' in request) || !request.requestedSchema) return { action: 'decline' };
      const fields = elicitationFields(request.requestedSchema);
      return withDefaults(fields, await deps.askUser({ server, message: request.message, fields }));
    },
    sample: (server, request) => sample(server, request, { model: deps.samplingModel(), approvals: deps.approvals, spans: deps.spans }),
  };
}
