import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long the user has to finish signing in in the browser. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const CALLBACK_PATH = '/callback';

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`;
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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
      timer = setTimeout(() => reject(new Error('the sign-in was not finished in the browser within 5 minutes')), SIGN_IN_TIMEOUT_MS);
      server.on('request', (request, response) => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const reply = (status: number, title: string, text: string) => {
          response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(title, text));
        };
        if (url.pathname !== CALLBACK_PATH || url.searchParams.get('state') !== state) {
          reply(400, 'Not a Keel sign-in', 'This address only takes the sign-in Keel started.');
          return;
        }
        const error = url.searchParams.get('error');
        const code = url.searchParams.get('code');
        if (error || !code) {
          const description = (url.searchParams.get('error_description') ?? error ?? 'no authorization code').slice(0, 300);
          reply(400, 'Sign-in failed', `${escapeHtml(description)}. Return to Keel and try again.`);
          reject(new Error(`the authorization server answered the sign-in with ${error ?? 'no code'}${description !== error ? `: ${description}` : ''}`));
          return;
        }
        reply(200, 'Signed in', 'Keel has the sign-in. You can close this tab.');
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
        reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} of the sign-in redirect (${loopbackRedirectUrl(port)}) is taken by another program; close it and sign in again, or sign out of the server so that Keel registers another port` : error.message)));
      server.listen(port, '127.0.0.1', resolve);
    });
    return new LoopbackRedirect(server, state);
  }

  cancel(reason: Error): void {
    this.cancelWait(reason);
  }
}
