import type { Connection } from 'vscode-languageserver/node';
import { McpCredentialsRequest, McpOpenAuthorizationRequest, McpSaveCredentialsRequest } from '../../protocol/rpc';
import { SignInRequired, type McpAuthPorts } from '../tools/mcp';

/**
 * MCP sign-in inside VS Code: credentials in the extension's SecretStorage, the authorization page opened by the
 * extension (which asks the user first). A connect never opens the browser by itself; the user's Sign In does.
 */
export function rpcMcpAuth(connection: Connection): McpAuthPorts {
  return {
    store: {
      load: async (server) => (await connection.sendRequest(McpCredentialsRequest.type, { server })).credentials,
      save: (server, credentials) => connection.sendRequest(McpSaveCredentialsRequest.type, { server, ...(credentials !== undefined ? { credentials } : {}) }),
    },
    open: async (server, url, reason) => {
      const { opened } = await connection.sendRequest(McpOpenAuthorizationRequest.type, { server, url: url.href, reason });
      // Declining leaves the server waiting for sign-in, as it was.
      if (!opened) throw new SignInRequired(server);
    },
    signInOnConnect: false,
  };
}
