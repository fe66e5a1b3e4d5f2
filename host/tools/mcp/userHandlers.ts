import type { ApprovalBroker } from '../../governance/approvals';
import { startTrace, type SpanSink } from '../../observability/tracer';
import type { McpClientHandlers } from './connection';
import { elicitationFields, withDefaults } from './elicitation';
import { sample, type SamplingModel } from './sampling';

/** What servers may ask of the user — elicitation and sampling — routed to whoever stands for the user. */
export function mcpUserHandlers(deps: {
  roots: () => { uri: string; name: string }[];
  log: (message: string) => void;
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
      // Outside any run, so the question is its own trace, as sampling's is.
      const span = startTrace(deps.spans, `elicitation ${server}`, 'approval', { 'keel.mcp.server': server });
      try {
        const answer = await deps.approvals.elicit({ server, message: request.message, fields }, { runId: '', parent: span, signal: new AbortController().signal });
        span.end('ok');
        return withDefaults(fields, answer);
      } catch (error) {
        span.end('error', (error as Error).message);
        throw error;
      }
    },
    sample: (server, request) => sample(server, request, { model: deps.samplingModel(), approvals: deps.approvals, spans: deps.spans }),
  };
}
