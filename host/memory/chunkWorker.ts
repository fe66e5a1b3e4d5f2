/**
 * Entry point of a chunking worker thread (bundled as dist/memory-worker.js). Reading, hashing, tree-sitter
 * parsing and tokenizing are most of what indexing costs besides Orama's own index updates, so they run here,
 * beside the host's thread, while it inserts the previous files' chunks.
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

port.on('message', (request: ChunkRequest) => {
  queue = queue.then(() => handle(request));
});

async function handle(request: ChunkRequest): Promise<void> {
  let reply: ChunkReply;
  try {
    const results: ChunkedContent[] = [];
    for (const file of request.files) {
      const result = await readAndChunk(request.root, file, request.maxBytes, parsers);
      // Tokenizing is a third of an Orama insert; done here, the host's thread only adds the tokens to the index.
      results.push(result.kind === 'chunked' ? { ...result, joinedTokens: result.chunks.map((chunk) => joinedSearchTokens(toDoc(chunk, '').body)) } : result);
    }
    reply = { id: request.id, results };
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(reply);
}
