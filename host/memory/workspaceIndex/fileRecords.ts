import type { Chunk } from './chunking/chunk';
import { toChunk, toDoc, type ChunkDoc } from './chunkDb';
import type { FileRecord } from './recordLog';

/** What is known about a file without its chunks: the in-memory catalog the index keeps per path. */
export interface FileEntry {
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly language: string;
  readonly skipped?: string;
  readonly chunkCount: number;
}

export function docId(path: string, index: number): string {
  return `${path}#${index}`;
}

export function entryOf(record: FileRecord): FileEntry {
  const { hash, size, mtimeMs, language, skipped } = record;
  return { hash, size, mtimeMs, language, ...(skipped ? { skipped } : {}), chunkCount: record.chunks.length };
}

/** The search documents a persisted record stands for. */
export function docsOf(record: FileRecord): ChunkDoc[] {
  return record.chunks.map(([startLine, endLine, symbol, text], i) => {
    const chunk: Chunk = { path: record.path, startLine, endLine, ...(symbol !== null ? { symbol } : {}), language: record.language, text };
    return toDoc(chunk, docId(record.path, i));
  });
}

/** The record's vectors, one per chunk, as views into one decoded buffer; undefined when it has none. */
export function vectorsOf(record: FileRecord, dimensions: number): Float32Array[] | undefined {
  if (!record.vectors) return undefined;
  const bytes = Buffer.from(record.vectors, 'base64');
  // Copied, because a small Buffer sits in a shared pool at an offset a Float32Array view may not start at.
  const flat = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(flat.buffer).set(bytes);
  return Array.from({ length: flat.length / dimensions }, (_, i) => flat.subarray(i * dimensions, (i + 1) * dimensions));
}

/** The record to persist for a file's documents and, with an embedder, their vectors. */
export function recordOf(path: string, entry: Omit<FileEntry, 'chunkCount'>, docs: readonly ChunkDoc[], vectors?: readonly ArrayLike<number>[]): FileRecord {
  return recordOfChunks(path, entry, docs.map(toChunk), vectors);
}

/** The record to persist for a file's chunks, as {@link recordOf} makes it from their documents. */
export function recordOfChunks(path: string, entry: Omit<FileEntry, 'chunkCount'>, fileChunks: readonly Chunk[], vectors?: readonly ArrayLike<number>[]): FileRecord {
  const chunks = fileChunks.map(({ startLine, endLine, symbol, text }) => [startLine, endLine, symbol ?? null, text] as const);
  return {
    path,
    hash: entry.hash,
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    language: entry.language,
    ...(entry.skipped ? { skipped: entry.skipped } : {}),
    chunks,
    ...(vectors?.length ? { vectors: encodeVectors(vectors) } : {}),
  };
}

/** Float32 bytes in base64: a fraction of the size and parse time of JSON numbers. */
function encodeVectors(vectors: readonly ArrayLike<number>[]): string {
  const flat = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const vector of vectors) {
    flat.set(vector, offset);
    offset += vector.length;
  }
  return Buffer.from(flat.buffer).toString('base64');
}
