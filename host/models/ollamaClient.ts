import { Ollama } from 'ollama';
import { boundedFetch } from './boundedFetch';
import { parseRetryAfter } from './errors';

/**
 * An Ollama client for one request. The client's own abort() only reaches streams that have started, so the
 * signal goes into every fetch; its errors carry no headers, so `retryAfterMs()` reads Retry-After here.
 */
const limited = boundedFetch();

export function ollamaClient(baseUrl: string, signal: AbortSignal | undefined): { client: Ollama; retryAfterMs: () => number | undefined } {
  let retryAfterMs: number | undefined;
  const client = new Ollama({
    host: baseUrl,
    fetch: async (input, init) => {
      const response = await limited(input, { ...init, signal });
      retryAfterMs = parseRetryAfter(response.headers);
      return response;
    },
  });
  return { client, retryAfterMs: () => retryAfterMs };
}

/** The HTTP status the `ollama` client puts on its errors. */
export function ollamaStatus(error: unknown): number | undefined {
  return (error as { status_code?: number }).status_code;
}
