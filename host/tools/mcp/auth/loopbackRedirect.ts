import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as l10n from '@vscode/l10n';
import { escapeHtml } from '../../../../protocol/html';

/** How long the user has to finish signing in in the browser. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const CALLBACK_PATH = '/callback';

/** The page the browser shows; its words are escaped, since a translation is text, never markup. */
const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body>`;

/** The loopback redirect URI Keel registers: `http://127.0.0.1:<port>/callback` (RFC 8252 §7.3). */
export function loopbackRedirectUrl(port: number): string {
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
}

/** A free loopback port for a new registration's redirect URI; the listener opens on it when sign-in starts. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The listener on 127.0.0.1 the browser comes back to from the authorization server. Only a request that carries
 * the `state` Keel sent is taken; anything else gets a 400 and the wait goes on. `code` resolves with the
 * authorization code and rejects with the server's error, on `cancel`, or after five minutes; the listener closes
 * either way.
 */
export class LoopbackRedirect {
  readonly code: Promise<string>;
  /** The redirect URI it listens on. */
  readonly url: string;
  private cancelWait: (reason: Error) => void = () => undefined;

  private constructor(server: Server, state: string) {
    this.url = loopbackRedirectUrl((server.address() as AddressInfo).port);
    let timer: NodeJS.Timeout | undefined;
    this.code = new Promise<string>((resolve, reject) => {
      this.cancelWait = reject;
      timer = setTimeout(() => reject(new Error(l10n.t('the sign-in was not finished in the browser within {0} minutes', SIGN_IN_TIMEOUT_MS / 60_000))), SIGN_IN_TIMEOUT_MS);
      server.on('request', (request, response) => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const reply = (status: number, title: string, text: string) => {
          response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(title, text));
        };
        if (url.pathname !== CALLBACK_PATH || url.searchParams.get('state') !== state) {
          reply(400, l10n.t('Not a Keel sign-in'), l10n.t('This address only takes the sign-in Keel started.'));
          return;
        }
        const error = url.searchParams.get('error');
        const code = url.searchParams.get('code');
        if (error || !code) {
          const description = (url.searchParams.get('error_description') ?? error ?? l10n.t('no authorization code')).slice(0, 300);
          reply(400, l10n.t('Sign-in failed'), l10n.t('{0}. Return to Keel and try again.', description));
          const answer = !error
            ? l10n.t('the authorization server answered the sign-in with no code: {0}', description)
            : description !== error
              ? l10n.t('the authorization server answered the sign-in with {0}: {1}', error, description)
              : l10n.t('the authorization server answered the sign-in with {0}', error);
          reject(new Error(answer));
          return;
        }
        reply(200, l10n.t('Signed in'), l10n.t('Keel has the sign-in. You can close this tab.'));
        resolve(code);
      });
    });
    void this.code.catch(() => undefined).finally(() => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
    });
  }

  /** Starts listening on `port`; the browser may be sent off once this resolves. */
  static async open(port: number, state: string): Promise<LoopbackRedirect> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(error.code === 'EADDRINUSE' ? l10n.t('port {0} of the sign-in redirect ({1}) is taken by another program; close it and sign in again, or sign out of the server so that Keel registers another port', port, loopbackRedirectUrl(port)) : error.message)));
      server.listen(port, '127.0.0.1', resolve);
    });
    return new LoopbackRedirect(server, state);
  }

  cancel(reason: Error): void {
    this.cancelWait(reason);
  }
}
