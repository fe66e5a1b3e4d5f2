import type { ModelProvider } from '../../protocol/run';

export type ModelErrorKind = 'unreachable' | 'auth' | 'rate_limited' | 'timeout' | 'not_found' | 'server' | 'bad_response';

/** A model call that failed, with a message that says what the user can do about it. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ModelTarget {
  readonly provider: ModelProvider;
  readonly baseUrl: string;
  readonly model: string;
}

const START_HINT: Record<ModelProvider, (t: ModelTarget) => string> = {
  ollama: (t) => `Start Ollama (\`ollama serve\`) and pull the model (\`ollama pull ${t.model}\`), set "keel.ollama.baseUrl" to where it runs, or store an OpenAI key with "Keel: Set OpenAI API Key".`,
  openai: () => 'Check "keel.openai.baseUrl" and your network, or switch "keel.model.provider" to "ollama".',
};

/** Turns whatever a client threw into a ModelError; aborts by the caller pass through unchanged. */
export function toModelError(error: unknown, target: ModelTarget, status?: number, retryAfterMs?: number): Error {
  if (error instanceof ModelError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const where = `${target.provider === 'ollama' ? 'Ollama' : 'the OpenAI server'} at ${target.baseUrl}`;
  const detail = error instanceof Error ? error.message : String(error);
  if (status === undefined) {
    if (isConnectionFailure(error)) {
      return new ModelError('unreachable', `Could not reach ${where}. ${START_HINT[target.provider](target)}`);
    }
    return new ModelError('bad_response', `${where} sent a response Keel could not read (${detail}). Check that the URL points at a ${target.provider === 'ollama' ? 'Ollama' : 'OpenAI-compatible'} server.`);
  }
  if (status === 401 || status === 403) {
    return new ModelError('auth', `${where} rejected the API key (HTTP ${status}). Run "Keel: Set OpenAI API Key" with a valid key.`, status);
  }
  if (status === 404) {
    return new ModelError('not_found', `${where} does not know the model "${target.model}" (HTTP 404: ${detail}). ${target.provider === 'ollama' ? `Pull it with \`ollama pull ${target.model}\`` : 'Check "keel.openai.model"'} or choose another model in settings.`, status);
  }
  if (status === 429) {
    const wait = retryAfterMs !== undefined ? ` It asks to wait ${Math.ceil(retryAfterMs / 1000)} s.` : '';
    return new ModelError('rate_limited', `${where} is rate limiting requests (HTTP 429: ${detail}).${wait} Try again later or use another model.`, status, retryAfterMs);
  }
  return new ModelError('server', `${where} failed with HTTP ${status}: ${detail}`, status);
}

function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: string }).code;
    if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN'].includes(code)) return true;
    if (e.name === 'APIConnectionError' || e.message === 'fetch failed') return true;
  }
  return false;
}

/** `Retry-After` in seconds or an HTTP date, or OpenAI's `retry-after-ms`, as milliseconds. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
