import { randomBytes } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { McpOAuthSettings } from '../../../../protocol/rpc';
import { registerSecrets } from '../../../observability/knownSecrets';
import { AuthRefused, isSecureOrLoopback, SignInRequired } from './authErrors';
import { parseCredentials, type McpCredentialStore, type McpCredentials } from './credentialStore';
import { freeLoopbackPort, LoopbackRedirect, loopbackRedirectUrl } from './loopbackRedirect';

/** Why the browser opens: a first sign-in, or a server asking for more scopes in the middle of a call. */
export type SignInReason = 'sign-in' | 'step-up';

/**
 * Shows the user a server's authorization page: VS Code opens the browser, the CLI prints the URL. Throws, saying
 * what to set instead, where nobody can sign in (a CLI without a terminal).
 */
export type AuthorizationOpener = (server: string, url: URL, reason: SignInReason) => Promise<void>;

/**
 * Keel's side of the SDK's OAuth flow (authorization code with PKCE) for one server. Discovery, registration,
 * scope selection, token exchange and refresh are the SDK's; this keeps what they produce and runs the browser
 * round trip through a loopback redirect. Credentials reach the store only once a token was issued, so a flow
 * that is refused half-way leaves nothing behind.
 */
export class KeelOAuthProvider implements OAuthClientProvider {
  /** Set while the flow may send the user to the browser; without it a needed sign-in is `SignInRequired`. */
  browser: SignInReason | undefined;
  private client: OAuthClientInformationMixed | undefined;
  private currentTokens: OAuthTokens | undefined;
  private verifier: string | undefined;
  private expectedState: string | undefined;
  private code: string | undefined;
  private port = 0;
  /** The listener of a sign-in under way, so stopping the server can end it. */
  private redirect: LoopbackRedirect | undefined;

  constructor(
    private readonly server: string,
    private readonly serverUrl: string,
    private readonly settings: McpOAuthSettings,
    private readonly store: McpCredentialStore,
    private readonly open: AuthorizationOpener,
  ) {}

  /** Reads what the store holds for this server, and settles the redirect port before the SDK asks for it. */
  async load(): Promise<void> {
    const stored = parseCredentials(await this.store.load(this.server), this.serverUrl);
    this.client = this.preRegistered() ?? stored?.client;
    this.currentTokens = stored?.tokens;
    registerSecrets([stored?.tokens?.access_token, stored?.tokens?.refresh_token, this.client?.client_secret]);
    // A registration names its redirect URI, port included; it is kept so the registration stays valid.
    const registered = (this.client as { redirect_uris?: string[] } | undefined)?.redirect_uris?.[0];
    const port = registered ? Number(new URL(registered).port) : NaN;
    this.port = Number.isInteger(port) && port > 0 ? port : await freeLoopbackPort();
  }

  get redirectUrl(): string {
    return loopbackRedirectUrl(this.port);
  }

  get clientMetadataUrl(): string | undefined {
    return this.settings.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Keel',
      redirect_uris: [this.redirectUrl],
      // A native app is a public client; refresh_token asks for offline access where the server offers it.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.settings.scope ? { scope: this.settings.scope } : {}),
    };
  }

  state(): string {
    this.expectedState = randomBytes(24).toString('base64url');
    return this.expectedState;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    if (!isSecureOrLoopback(new URL(this.serverUrl))) {
      throw new AuthRefused(l10n.t('MCP server "{0}" asks for OAuth over plain HTTP ({1}); Keel sends tokens only over HTTPS (or to this machine). Use the server\'s {2} URL.', this.server, this.serverUrl, 'https://'));
    }
    // Registering is the first thing a sign-in writes; without a sign-in under way it waits for the user.
    if (!this.client && !this.browser) throw new SignInRequired(this.server);
    return this.client;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    // A registration may hand Keel a client secret; it is redacted like the tokens.
    registerSecrets([client.client_secret]);
    this.client = client;
  }

  tokens(): OAuthTokens | undefined {
    return this.currentTokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    registerSecrets([tokens.access_token, tokens.refresh_token]);
    this.currentTokens = tokens;
    await this.persist();
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (!isSecureOrLoopback(authorizationUrl)) {
      throw new AuthRefused(l10n.t('MCP server "{0}"\'s authorization server sends the browser to {1}, which is not HTTPS. Keel refuses to sign in over plain HTTP; tell the server\'s operator.', this.server, authorizationUrl.origin));
    }
    if (!this.browser || !this.expectedState) throw new SignInRequired(this.server);
    let redirect: LoopbackRedirect | undefined;
    try {
      redirect = this.redirect = await LoopbackRedirect.open(this.port, this.expectedState);
      await this.open(this.server, authorizationUrl, this.browser);
      this.code = await redirect.code;
    } catch (error) {
      redirect?.cancel(error as Error);
      // The server still waits for a sign-in; this one did not happen (port taken, cancelled, timed out, denied).
      throw error instanceof SignInRequired ? error : new SignInRequired(this.server, (error as Error).message);
    } finally {
      this.redirect = undefined;
    }
  }

  /** Ends a sign-in that is waiting for the browser (the server was stopped or reconfigured). */
  cancelSignIn(): void {
    this.redirect?.cancel(new Error(l10n.t('the sign-in was abandoned: the server was stopped')));
  }

  /** The code the browser brought back, once; the transport's `finishAuth` exchanges it. */
  takeCode(): string | undefined {
    const code = this.code;
    this.code = undefined;
    return code;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error(l10n.t('MCP server "{0}": no sign-in is under way; sign in again.', this.server));
    return this.verifier;
  }

  /** The SDK drops what the server rejected (an unknown client, a revoked token), so the next attempt starts over. */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'client') this.client = this.preRegistered();
    if (scope === 'all' || scope === 'tokens') this.currentTokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    await this.persist();
  }

  /** Forgets the tokens and the registration, here and in the store. */
  async signOut(): Promise<void> {
    this.client = this.preRegistered();
    this.currentTokens = undefined;
    this.verifier = undefined;
    await this.store.save(this.server, undefined);
  }

  private preRegistered(): OAuthClientInformationMixed | undefined {
    const { clientId, clientSecret } = this.settings;
    return clientId ? { client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}) } : undefined;
  }

  private async persist(): Promise<void> {
    if (!this.currentTokens) {
      await this.store.save(this.server, undefined);
      return;
    }
    // A pre-registered client comes from the configuration each time; its secret is not copied into the store.
    const credentials: McpCredentials = { serverUrl: this.serverUrl, ...(this.settings.clientId ? {} : { client: this.client }), tokens: this.currentTokens };
    await this.store.save(this.server, JSON.stringify(credentials));
  }
}
