/** The workspace index: searching it, updating it and hearing how far it got (`memory/…`). */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { z } from 'zod';
import { integer, list, noParams, text } from '../params';

export namespace MemorySearchRequest {
  export const params = z.object({ query: text(500, 1), limit: integer(1, 100).optional() }).readonly();
  /** Extension → host: search the workspace index, opening it first if needed (Keel: Search Memory…). */
  export const type = new RequestType<z.infer<typeof params>, { hits: MemoryHit[] }, void>('memory/search');
}
export interface MemoryHit {
  /** Workspace-relative, forward slashes. */
  readonly path: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol?: string;
  readonly language: string;
  readonly score: number;
  /** The start of the chunk's text, secrets redacted. */
  readonly snippet: string;
}

export namespace MemoryReindexRequest {
  export const params = noParams;
  /** Extension → host: walk the whole workspace and index what changed (Keel: Reindex Workspace). */
  export const type = new RequestType0<MemoryReindexResult, void>('memory/reindex');
}
export interface MemoryReindexResult {
  readonly indexed: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Files and chunks in the index afterwards. */
  readonly files: number;
  readonly chunks: number;
  readonly durationMs: number;
}

export namespace MemoryIndexProgressNotification {
  /** Host → extension: how far opening or updating the workspace index has got. */
  export const type = new NotificationType<MemoryIndexProgress>('memory/indexProgress');
}
export type MemoryIndexProgress =
  /** `scanning`: loading the stored index and looking for changed files; `indexing`: `done` of `total` changed files. */
  | { readonly phase: 'scanning' | 'indexing' | 'done'; readonly done: number; readonly total: number }
  | { readonly phase: 'failed'; readonly done: number; readonly total: number; readonly message: string };

export namespace MemoryFilesChangedNotification {
  /** A branch switch can touch tens of thousands of files in one batch. */
  export const params = z.object({ paths: list(text(4096), 100_000) }).readonly();
  /** Extension → host: these workspace-relative paths were changed, created or deleted; the index catches up. */
  export const type = new NotificationType<z.infer<typeof params>>('memory/filesChanged');
}

export namespace MemorySettingsNotification {
  export const params = z.object({ filesExclude: list(text(4096), 10_000) }).readonly();
  /** Extension → host: `files.exclude` changed; the index reopens without the files it now hides. */
  export const type = new NotificationType<z.infer<typeof params>>('memory/settings');
}
