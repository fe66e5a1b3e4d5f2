import type { ModelProvider } from '../../protocol/run';

export type ModelErrorKind =
  | 'unreachable'
  | 'auth'
  | 'rate_limited'
  | 'timeout'
  | 'not_found'
  | 'server'
  | 'bad_response'
  /** The answer started streaming and then broke off; what was streamed is void. */
  | 'torn_stream'
  /** The conversation is longer than the model's context window. */
  | 'context_overflow'
  /** Any other 4xx: the server refused this request (e.g. an Ollama model without tool support). */
  | 'bad_request';

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
  vscode: () => 'Install and sign in to an extension that provides language models to VS Code, such as GitHub Copilot Chat.',
};
const SERVER_NAME: Record<ModelProvider, string> = { ollama: 'Ollama', openai: 'the OpenAI server', vscode: "VS Code's language models" };

/** Turns whatever a client threw into a ModelError; aborts by the caller pass through unchanged. */
export function toModelError(error: unknown, target: ModelTarget, status?: number, retryAfterMs?: number): Error {
  if (error instanceof ModelError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const where = `${SERVER_NAME[target.provider]} at ${target.baseUrl}`;
  const detail = error instanceof Error ? error.message : String(error);
  if (status === undefined) {
    const connection = connectionFailure(error);
    if (connection === 'refused') return new ModelError('unreachable', `Could not reach ${where}. ${START_HINT[target.provider](target)}`);
    if (connection === 'reset') return new ModelError('server', `The connection to ${where} broke (${detail}).`);
    return new ModelError('bad_response', `${where} sent a response Keel could not read (${detail}). Check that the URL points at ${target.provider === 'ollama' ? 'an Ollama' : 'an OpenAI-compatible'} server.`);
  }
  // The openai client starts its messages with the status; the message below names it once.
  const reason = detail.startsWith(`${status} `) ? detail.slice(String(status).length + 1) : detail;
  if (status === 401 || status === 403) {
    return new ModelError('auth', `${where} rejected the API key (HTTP ${status}). Run "Keel: Set OpenAI API Key" with a valid key.`, status);
  }
  if (status === 404) {
    return new ModelError('not_found', `${where} does not know the model "${target.model}" (HTTP 404: ${reason}). ${target.provider === 'ollama' ? `Pull it with \`ollama pull ${target.model}\`` : 'Check "keel.openai.model"'} or choose another model in settings.`, status);
  }
  if (status === 429) {
    const wait = retryAfterMs !== undefined ? ` It asks to wait ${Math.ceil(retryAfterMs / 1000)} s.` : '';
    return new ModelError('rate_limited', `${where} is rate limiting requests (HTTP 429: ${reason}).${wait} Try again later or use another model.`, status, retryAfterMs);
  }
  if (status >= 400 && status < 500 && CONTEXT_OVERFLOW.test(reason)) {
    return new ModelError('context_overflow', `The conversation is too long for ${target.model} at ${where} (HTTP ${status}: ${reason}). Use a model with a larger context window, or start a new run with a narrower goal.`, status);
  }
  // 408 (request timeout) is the server's hiccup, not a fault in the request.
  if (status >= 400 && status < 500 && status !== 408) {
    return new ModelError('bad_request', `${where} refused the request to ${target.model} (HTTP ${status}: ${reason}). Check that the model supports what Keel asks of it (tool calls), or choose another model in settings.`, status);
  }
  return new ModelError('server', `${where} failed with HTTP ${status}: ${reason}`, status);
}

/**
 * What servers say when the prompt is longer than the window: OpenAI and vLLM ("maximum context length"),
 * OpenAI's error code, llama.cpp ("exceeds the available context size"), Ollama ("input length exceeds the
 * context length"), and Anthropic-style gateways ("prompt is too long").
 */
const CONTEXT_OVERFLOW = /context[_ ]length[_ ]exceeded|maximum context length|exceeds? (the )?(available )?context (size|length|window)|context window|prompt is too long/i;

/** A failure after the answer started streaming; the caller must not use the part it already saw. */
export function tornStreamError(error: unknown, target: ModelTarget): ModelError {
  // Keel's own refusal to read further (an oversized answer) says what happened already, and retrying repeats it.
  if (error instanceof ModelError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ModelError('torn_stream', `The answer from ${target.model} at ${target.baseUrl} broke off mid-stream (${detail}). Keel retries this on its own; if it keeps happening, check the server's log.`);
}

/**
 * `refused`: nothing answers at that address (not running, wrong port or host), so trying again at once fails
 * the same way. `reset`: a connection that was up broke, which a second try often gets past.
 */
function connectionFailure(error: unknown): 'refused' | 'reset' | undefined {
  const chain: Error[] = [];
  for (let e: unknown = error; e instanceof Error && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  const codes = chain.map((e) => (e as { code?: unknown }).code);
  if (codes.some((code) => REFUSED.has(code))) return 'refused';
  if (codes.some((code) => RESET.has(code))) return 'reset';
  // Clients that hide the cause: the openai package's APIConnectionError, undici's bare "fetch failed".
  return chain.some((e) => e.name === 'APIConnectionError' || e.message === 'fetch failed') ? 'refused' : undefined;
}
const REFUSED: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
// undici's UND_ERR_SOCKET: the other side closed a connection it had accepted.
const RESET: ReadonlySet<unknown> = new Set(['ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']);

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
