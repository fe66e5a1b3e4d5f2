/**
 * Which tool failures are worth repeating, and when repeating is safe. A failure is transient when the same call may
 * well succeed a moment later: a dropped or refused connection, a server timeout, HTTP 408, 429, 502, 503 or 504.
 * Repeating it is safe when the tool is idempotent (a read, an HTTP GET, an MCP tool that says `idempotentHint`) or
 * when the request never left Keel (the MCP server was not connected). Anything else — a tool's own error, a denial,
 * a side effect whose outcome is unknown — is never repeated.
 */
export class TransientToolError extends Error {
  override readonly name = 'TransientToolError';
  /** Whether the request may have reached the other side; false only when it certainly did not. */
  readonly sent: boolean;
  /** How long the other side asked to wait (`Retry-After`). */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; sent?: boolean; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.sent = options.sent ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** HTTP statuses that say "not now" rather than "no". */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/** Socket errors after which the same request may go through. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isTransientStatus(status: number): boolean {
  return TRANSIENT_STATUSES.has(status);
}

/** Whether a thrown error is a network failure worth another attempt (its code, or its cause's). */
export function isTransientNetworkError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}

/** `Retry-After` in milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The retry rule: a transient failure of a call that is safe to repeat. */
export function mayRetry(error: unknown, idempotent: boolean): error is TransientToolError {
  return error instanceof TransientToolError && (idempotent || !error.sent);
}
