/**
 * Entry point of a chunking worker thread (bundled as dist/memory-worker.js). Reading, hashing, tree-sitter
 * parsing and (when the host is the slower side) tokenizing are most of what indexing costs besides Orama's own
 * index updates, so they run here, beside the host's thread, while it inserts the previous files' chunks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ChunkReply, ChunkRequest, ChunkWorkerData } from './chunkMessages';
import { toDoc } from './chunkDb';
import { joinedSearchTokens } from './codeTokenizer';
import { readAndChunk, type ChunkedContent } from './fileChunks';
import { SyntaxParsers } from './treeSitter';

const port = parentPort!;
const parsers = new SyntaxParsers((workerData as ChunkWorkerData).wasmDir);
// Requests run one after another, in the order they came: the index consumes results in that order.
let queue: Promise<void> = Promise.resolve();
let waiting = 0;

port.on('message', (request: ChunkRequest) => {
  waiting++;
  queue = queue.then(() => handle(request));
});

async function handle(request: ChunkRequest): Promise<void> {
  let reply: ChunkReply;
  try {
    if (request.type === 'tokenize') {
      reply = { id: request.id, tokens: request.texts.map(joinedSearchTokens) };
    } else {
      const results: ChunkedContent[] = [];
      for (const file of request.files) results.push(await readAndChunk(request.root, file, request.maxBytes, parsers));
      // Tokenizing is a third of an Orama insert. When the host's thread is the slower side, this worker has no
      // other request waiting and tokenizes for it; when this worker is behind, the host tokenizes as it inserts.
      // Either way the tokens are the same.
      reply = { id: request.id, results: waiting > 1 ? results : results.map(withTokens) };
    }
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  } finally {
    waiting--;
  }
  port.postMessage(reply);
}

function withTokens(result: ChunkedContent): ChunkedContent {
  return result.kind === 'chunked' ? { ...result, joinedTokens: result.chunks.map((chunk) => joinedSearchTokens(toDoc(chunk, '').body)) } : result;
}
