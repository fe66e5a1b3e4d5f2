import type { Embedder } from '../../models/embedder';

// The workspace index's options and results, apart from the class, so that its updater and searcher need not import it.

export interface WorkspaceIndexOptions {
  /** Adds vectors and hybrid search. */
  readonly embedder?: Embedder;
  /** Larger files are listed as skipped, not indexed. Default 1 MiB. */
  readonly maxFileBytes?: number;
  /** The walk stops after this many files. Default 50,000. */
  readonly maxFiles?: number;
  /** Globs (workspace-relative) never indexed, on top of .gitignore and .keelignore. Default {@link DEFAULT_EXCLUDES}. */
  readonly exclude?: readonly string[];
  /** Where the tree-sitter WebAssembly files are; see `defaultWasmDir`. */
  readonly wasmDir?: string;
  /**
   * Whether large updates read and chunk files on worker threads (shared by the process's indexes), overlapping
   * with inserts and keeping this thread free. Default true; false chunks everything on this thread.
   */
  readonly chunkWorkers?: boolean;
}

export interface UpdateOptions {
  readonly signal?: AbortSignal;
  /** Called after each batch, for a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface UpdateResult {
  /** Files chunked (and embedded) anew, renamed or copied files included. */
  readonly indexed: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Of `indexed`, files recorded without chunks: binary or too large. */
  readonly skipped: number;
}

export interface SearchOptions {
  /** 1–100, default 10. */
  readonly limit?: number;
  /** Default: `hybrid` with an embedder, else `bm25`. */
  readonly mode?: 'bm25' | 'hybrid';
}

export interface IndexStats {
  readonly files: number;
  readonly chunks: number;
  readonly skippedFiles: number;
  readonly embedder?: string;
  /** The last walk stopped at `maxFiles`: some files are not indexed. */
  readonly truncated: boolean;
  /** Files whose grammar failed, chunked by lines instead; why the stored index was rebuilt. */
  readonly warnings: readonly string[];
}
