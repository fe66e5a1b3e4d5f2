import * as l10n from '@vscode/l10n';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../../../protocol/mcpConfig';
import { registerSecrets } from '../../../observability/knownSecrets';
import { AuthRefused, isSecureOrLoopback } from './authErrors';
import type { McpCredentialStore } from './credentialStore';
import { KeelOAuthProvider, type AuthorizationOpener } from './keelOAuthProvider';

/** What OAuth needs from outside the MCP client: where credentials live and how the user sees a sign-in page. */
export interface McpAuthPorts {
  readonly store: McpCredentialStore;
  readonly open: AuthorizationOpener;
  /** Whether connecting may start a sign-in itself (the CLI at a terminal) rather than wait for the user to ask. */
  readonly signInOnConnect: boolean;
}

export interface ServerAuth {
  /** What the SDK's transport authorizes with. */
  readonly provider: OAuthClientProvider;
  /** The browser flow's provider; absent for client credentials, which need no user. */
  readonly interactive?: KeelOAuthProvider;
}

/** How long one request to an authorization server (metadata, registration, token) may take. */
const OAUTH_REQUEST_TIMEOUT_MS = 30_000;
const MAX_OAUTH_RESPONSE_BYTES = 1024 * 1024;

type HttpServer = Extract<McpServerConfig, { type: 'http' }>;

/** The auth provider for one HTTP server by its `oauth` settings: client credentials, or the browser flow. */
export function serverAuth(config: HttpServer, ports: McpAuthPorts): ServerAuth {
  const settings = config.oauth ?? {};
  registerSecrets([settings.clientSecret, settings.privateKey]);
  if (settings.grant === 'client_credentials') {
    const { clientId, clientSecret, privateKey, signingAlgorithm, scope, issuer } = settings;
    if (!clientId || !(clientSecret || privateKey)) {
      throw new Error(l10n.t('MCP server "{0}": {1} needs {2}, and {3} or {4} (PEM).', config.name, 'oauth.grant "client_credentials"', 'oauth.clientId', 'oauth.clientSecret', 'oauth.privateKey'));
    }
    // With an issuer the SDK sends the credentials to that authorization server only, whatever the MCP server names.
    const common = { clientId, clientName: 'Keel', ...(scope ? { scope } : {}), ...(issuer ? { expectedIssuer: issuer } : {}) };
    return {
      provider: privateKey
        ? new PrivateKeyJwtProvider({ ...common, privateKey, algorithm: signingAlgorithm ?? 'RS256' })
        : new ClientCredentialsProvider({ ...common, clientSecret: clientSecret! }),
    };
  }
  const interactive = new KeelOAuthProvider(config.name, config.url, settings, ports.store, ports.open);
  return { provider: interactive, interactive };
}

/**
 * The transport's fetch: requests to anywhere but the MCP endpoint are OAuth traffic (metadata, registration,
 * tokens), which goes only over HTTPS or to this machine, within 30 s and 1 MiB, and whose POSTs (codes, secrets)
 * follow no redirect.
 */
export function oauthFetch(config: HttpServer): FetchLike {
  const endpoint = new URL(config.url);
  return async (input, init) => {
    const url = new URL(input);
    // MCP messages themselves (which may stream); everything else here is OAuth, even on the server's own origin.
    if (url.origin === endpoint.origin && url.pathname === endpoint.pathname) return fetch(input, init);
    if (!isSecureOrLoopback(url)) {
      throw new AuthRefused(l10n.t('MCP server "{0}" sent Keel to {1} over plain HTTP to sign in. Keel uses only HTTPS (or this machine) for OAuth; tell the server\'s operator.', config.name, url.origin));
    }
    // An authorization server that never answers must not hold the connect (and the user's Sign In) forever.
    const signal = AbortSignal.any([AbortSignal.timeout(OAUTH_REQUEST_TIMEOUT_MS), ...(init?.signal ? [init.signal] : [])]);
    const response = await fetch(input, { ...init, signal, redirect: (init?.method ?? 'GET') === 'GET' ? 'follow' : 'error' });
    if (response.redirected && !isSecureOrLoopback(new URL(response.url))) {
      await response.body?.cancel();
      throw new AuthRefused(l10n.t('MCP server "{0}"\'s authorization server redirected Keel to {1}, which is not HTTPS. Keel refuses; tell the server\'s operator.', config.name, new URL(response.url).origin));
    }
    return bounded(response, config.name, url);
  };
}

/** Reads an OAuth answer whole, up to `MAX_OAUTH_RESPONSE_BYTES`: metadata and tokens are small, a flood is refused. */
async function bounded(response: Response, server: string, url: URL): Promise<Response> {
  const reader = response.body?.getReader();
  if (!reader) return response;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_OAUTH_RESPONSE_BYTES) {
      await reader.cancel();
      throw new AuthRefused(l10n.t('MCP server "{0}": {1} sent more than {2} MiB for one OAuth answer. Keel refuses; tell the server\'s operator.', server, `${url.origin}${url.pathname}`, 1));
    }
    chunks.push(chunk.value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers: response.headers });
}
