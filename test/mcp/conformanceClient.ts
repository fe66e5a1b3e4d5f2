/**
 * Keel's MCP client as the official conformance suite drives it: `conformanceClient.ts <server-url>`, with the
 * scenario in MCP_CONFORMANCE_SCENARIO. It connects through McpManager, calls every tool the server offers
 * through Keel's registry (arguments built from each schema, approvals granted), and answers elicitation with
 * the schema's defaults, as a user accepting the prefilled form would.
 *
 * OAuth runs as it does for a user at a terminal: the suite's authorization servers approve at once, so the
 * "browser" here follows the authorization URL's redirect to Keel's loopback listener. Scenarios that hand the
 * client credentials (MCP_CONFORMANCE_CONTEXT) get them as a user's `oauth` settings would give them.
 */
import { ApprovalBroker } from '../../host/governance/approvals';
import { startTrace } from '../../host/observability/tracer';
import { ToolRegistry } from '../../host/tools';
import type { McpOAuthSettings } from '../../protocol/rpc';
import { McpManager, MemoryCredentialStore, mcpUserHandlers, PinStore, type AuthorizationOpener } from '../../host/tools/mcp';
import { consent } from '../unit/helpers';

async function main(url: string): Promise<void> {
  const approve = async () => ({ decision: 'approved' as const });
  const approvals = new ApprovalBroker(consent({ reviewEdit: approve, reviewToolCall: approve, elicit: async () => ({ action: 'accept', content: {} }) }), 30_000);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const handlers = mcpUserHandlers({ roots: () => [], log, approvals, spans: () => undefined, samplingModel: () => undefined });
  const auth = { store: new MemoryCredentialStore(), open: followAuthorizationRedirect, signInOnConnect: true };
  const manager = new McpManager({ ...handlers, auth }, new PinStore(undefined));
  await manager.setServers([{ name: 'conformance', source: 'conformance', type: 'http', url, headers: {}, oauth: oauthSettings(process.env.MCP_CONFORMANCE_CONTEXT) }]);
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

/** The browser of a user who approves at once: the authorization server redirects to Keel's loopback listener. */
const followAuthorizationRedirect: AuthorizationOpener = async (_server, url) => {
  const approval = await fetch(url, { redirect: 'manual' });
  const location = approval.headers.get('location');
  if (!location) throw new Error(`the authorization page answered ${approval.status} without a redirect`);
  await (await fetch(location)).text();
};

/** What a user would write in the server's `oauth` settings for the scenario. */
function oauthSettings(contextJson: string | undefined): McpOAuthSettings {
  const context = JSON.parse(contextJson ?? '{}') as { name?: string; client_id?: string; client_secret?: string; private_key_pem?: string; signing_algorithm?: string };
  switch (context.name) {
    case 'auth/client-credentials-jwt':
      return { grant: 'client_credentials', clientId: context.client_id!, privateKey: context.private_key_pem!, signingAlgorithm: context.signing_algorithm ?? 'ES256' };
    case 'auth/client-credentials-basic':
      return { grant: 'client_credentials', clientId: context.client_id!, clientSecret: context.client_secret! };
    case 'auth/pre-registration':
      return { clientId: context.client_id!, clientSecret: context.client_secret! };
    default:
      // Where the authorization server accepts client ID metadata documents, this URL is Keel's client ID.
      return { clientMetadataUrl: 'https://conformance-test.local/client-metadata.json' };
  }
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
