/** The messages between the index (main thread) and a chunking worker; only plain data crosses. */
import type { ChunkedContent, FileToChunk } from './fileChunks';

/** What a chunking worker needs at start-up, as `workerData`. */
export interface ChunkWorkerData {
  readonly wasmDir: string;
  /** The host's translation, which a thread does not share; absent in English. */
  readonly translations?: Readonly<Record<string, string>>;
}

export type ChunkRequest =
  | { readonly type: 'chunk'; readonly id: number; readonly root: string; readonly maxBytes: number; readonly files: readonly FileToChunk[] }
  /** Search documents' bodies to tokenize, when the index is rebuilt from its records. */
  | { readonly type: 'tokenize'; readonly id: number; readonly texts: readonly string[] };

export type ChunkReply =
  | { readonly id: number; readonly results: ChunkedContent[] }
  /** Per text, `joinedSearchTokens(text)`. */
  | { readonly id: number; readonly tokens: string[] }
  /** Reading failed (a file deleted since its stat, say): the index reports it as chunking in-process would. */
  | { readonly id: number; readonly error: string };
