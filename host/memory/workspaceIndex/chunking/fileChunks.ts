import { join } from 'node:path';
import type { Chunk } from './chunk';
import type { EncodedRecord } from '../recordLog';
import { chunkFile } from './chunker';
import { readFileContent } from './textFile';
import type { SyntaxParsers } from './treeSitter';

/** A changed file to read and chunk, by its workspace-relative path and the size its stat gave. */
export interface FileToChunk {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** The hash the index holds for this path: when the content still has it, chunking is skipped. */
  readonly knownHash?: string;
}

/** What a changed file turned out to hold; `unchanged`: content the index has already chunked, at this path or another. */
export type ChunkedContent =
  | { readonly kind: 'unchanged'; readonly hash: string }
  | { readonly kind: 'skipped'; readonly hash: string; readonly reason: string }
  | {
      readonly kind: 'chunked';
      readonly hash: string;
      readonly chunks: Chunk[];
      readonly syntaxError?: string;
      /** Per chunk, the tokens of its search document (`joinedSearchTokens(toDoc(chunk).body)`), when a worker computed them. */
      readonly joinedTokens?: string[];
      /** The file's record (without vectors), encoded for the record log, when a worker made it. */
      readonly record?: EncodedRecord;
    };

/**
 * Reads, hashes and chunks one file, unless its content is `knownHash` or `reusable` (a copy of an indexed file). The
 * index runs this on chunking worker threads and, for a handful of files, on its own thread: the same chunks either way.
 */
export async function readAndChunk(root: string, file: FileToChunk, maxBytes: number, parsers: SyntaxParsers, reusable?: (hash: string) => boolean): Promise<ChunkedContent> {
  const content = readFileContent(join(root, file.path), file.size, maxBytes);
  if (content.hash === file.knownHash || (content.kind === 'text' && reusable?.(content.hash))) return { kind: 'unchanged', hash: content.hash };
  if (content.kind === 'skipped') return { kind: 'skipped', hash: content.hash, reason: content.reason };
  const { chunks, syntaxError } = await chunkFile(file.path, content.text, parsers);
  return { kind: 'chunked', hash: content.hash, chunks, ...(syntaxError ? { syntaxError } : {}) };
}
