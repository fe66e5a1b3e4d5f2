/**
 * Keel's MCP client as the official conformance suite drives it: `conformanceClient.ts <server-url>`, with the
 * scenario in MCP_CONFORMANCE_SCENARIO. It connects through McpManager, calls every tool the server offers
 * through Keel's registry (arguments built from each schema, approvals granted), and answers elicitation with
 * the schema's defaults, as a user accepting the prefilled form would.
 */
import { ApprovalBroker } from '../../host/governance/approvals';
import { startTrace } from '../../host/observability/tracer';
import { ToolRegistry } from '../../host/tools';
import { McpManager, mcpUserHandlers, PinStore } from '../../host/tools/mcp';
import { consent } from '../unit/helpers';

async function main(url: string): Promise<void> {
  const approve = async () => ({ decision: 'approved' as const });
  const approvals = new ApprovalBroker(consent({ reviewEdit: approve, reviewToolCall: approve, elicit: async () => ({ action: 'accept', content: {} }) }), 30_000);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const handlers = mcpUserHandlers({ roots: () => [], log, approvals, spans: () => undefined, samplingModel: () => undefined });
  const manager = new McpManager(handlers, new PinStore(undefined));
  await manager.setServers([{ name: 'conformance', source: 'conformance', type: 'http', url, headers: {} }]);
  const status = manager.status()[0]!;
  if (status.state !== 'connected') throw new Error(`could not connect: ${status.error}`);
  const registry = new ToolRegistry(manager.registryTools());
  const span = startTrace(() => undefined, 'conformance', 'invoke_agent');
  for (const tool of registry.list()) {
    const outcome = await registry.call({ id: tool.name, name: tool.name, arguments: sampleArguments(tool.args.jsonSchema) }, { runId: 'conformance', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span, signal: new AbortController().signal });
    log(`${tool.name}: ${outcome.ok ? 'ok' : 'failed'}: ${outcome.content}`);
  }
  await manager.stopAll();
}

/** Plausible arguments from a JSON schema: the suite's tools take numbers and strings. */
function sampleArguments(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { type?: string; default?: unknown }>;
  return Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, p.default ?? (p.type === 'number' || p.type === 'integer' ? 2 : p.type === 'boolean' ? true : 'x')]));
}

main(process.argv[2]!).then(() => process.exit(0), (error) => {
  process.stderr.write(`conformance client failed: ${(error as Error).message}\n`);
  process.exit(1);
});
