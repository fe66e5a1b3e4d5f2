import * as l10n from '@vscode/l10n';
import { lookup } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './addressPolicy';
import type { FetchInit, FetchResponse } from './types';

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULTS = { maxResponseBytes: 1024 * 1024, perMinute: 60, timeoutMs: 10_000 };

export interface AllowListedFetchOptions {
  /** Hosts the guest may reach: `name`, `name:port`, an IP address, or `[v6]:port`. Without a port, any port. */
  allowHosts: string[];
  maxResponseBytes?: number;
  perMinute?: number;
  /** For the whole fetch, redirects included. */
  timeoutMs?: number;
}

interface AllowedHost {
  readonly hostname: string;
  readonly port: number | undefined;
}

/**
 * A fetch capability limited to listed hosts. A host listed by name must resolve only to public addresses, which
 * is checked on the address actually connected to, so DNS cannot smuggle in a private one. Loopback, private and
 * link-local addresses are reachable only when listed as an IP address or as `localhost`. Redirects are followed
 * by hand and every hop is checked again; responses are size-capped and calls are rate limited.
 */
export function allowListedFetch(options: AllowListedFetchOptions): (url: string, init: FetchInit) => Promise<FetchResponse> {
  const allowed = options.allowHosts.map(parseAllowedHost);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const takeTurn = rateLimiter(options.perMinute ?? DEFAULTS.perMinute);
  const allowedList = (): string => options.allowHosts.join(', ') || l10n.t('none');

  return async (url: string, init: FetchInit = {}): Promise<FetchResponse> => {
    takeTurn();
    let target = parseUrl(url);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = lowerCaseKeys(init.headers ?? {});
    if ('host' in headers) throw new Error(l10n.t('{0} cannot set the Host header; put the host in the URL.', 'fetch'));
    const signal = AbortSignal.timeout(timeoutMs);
    for (let redirects = 0; ; redirects++) {
      const listed = allowed.find((host) => matches(host, target));
      if (!listed) {
        throw new Error(redirects
          ? l10n.t('{0} refused: {1} is not an allowed host; {2} redirected there. Allowed hosts: {3}.', 'fetch', target.host, url, allowedList())
          : l10n.t('{0} refused: {1} is not an allowed host. Allowed hosts: {2}.', 'fetch', target.host, allowedList()));
      }
      // Private addresses only for hosts the user named as such; a listed name must resolve to public ones.
      const hostname = bare(target.hostname);
      const privateAllowed = isIP(hostname) !== 0 || hostname === 'localhost';
      let response: FetchResponse;
      try {
        response = await send(target, { method, headers, body, signal, maxResponseBytes, lookup: publicOnlyLookup(privateAllowed) });
      } catch (error) {
        if (signal.aborted) throw new Error(l10n.t('{0} of {1} took longer than its {2} ms limit.', 'fetch', url, timeoutMs), { cause: error });
        throw error;
      }
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.status) || !location) return response;
      if (redirects === MAX_REDIRECTS) throw new Error(l10n.t('{0} of {1} was redirected more than {2} times.', 'fetch', url, MAX_REDIRECTS));
      const next = new URL(location, target);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      if (next.origin !== target.origin) {
        delete headers.authorization;
        delete headers.cookie;
      }
      target = checkProtocol(next);
    }
  };
}

function parseAllowedHost(entry: string): AllowedHost {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  if (!match) throw new Error(l10n.t('Invalid {0} entry "{1}": use a host name or IP address, optionally with :port.', 'allowHosts', entry));
  return { hostname: new URL(`http://${match[1]}`).hostname, port: match[2] === undefined ? undefined : Number(match[2]) };
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(l10n.t('{0} needs an absolute http(s) URL; got "{1}".', 'fetch', url));
  }
  return checkProtocol(parsed);
}

function checkProtocol(url: URL): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(l10n.t('{0} supports only http and https URLs; got {1}.', 'fetch', url.protocol));
  if (url.username || url.password) throw new Error(l10n.t('{0} URLs cannot carry credentials; send an Authorization header instead.', 'fetch'));
  return url;
}

function matches(host: AllowedHost, url: URL): boolean {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return host.hostname === url.hostname && (host.port === undefined || host.port === port);
}

function bare(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

/** Resolves a name and refuses it if any of its addresses is not public, unless private addresses are allowed. */
function publicOnlyLookup(privateAllowed: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = privateAllowed ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused) {
        const message = l10n.t('{0} refused: {1} resolves to {2}, a loopback, private or link-local address. List the host by IP address to allow it.', 'fetch', hostname, refused.address);
        return callback(Object.assign(new Error(message), { code: 'EREFUSED_ADDRESS' }), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, all: typeof addresses) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

interface SendOptions {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
  readonly lookup: LookupFunction;
}

function send(url: URL, options: SendOptions): Promise<FetchResponse> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: options.method,
        // Identity encoding keeps the size cap honest: no compressed body can expand past it.
        headers: { ...options.headers, 'accept-encoding': 'identity' },
        signal: options.signal,
        lookup: options.lookup,
        // A fresh connection per request, so every request goes through this request's own address check.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            reject(new Error(l10n.t('The response from {0} is larger than the {1}-byte limit for {2}.', url.host, options.maxResponseBytes, 'fetch')));
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: flatten(response.headers), body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Allows `perMinute` calls in any sliding minute; the next one fails with how long to wait. */
function rateLimiter(perMinute: number): () => void {
  const recent: number[] = [];
  return () => {
    const now = Date.now();
    while (recent.length && recent[0]! <= now - 60_000) recent.shift();
    if (recent.length >= perMinute) {
      const waitSeconds = Math.ceil((recent[0]! + 60_000 - now) / 1000);
      throw new Error(l10n.t('{0} is limited to {1} requests a minute; wait {2} s and try again.', 'fetch', perMinute, waitSeconds));
    }
    recent.push(now);
  };
}
