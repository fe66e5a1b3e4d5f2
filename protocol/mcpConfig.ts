import * as l10n from '@vscode/l10n';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import type { McpServerSpec } from './rpc';

/** One MCP server as Keel starts it, whatever file it was configured in (the protocol's shape). */
export type McpServerConfig = McpServerSpec;

const stringMap = z.record(z.string(), z.string()).default({});
const stdio = z.object({
  type: z.literal('stdio').optional(),
  command: z.string().min(1, { error: () => l10n.t('command is empty') }),
  args: z.array(z.string()).default([]),
  env: stringMap,
  cwd: z.string().optional(),
  disabled: z.boolean().optional(),
  /** Keel's own keys: `"sandbox": false` runs the server outside the OS sandbox, `"network": true` gives it the network in it. */
  sandbox: z.boolean().optional(),
  network: z.boolean().optional(),
});
const oauth = z.strictObject({
  grant: z.enum(['authorization_code', 'client_credentials']).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  signingAlgorithm: z.string().min(1).optional(),
  issuer: z.url({ error: () => l10n.t('{0} must be a URL', 'oauth.issuer') }).optional(),
  clientMetadataUrl: z.url({ protocol: /^https$/, error: () => l10n.t('{0} must be an https URL', 'oauth.clientMetadataUrl') }).optional(),
  scope: z.string().min(1).optional(),
});
const http = z.object({
  type: z.enum(['http', 'sse', 'streamableHttp', 'streamable-http']).optional(),
  url: z.url({ error: () => l10n.t('{0} must be an http(s) URL', 'url') }),
  headers: stringMap,
  /** Keel's own key: how to sign in when the server asks for OAuth (see McpOAuthSettings). */
  oauth: oauth.optional(),
  disabled: z.boolean().optional(),
});
const server = z.union([stdio, http], { error: () => l10n.t('each server needs either {0} (stdio) or {1} (HTTP)', '"command"', '"url"') });
/** VS Code's `.vscode/mcp.json` uses `servers`; Claude Desktop, Cline and Cursor use `mcpServers`. */
const file = z.object({ servers: z.record(z.string(), server).optional(), mcpServers: z.record(z.string(), server).optional() });

export interface ParsedMcpConfig {
  readonly servers: McpServerConfig[];
  /** `${input:id}` references whose values must come from the user (SecretStorage in VS Code). */
  readonly inputs: string[];
}

/**
 * Reads an MCP configuration file of either common format. Variables: `${workspaceFolder}` is replaced,
 * `${env:NAME}` is read from `env`, and `${input:id}` from `inputs` (reported when missing).
 */
export function parseMcpConfig(text: string, context: { source: string; workspaceFolder: string; env?: NodeJS.ProcessEnv; inputs?: Readonly<Record<string, string>> }): ParsedMcpConfig {
  // mcp.json files are JSONC, as VS Code reads them: comments and trailing commas are allowed.
  const errors: ParseError[] = [];
  const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new Error(l10n.t('{0} is not valid JSON ({1} at offset {2}). Fix the file; no MCP servers from it were started.', context.source, printParseErrorCode(first.error), first.offset));
  }
  const parsed = file.safeParse(json);
  if (!parsed.success) throw new Error(`${l10n.t('{0} has an invalid MCP configuration:', context.source)}\n${z.prettifyError(parsed.error)}`);
  const missing = new Set<string>();
  const expand = (value: string) =>
    value.replace(/\$\{(workspaceFolder|env:([^}]+)|input:([^}]+))\}/g, (_, whole: string, env?: string, input?: string) => {
      if (whole === 'workspaceFolder') return context.workspaceFolder;
      if (env) return context.env?.[env] ?? '';
      const known = context.inputs?.[input!];
      if (known === undefined) missing.add(input!);
      return known ?? '';
    });
  const expandMap = (map: Record<string, string>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, expand(v)]));
  const entries = { ...parsed.data.mcpServers, ...parsed.data.servers };
  const servers: McpServerConfig[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (entry.disabled) continue;
    if ('command' in entry) {
      const grants = { ...(entry.sandbox !== undefined ? { sandbox: entry.sandbox } : {}), ...(entry.network !== undefined ? { network: entry.network } : {}) };
      servers.push({ name, source: context.source, type: 'stdio', command: expand(entry.command), args: entry.args.map(expand), env: expandMap(entry.env), ...(entry.cwd ? { cwd: expand(entry.cwd) } : {}), ...grants });
    } else {
      const { grant, ...auth } = entry.oauth ?? {};
      // Secrets come in as ${input:…} or ${env:…}; one that expands to nothing is left out rather than sent empty.
      const oauthSettings = entry.oauth ? { ...(grant ? { grant } : {}), ...Object.fromEntries(Object.entries(expandMap(auth)).filter(([, v]) => v !== '')) } : undefined;
      servers.push({ name, source: context.source, type: 'http', url: expand(entry.url), headers: expandMap(entry.headers), ...(oauthSettings ? { oauth: oauthSettings } : {}) });
    }
  }
  return { servers, inputs: [...missing] };
}
