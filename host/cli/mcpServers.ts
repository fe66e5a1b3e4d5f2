import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { parseMcpConfig, type McpServerConfig } from '../../protocol/mcpConfig';
import { mcpServerSpecSchema, type McpOAuthSettings } from '../../protocol/rpc';
import { FileCredentialStore, MemoryCredentialStore, type McpAuthPorts, type McpServerStatus } from '../tools/mcp';
import type { CliMcpOptions } from './args';

/** Where `--mcp-credentials disk` keeps OAuth tokens between runs (a folder only the user can read). */
export const CLI_CREDENTIALS_DIR = join(homedir(), '.cache', 'keel', 'mcp-credentials');

/**
 * The servers of `--mcp <file>`, checked as the host checks the extension's. Client credentials from the flags and
 * environment go to every HTTP server that has no `oauth` settings of its own.
 */
export async function cliMcpServers(options: CliMcpOptions, workspace: string, env: NodeJS.ProcessEnv): Promise<McpServerConfig[]> {
  const text = await readFile(options.configFile, 'utf8').catch((error: Error) => {
    throw new Error(l10n.t('{0}: cannot read {1} ({2}).', '--mcp', options.configFile, error.message));
  });
  const parsed = parseMcpConfig(text, { source: options.configFile, workspaceFolder: workspace, env });
  if (parsed.inputs.length > 0) {
    throw new Error(l10n.t('{0} uses {1}, which only VS Code can ask for; use {2} with the CLI.', options.configFile, parsed.inputs.map((id) => `\${input:${id}}`).join(', '), '${env:NAME}'));
  }
  const privateKey = options.privateKeyFile
    ? await readFile(options.privateKeyFile, 'utf8').catch((error: Error) => {
      throw new Error(l10n.t('{0}: cannot read {1} ({2}).', '--mcp-private-key', options.privateKeyFile!, error.message));
    })
    : undefined;
  const { clientId, clientSecret, issuer } = options;
  const credentials: McpOAuthSettings | undefined = clientId && (clientSecret || privateKey)
    ? { grant: 'client_credentials', clientId, ...(privateKey ? { privateKey } : { clientSecret: clientSecret! }), ...(issuer ? { issuer } : {}) }
    : undefined;
  const servers = parsed.servers.map((s) => (s.type === 'http' && !s.oauth && credentials ? { ...s, oauth: credentials } : s));
  const checked = z.array(mcpServerSpecSchema).max(100).safeParse(servers);
  if (!checked.success) throw new Error(`${options.configFile}: ${z.prettifyError(checked.error)}`);
  return servers;
}

/**
 * OAuth in the CLI: tokens on disk (0600) or in memory; at a terminal a server's sign-in address is printed for the
 * user to open (the browser comes back to Keel's loopback listener); without one a sign-in is refused, saying what
 * to set instead.
 */
export function cliMcpAuth(options: CliMcpOptions, print: (text: string) => void, atTerminal: boolean): McpAuthPorts {
  return {
    store: options.credentials === 'disk' ? new FileCredentialStore(CLI_CREDENTIALS_DIR) : new MemoryCredentialStore(),
    open: async (server, url, reason) => {
      if (!atTerminal) {
        throw new Error(`${l10n.t('MCP server "{0}" asks for a sign-in, but there is no terminal to show its sign-in address on.', server)} ${signInWithoutTerminal()}`);
      }
      const asked = reason === 'step-up'
        ? l10n.t('MCP server "{0}" asks you to sign in again to allow more. Open this address in a browser on this machine and approve; Keel waits up to 5 minutes:', server)
        : l10n.t('MCP server "{0}" needs you to sign in. Open this address in a browser on this machine and approve; Keel waits up to 5 minutes:', server);
      print(`\n${asked}\n\n  ${url.href}\n\n`);
    },
    signInOnConnect: atTerminal,
  };
}

/** Says which servers the run goes on without, and why. */
export function reportMcpServers(servers: readonly McpServerStatus[], log: (message: string) => void): void {
  for (const server of servers) {
    if (server.state === 'needs-sign-in') {
      log(`${l10n.t('MCP server "{0}" needs a sign-in, but there is no terminal to show its sign-in address on.', server.name)} ${signInWithoutTerminal()} ${l10n.t('The run goes on without its tools.')}`);
    } else if (server.state === 'failed') {
      log(l10n.t('MCP server "{0}" did not connect: {1} The run goes on without its tools.', server.name, server.error ?? l10n.t('unknown error')));
    } else if (server.sandboxed === false && server.sandbox) {
      log(l10n.t('MCP server "{0}": {1}', server.name, server.sandbox));
    }
  }
}

/** How to sign in to a server when there is no terminal to show its address on. */
function signInWithoutTerminal(): string {
  return l10n.t('Set {0} and {1} (or {2}) for a client that signs in by itself, or run keel once at a terminal to sign in (the tokens are kept for later runs).', 'KEEL_MCP_CLIENT_ID', 'KEEL_MCP_CLIENT_SECRET', '--mcp-private-key');
}
