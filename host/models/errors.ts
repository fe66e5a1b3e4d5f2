import * as l10n from '@vscode/l10n';
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

// Setting ids and command titles are quoted inside the arguments, so a translation keeps them as they are:
// the extension (errorFixes.ts) and the CLI (cli/hints.ts) find them there to offer a button or a flag.
const START_HINT: Record<ModelProvider, (t: ModelTarget) => string> = {
  ollama: (t) => l10n.t('Start Ollama ({0}) and pull the model ({1}), set {2} to where it runs, or store an OpenAI key with {3}.', '`ollama serve`', `\`ollama pull ${t.model}\``, '"keel.ollama.baseUrl"', '"Keel: Set OpenAI API Key"'),
  openai: () => l10n.t('Check {0} and your network, or switch {1} to {2}.', '"keel.openai.baseUrl"', '"keel.model.provider"', '"ollama"'),
  vscode: () => l10n.t('Install and sign in to an extension that provides language models to VS Code, such as GitHub Copilot Chat.'),
};

/** The server a message is about, as the subject or object of its sentence: "Ollama at http://…". */
function serverAt(target: ModelTarget): string {
  if (target.provider === 'ollama') return l10n.t({ message: 'Ollama at {0}', args: [target.baseUrl], comment: ['{0} is the server\'s URL. The phrase starts or ends a sentence about the server.'] });
  if (target.provider === 'openai') return l10n.t({ message: 'the OpenAI server at {0}', args: [target.baseUrl], comment: ['{0} is the server\'s URL. The phrase starts or ends a sentence about the server.'] });
  return l10n.t({ message: "VS Code's language models at {0}", args: [target.baseUrl], comment: ['{0} is the server\'s URL. The phrase starts or ends a sentence about the server.'] });
}

/** Turns whatever a client threw into a ModelError; aborts by the caller pass through unchanged. */
export function toModelError(error: unknown, target: ModelTarget, status?: number, retryAfterMs?: number): Error {
  if (error instanceof ModelError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const where = serverAt(target);
  const detail = error instanceof Error ? error.message : String(error);
  if (status === undefined) {
    const connection = connectionFailure(error);
    if (connection === 'refused') return new ModelError('unreachable', `${l10n.t('Could not reach {0}.', where)} ${START_HINT[target.provider](target)}`);
    if (connection === 'reset') return new ModelError('server', l10n.t('The connection to {0} broke ({1}).', where, detail));
    return new ModelError('bad_response', target.provider === 'ollama'
      ? l10n.t('{0} sent a response Keel could not read ({1}). Check that the URL points at an Ollama server.', where, detail)
      : l10n.t('{0} sent a response Keel could not read ({1}). Check that the URL points at an OpenAI-compatible server.', where, detail));
  }
  // The openai client starts its messages with the status; the message below names it once.
  const reason = detail.startsWith(`${status} `) ? detail.slice(String(status).length + 1) : detail;
  if (status === 401 || status === 403) {
    return new ModelError('auth', l10n.t('{0} rejected the API key (HTTP {1}). Run {2} with a valid key.', where, status, '"Keel: Set OpenAI API Key"'), status);
  }
  if (status === 404) {
    return new ModelError('not_found', target.provider === 'ollama'
      ? l10n.t('{0} does not know the model "{1}" (HTTP 404: {2}). Pull it with {3} or choose another model in settings.', where, target.model, reason, `\`ollama pull ${target.model}\``)
      : l10n.t('{0} does not know the model "{1}" (HTTP 404: {2}). Check {3} or choose another model in settings.', where, target.model, reason, '"keel.openai.model"'), status);
  }
  if (status === 429) {
    const limited = l10n.t('{0} is rate limiting requests (HTTP 429: {1}).', where, reason);
    const wait = retryAfterMs !== undefined ? ` ${l10n.t('It asks to wait {0} s.', Math.ceil(retryAfterMs / 1000))}` : '';
    return new ModelError('rate_limited', `${limited}${wait} ${l10n.t('Try again later or use another model.')}`, status, retryAfterMs);
  }
  if (status >= 400 && status < 500 && CONTEXT_OVERFLOW.test(reason)) {
    return new ModelError('context_overflow', l10n.t('The conversation is too long for {0} at {1} (HTTP {2}: {3}). Use a model with a larger context window, or start a new run with a narrower goal.', target.model, where, status, reason), status);
  }
  // 408 (request timeout) is the server's hiccup, not a fault in the request.
  if (status >= 400 && status < 500 && status !== 408) {
    return new ModelError('bad_request', l10n.t('{0} refused the request to {1} (HTTP {2}: {3}). Check that the model supports what Keel asks of it (tool calls), or choose another model in settings.', where, target.model, status, reason), status);
  }
  return new ModelError('server', l10n.t('{0} failed with HTTP {1}: {2}', where, status, reason), status);
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
  return new ModelError('torn_stream', l10n.t("The answer from {0} at {1} broke off mid-stream ({2}). Keel retries this on its own; if it keeps happening, check the server's log.", target.model, target.baseUrl, detail));
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
