import { z } from 'zod';
import { OAuthClientInformationFullSchema, OAuthTokensSchema, type OAuthClientInformationMixed, type OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * Where a server's OAuth credentials live between host sessions: SecretStorage in VS Code (through the extension),
 * a private file or memory in the CLI. Values are opaque to the store; `undefined` deletes.
 */
export interface McpCredentialStore {
  load(server: string): Promise<string | undefined>;
  save(server: string, credentials: string | undefined): Promise<void>;
}

/** What Keel keeps per server: the URL they were issued for, the client registration and the tokens. */
export interface McpCredentials {
  readonly serverUrl: string;
  readonly client?: OAuthClientInformationMixed;
  readonly tokens?: OAuthTokens;
}

// The SDK stamps both with the authorization server they came from (`issuer`), and checks it before using them.
const issuer = { issuer: z.string().optional() };
const credentialsSchema = z.object({
  serverUrl: z.string().max(2048),
  client: OAuthClientInformationFullSchema.partial({ redirect_uris: true }).extend(issuer).optional(),
  tokens: OAuthTokensSchema.extend(issuer).optional(),
});

/**
 * Reads stored credentials for `serverUrl`. Anything unreadable, or issued for another URL (the server's entry now
 * points elsewhere), is treated as nothing stored, so a token never goes to a server it was not issued for.
 */
export function parseCredentials(text: string | undefined, serverUrl: string): McpCredentials | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = credentialsSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.serverUrl === serverUrl ? (parsed.data as McpCredentials) : undefined;
  } catch {
    return undefined;
  }
}

/** Credentials that last as long as the process: tests, and the CLI with `--mcp-credentials memory`. */
export class MemoryCredentialStore implements McpCredentialStore {
  private readonly values = new Map<string, string>();

  async load(server: string): Promise<string | undefined> {
    return this.values.get(server);
  }

  async save(server: string, credentials: string | undefined): Promise<void> {
    if (credentials === undefined) this.values.delete(server);
    else this.values.set(server, credentials);
  }
}
