import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { looksBinary } from '../../../workspace/binary';


export type FileContent =
  | { readonly kind: 'text'; readonly text: string; readonly hash: string }
  | { readonly kind: 'skipped'; readonly reason: string; readonly hash: string };

/**
 * A file's text and content hash, or why it is not indexed (binary, larger than `maxBytes`). Synchronous on
 * purpose: the promise API takes four thread-pool round trips per file, which made reading 5× slower than parsing
 * small files; a read is bounded by `maxBytes` and blocks the event loop for well under a millisecond.
 */
export function readFileContent(file: string, size: number, maxBytes: number): FileContent {
  // Too large to index: the size and mtime still tell whether it changed, so the bytes are never read.
  if (size > maxBytes) return { kind: 'skipped', reason: `larger than ${Math.round(maxBytes / 1024)} KiB`, hash: `size:${size}` };
  const bytes = readFileSync(file);
  const hash = createHash('sha1').update(bytes).digest('base64url');
  if (looksBinary(bytes)) return { kind: 'skipped', reason: 'binary', hash };
  return { kind: 'text', text: bytes.toString('utf8'), hash };
}
