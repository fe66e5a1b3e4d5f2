import * as l10n from '@vscode/l10n';
import { ModelError } from './errors';

/**
 * The most one line of a streamed answer (an SSE event, an NDJSON object) may take. Tool-call arguments arrive in
 * such lines, and the clients' stream parsers rescan a line from its start for every network chunk: a 10 MB line
 * held the host's thread for over a second, 700 KB lines for over 100 ms. Tool arguments over 256 KiB are refused
 * anyway, and a real server streams a few bytes per line.
 */
const MAX_LINE_BYTES = 256 * 1024;
/** The most one answer may take in all; a streamed answer of the longest output is a few megabytes. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Answers parsed line by line as they stream; a plain JSON answer (embeddings) may be one long line. */
const STREAMED = /text\/event-stream|ndjson/i;
const NEWLINE = 0x0a;

/** A model server's answer broke a size limit; the call fails with this (not retried) rather than stall the host. */
class OversizedResponseError extends ModelError {
  constructor(message: string) {
    super('bad_response', message);
  }
}

/** `fetch` whose response bodies stop with an error once a line or the whole body passes its limit. */
export function boundedFetch(fetchImpl: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (!response.body) return response;
    return new Response(response.body.pipeThrough(sizeLimits(STREAMED.test(response.headers.get('content-type') ?? ''))), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function sizeLimits(streamed: boolean): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  /** Bytes of the line still open at the end of the chunks so far. */
  let open = 0;
  const lineTooLong = () => new OversizedResponseError(l10n.t('The model server streamed a line of over {0} KiB (e.g. tool arguments of that size); Keel stopped reading its answer.', MAX_LINE_BYTES / 1024));
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > MAX_BODY_BYTES) return controller.error(new OversizedResponseError(l10n.t("The model server's answer passed {0} MiB; Keel stopped reading it.", MAX_BODY_BYTES / 1024 / 1024)));
      if (!streamed) return controller.enqueue(chunk);
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, at + 1)) {
        if (open + at - start > MAX_LINE_BYTES) return controller.error(lineTooLong());
        open = 0;
        start = at + 1;
      }
      open += chunk.length - start;
      if (open > MAX_LINE_BYTES) return controller.error(lineTooLong());
      controller.enqueue(chunk);
    },
  });
}
