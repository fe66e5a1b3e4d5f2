/**
 * Entry point of a chunking worker thread (bundled as dist/memory-worker.js). Reading, hashing, tree-sitter
 * parsing, tokenizing and encoding records are most of what indexing costs besides Orama's own index updates, so
 * they run here, beside the host's thread, while it inserts the previous files' chunks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ChunkReply, ChunkRequest, ChunkWorkerData } from './chunkMessages';
import { toDoc } from '../chunkDb';
import { joinedSearchTokens } from '../../ranking/codeTokenizer';
import { readAndChunk, type ChunkedContent, type FileToChunk } from './fileChunks';
import { recordOfChunks } from '../fileRecords';
import { languageOf } from './languages';
import { encodeRecord } from '../recordLog';
import { SyntaxParsers } from './treeSitter';
import { useTranslations } from '../../../../protocol/translations';

const port = parentPort!;
const { wasmDir, translations } = workerData as ChunkWorkerData;
useTranslations(translations);
const parsers = new SyntaxParsers(wasmDir);
// Requests run one after another, in the order they came: the index consumes results in that order.
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: ChunkRequest) => {
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
      // Tokenizing is a third of an Orama insert, and encoding the record log's lines is most of writing them: both
      // are done here, so that the host's thread only inserts and writes. When this worker falls behind, the host
      // chunks later batches itself.
      reply = { id: request.id, results: request.files.map((file, i) => prepared(file, results[i]!)) };
    }
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  // The encoded records move to the host without a copy.
  port.postMessage(reply, 'results' in reply ? reply.results.flatMap((r) => (r.kind === 'chunked' && r.record ? [r.record.buffer] : [])) : []);
}

/** A chunked file with what the index would otherwise compute on its own thread: its tokens and its record's line. */
function prepared(file: FileToChunk, result: ChunkedContent): ChunkedContent {
  if (result.kind !== 'chunked') return result;
  const entry = { hash: result.hash, size: file.size, mtimeMs: file.mtimeMs, language: languageOf(file.path).language };
  return {
    ...result,
    joinedTokens: result.chunks.map((chunk) => joinedSearchTokens(toDoc(chunk, '').body)),
    record: encodeRecord(recordOfChunks(file.path, entry, result.chunks)),
  };
}
