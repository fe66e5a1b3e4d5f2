/** The messages between the index (main thread) and a chunking worker; only plain data crosses. */
import type { ChunkedContent, FileToChunk } from './fileChunks';

/** What a chunking worker needs at start-up, as `workerData`. */
export interface ChunkWorkerData {
  readonly wasmDir: string;
}

export interface ChunkRequest {
  readonly id: number;
  readonly root: string;
  readonly maxBytes: number;
  readonly files: readonly FileToChunk[];
}

export type ChunkReply =
  | { readonly id: number; readonly results: ChunkedContent[] }
  /** Reading failed (a file deleted since its stat, say): the index reports it as chunking in-process would. */
  | { readonly id: number; readonly error: string };
