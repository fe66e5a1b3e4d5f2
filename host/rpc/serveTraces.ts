import type { Connection } from 'vscode-languageserver/node';
import { TraceGetRequest, TraceListRunsRequest, TraceSearchRequest, TraceSpanContentRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** The trace store's history for the trace viewer: kept runs, one trace, one span's content, and search across spans. */
export function serveTraces(connection: Connection, host: AgentHost): void {
  onValidatedRequest(connection, TraceListRunsRequest, async (filter) => ({ runs: await host.traces.listRuns(filter) }));
  onValidatedRequest(connection, TraceGetRequest, async ({ traceId }) => ({ spans: await host.traces.trace(traceId) }));
  onValidatedRequest(connection, TraceSpanContentRequest, async ({ traceId, spanId }) => ({ content: await host.traces.spanContent(traceId, spanId) }));
  onValidatedRequest(connection, TraceSearchRequest, async ({ text, limit }) => ({ hits: await host.traces.search(text, limit) }));
}
