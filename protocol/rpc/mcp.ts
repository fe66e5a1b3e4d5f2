/** MCP servers: which to run, their prompts, and their questions to the user (`mcp/…`). */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { z } from 'zod';
import { modelConfigSchema } from '../models';
import { list, noParams, stringMap, text } from '../params';
import { name } from './names';

/**
 * How Keel signs in to an HTTP server that asks for OAuth. Without it Keel discovers the authorization server and
 * registers itself (dynamic registration, or a client ID metadata document where offered); a `clientId` is a client
 * registered beforehand; `grant: 'client_credentials'` signs in as the client itself, with `clientSecret` or a
 * `privateKey` (PEM, private_key_jwt), for headless use.
 */
export const mcpOAuthSchema = z
  .object({
    grant: z.enum(['authorization_code', 'client_credentials']).optional(),
    clientId: text(2048, 1).optional(),
    clientSecret: text(4096, 1).optional(),
    privateKey: text(16_384, 1).optional(),
    signingAlgorithm: text(16, 1).optional(),
    /** The authorization server (issuer URL) client credentials may go to; without it the MCP server names it. */
    issuer: text(2048, 1).optional(),
    /** An HTTPS URL of Keel's client metadata document, used as the client ID where the server accepts one. */
    clientMetadataUrl: text(2048, 1).optional(),
    /** Scopes to ask for when neither the server's challenge nor its metadata names any. */
    scope: text(2048, 1).optional(),
  })
  .readonly();
export type McpOAuthSettings = z.infer<typeof mcpOAuthSchema>;

/** One MCP server as the host starts it: a command it runs (stdio) or a URL it connects to (HTTP). */
export const mcpServerSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: name(),
      /** Where it was configured, e.g. `.vscode/mcp.json`. */
      source: text(1024),
      type: z.literal('stdio'),
      command: text(4096, 1),
      args: list(text(32_768), 1000),
      env: stringMap(1000, 256, 32_768),
      cwd: text(4096).optional(),
      /** `false`: the server runs outside the OS sandbox (unless `keel.commands.sandbox` is `required`). */
      sandbox: z.boolean().optional(),
      /** `true`: the server may use the network in the OS sandbox. */
      network: z.boolean().optional(),
    })
    .readonly(),
  z
    .object({
      name: name(),
      source: text(1024),
      type: z.literal('http'),
      url: text(2048),
      headers: stringMap(100, 256, 8192),
      oauth: mcpOAuthSchema.optional(),
    })
    .readonly(),
]);
export type McpServerSpec = z.infer<typeof mcpServerSpecSchema>;

export namespace SetMcpServersRequest {
  export const params = z
    .object({
      servers: list(mcpServerSpecSchema, 100),
      /** The models that answer servers' sampling requests (after the user approves each one). */
      sampling: modelConfigSchema,
      /** `keel.commands.sandbox`, which governs stdio servers too; `auto` when absent. */
      sandbox: z.enum(['auto', 'required', 'off']).optional(),
    })
    .readonly();
  /** Extension → host: the MCP servers to run now (resolved configs); answers with each server's status. */
  export const type = new RequestType<SetMcpServersParams, { servers: McpServerInfo[] }, void>('mcp/setServers');
}
export type SetMcpServersParams = z.infer<typeof SetMcpServersRequest.params>;
export interface McpServerInfo {
  readonly name: string;
  readonly source: string;
  /** `needs-sign-in`: the server asks for OAuth and nothing Keel holds is accepted; `mcp/signIn` starts the browser flow. */
  readonly state: 'connecting' | 'connected' | 'needs-sign-in' | 'failed' | 'stopped';
  readonly tools: number;
  readonly error?: string;
  /** A stdio server's confinement: whether it runs in the OS sandbox, and what it can reach. */
  readonly sandbox?: string;
  /** A started stdio server: whether it runs in the OS sandbox (`false`: with the user's permissions). */
  readonly sandboxed?: boolean;
}

export namespace ElicitRequest {
  /** Host → extension: an MCP server asks the user for input; answers with their values, a decline or a cancel. */
  export const type = new RequestType<ElicitParams, ElicitAnswer, void>('mcp/elicit');
}
export interface ElicitField {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly type: 'string' | 'number' | 'integer' | 'boolean';
  readonly enum?: readonly string[];
  readonly default?: string | number | boolean;
  readonly required: boolean;
}
export interface ElicitParams {
  readonly server: string;
  readonly message: string;
  readonly fields: readonly ElicitField[];
}
export type ElicitAnswer =
  | { readonly action: 'accept'; readonly content: Readonly<Record<string, string | number | boolean>> }
  | { readonly action: 'decline' | 'cancel' };

export namespace ListMcpPromptsRequest {
  export const params = noParams;
  /** Extension → host: the prompts connected MCP servers offer, for "Keel: Run MCP Prompt…". */
  export const type = new RequestType0<{ prompts: McpPromptInfo[] }, void>('mcp/listPrompts');
}
export interface McpPromptInfo {
  readonly server: string;
  readonly name: string;
  readonly description?: string;
  readonly arguments: readonly { readonly name: string; readonly description?: string; readonly required?: boolean }[];
}

export namespace GetMcpPromptRequest {
  export const params = z.object({ server: name(), name: name(), arguments: stringMap(100, 256, 20_000) }).readonly();
  /** Extension → host: a prompt filled in with the user's arguments, as the text of a goal. */
  export const type = new RequestType<z.infer<typeof params>, { text: string }, void>('mcp/getPrompt');
}

export namespace McpServersChangedNotification {
  /** Host → extension: a server's state changed after `mcp/setServers` answered (connected, lost, needs sign-in). */
  export const type = new NotificationType<{ servers: McpServerInfo[] }>('mcp/serversChanged');
}

export namespace McpSignInRequest {
  export const params = z.object({ server: name() }).readonly();
  /** Extension → host: the user asked to sign in to a server; answers once the browser flow ends, with its state. */
  export const type = new RequestType<z.infer<typeof params>, McpServerInfo, void>('mcp/signIn');
}

export namespace McpSignOutRequest {
  export const params = z.object({ server: name() }).readonly();
  /** Extension → host: forget a server's tokens and client registration; it waits for sign-in again. */
  export const type = new RequestType<z.infer<typeof params>, { signedOut: boolean }, void>('mcp/signOut');
}

export namespace McpOpenAuthorizationRequest {
  /**
   * Host → extension: open a server's authorization page in the browser, which returns to the host's loopback
   * redirect. `reason` says why (`sign-in`, or `step-up` when the server asks for more scopes mid-call). Answers
   * whether the user let it open.
   */
  export const type = new RequestType<{ server: string; url: string; reason: 'sign-in' | 'step-up' }, { opened: boolean }, void>('mcp/openAuthorization');
}

export namespace McpCredentialsRequest {
  /** Host → extension: a server's stored OAuth credentials (SecretStorage), as the host last saved them. */
  export const type = new RequestType<{ server: string }, { credentials?: string }, void>('mcp/credentials');
}

export namespace McpSaveCredentialsRequest {
  /** Host → extension: keep (or, with none, delete) a server's OAuth credentials in SecretStorage. */
  export const type = new RequestType<{ server: string; credentials?: string }, void, void>('mcp/saveCredentials');
}
