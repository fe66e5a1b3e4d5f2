import * as l10n from '@vscode/l10n';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';

/** The server asks for OAuth and Keel holds nothing it accepts; the user has to sign in (nothing failed). */
export class SignInRequired extends Error {
  /** `why`: what became of a sign-in that was tried (cancelled, timed out, refused in the browser). */
  constructor(server: string, why?: string) {
    super(why ? l10n.t('MCP server "{0}" needs you to sign in ({1}).', server, why) : l10n.t('MCP server "{0}" needs you to sign in.', server));
  }
}

/** The server or its authorization server did something Keel will not go along with; nothing was stored. */
export class AuthRefused extends Error {}

const PLAIN_HTTP_EXCEPTIONS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** HTTPS, or plain HTTP to this machine (loopback), the only places OAuth traffic may go. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && PLAIN_HTTP_EXCEPTIONS.has(url.hostname));
}

/**
 * Words a failure of the SDK's auth flow by what the server did wrong. Known refusals come back as `AuthRefused`,
 * other OAuth failures with the server's name in front, and errors that are not about OAuth as they are.
 */
export function authFailure(server: string, error: unknown): Error {
  if (error instanceof SignInRequired || error instanceof AuthRefused) return error;
  const message = error instanceof Error ? error.message : String(error);
  const mismatch = /Protected resource (\S+) does not match expected (\S+)/.exec(message);
  if (mismatch) {
    return new AuthRefused(l10n.t('MCP server "{0}" published authorization metadata for another resource ({1}, not {2}). Keel refuses to get a token for it there; tell the server\'s operator.', server, mismatch[1]!, mismatch[2]!));
  }
  if (error instanceof Error && error.name === 'ZodError') {
    return new AuthRefused(l10n.t('MCP server "{0}" or its authorization server sent malformed OAuth metadata ({1}). Keel did not sign in; tell the server\'s operator.', server, firstIssue(error)));
  }
  if (/after trying upscoping/.test(message)) {
    return new AuthRefused(l10n.t('MCP server "{0}" still refused the call for insufficient scope after Keel signed in again with the scopes it asked for. Keel stopped there rather than loop; the server\'s scopes are misconfigured.', server));
  }
  if (error instanceof OAuthError) {
    // The authorization server said no (a wrong client secret, a client it does not know): trying again will not help.
    return new AuthRefused(l10n.t('MCP server "{0}": its authorization server refused the sign-in ({1}). Check the client ID and secret or key Keel was given.', server, message ? `${error.errorCode}: ${message}` : error.errorCode));
  }
  if (error instanceof UnauthorizedError) return new Error(l10n.t('MCP server "{0}": sign-in failed: {1}', server, message || l10n.t('unauthorized')));
  return error instanceof Error ? error : new Error(message);
}

/** Whether `error` comes from the OAuth flow rather than from reaching or speaking to the server. */
export function isAuthError(error: unknown): boolean {
  return error instanceof SignInRequired || error instanceof AuthRefused || authFailure('', error) !== error;
}

function firstIssue(error: Error): string {
  const issues = (error as Error & { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  const first = issues?.[0];
  return first ? `${first.path.map(String).join('.') || 'document'}: ${first.message}` : error.message.slice(0, 200);
}
