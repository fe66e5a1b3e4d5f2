import { ModelError } from './errors';

/** Backoff before the n-th retry is random in [0, min(MAX, BASE × 2ⁿ)): "full jitter", so retries spread out. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8000;
/** A server asking for a longer pause than this is left to cool down while the call falls back. */
export const MAX_RETRY_AFTER_WAIT_MS = 30_000;

/**
 * What the router does after a failed attempt:
 * - `retry`: a transient failure, worth trying the same deployment again after a pause;
 * - `fallback`: this deployment will fail the same way, so try the next one (`coolDown` skips it for a while);
 * - `overflow`: the conversation is too long for this model, so only a larger window can help.
 */
export type FailureAction = { readonly action: 'retry' } | { readonly action: 'fallback'; readonly coolDown: boolean } | { readonly action: 'overflow' };

export function failureAction(error: unknown): FailureAction {
  if (!(error instanceof ModelError)) return { action: 'fallback', coolDown: false };
  switch (error.kind) {
    case 'rate_limited':
    case 'server':
    case 'torn_stream':
      return { action: 'retry' };
    case 'context_overflow':
      return { action: 'overflow' };
    // A wrong key or a missing model fails every call until the user acts, so other calls skip it too.
    case 'auth':
    case 'not_found':
      return { action: 'fallback', coolDown: true };
    // Nothing listens there: retrying at once fails the same way, and three tries only delay the advice.
    case 'unreachable':
      return { action: 'fallback', coolDown: false };
    // A deployment that hung once is likely to hang again; waiting out another timeout helps nobody.
    case 'timeout':
    case 'bad_request':
    case 'bad_response':
      return { action: 'fallback', coolDown: false };
  }
}

/** How long to wait before retry number `retry` (0-based): the server's Retry-After if it sent one, else jittered backoff. */
export function retryDelayMs(error: unknown, retry: number, random: () => number): number {
  const asked = error instanceof ModelError ? error.retryAfterMs : undefined;
  if (asked !== undefined) return asked;
  return Math.floor(random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** retry));
}
