import type { Embedder } from '../../models/embedder';
import { VectorStore } from '../ranking/vectorStore';
import { createChunkDb, type SearchHit } from './chunkDb';
import { IndexedFiles } from './indexedFiles';
import { IndexSearcher } from './indexSearcher';
import { IndexUpdater } from './indexUpdater';
import { RecordLog } from './recordLog';

/**
 * Bump when chunking changes, so stored records are rebuilt rather than mixed with new ones. 2: secrets are redacted by
 * the new detector, which finds what the old patterns left in stored chunks.
 */
const CHUNKER_VERSION = 2;
const LOG_FORMAT = 1;

/** Lock files, minified bundles and source maps: large, generated, and never what a question is about. */
export const DEFAULT_EXCLUDES: readonly string[] = ['**/package-lock.json', '**/yarn.lock', '**/pnpm-lock.yaml', '**/*.min.js', '**/*.min.css', '**/*.map'];

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

/**
 * Semantic memory of a workspace: its files as symbol-aware chunks in an Orama index (BM25 with code-aware
 * tokens, plus vectors with an embedder), kept up to date incrementally and persisted as per-file records so a
 * restart or a crash costs only the files not yet recorded. `IndexUpdater` does the updating and `IndexSearcher`
 * the searching, over the same `IndexedFiles`.
 */
export class WorkspaceIndex {
  private constructor(
    readonly root: string,
    private readonly files: IndexedFiles,
    private readonly updater: IndexUpdater,
    private readonly searcher: IndexSearcher,
    private readonly embedder: Embedder | undefined,
  ) {}

  /** Loads the records in `storageDir` (created if missing) and rebuilds the search index from them. */
  static async open(root: string, storageDir: string, options: WorkspaceIndexOptions = {}): Promise<WorkspaceIndex> {
    const embedder = options.embedder;
    const { log, records, reset } = await RecordLog.open(storageDir, {
      format: LOG_FORMAT,
      chunker: CHUNKER_VERSION,
      embedder: embedder ? `${embedder.id}/${embedder.dimensions}` : null,
    });
    const files = new IndexedFiles(createChunkDb(), embedder ? new VectorStore(embedder.dimensions) : undefined);
    const updater = new IndexUpdater(root, log, files, { ...options, exclude: options.exclude ?? DEFAULT_EXCLUDES });
    if (reset) updater.warn(`The stored index was rebuilt: ${reset}.`);
    await updater.rebuild(records.values());
    return new WorkspaceIndex(root, files, updater, new IndexSearcher(root, files, embedder), embedder);
  }

  /** Walks the workspace (honouring .gitignore and .keelignore) and indexes what changed since the last update. */
  update(options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.updater.update(options);
  }

  /**
   * Re-indexes just these files (absolute or workspace-relative), e.g. after saves: changed ones are chunked again,
   * deleted ones removed, new ones added unless ignored.
   */
  updateFiles(paths: readonly string[], options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.updater.updateFiles(paths, options);
  }

  search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    return this.searcher.search(query, options);
  }

  stats(): IndexStats {
    let chunks = 0;
    let skippedFiles = 0;
    for (const entry of this.files.catalog.values()) {
      chunks += entry.chunkCount;
      if (entry.skipped) skippedFiles++;
    }
    const embedder = this.embedder;
    return {
      files: this.files.catalog.size - skippedFiles,
      chunks,
      skippedFiles,
      ...(embedder ? { embedder: embedder.id } : {}),
      truncated: this.updater.truncated,
      warnings: [...this.updater.warnings],
    };
  }

  /** Waits for a running update, then closes the record log. */
  close(): Promise<void> {
    return this.updater.close();
  }
}
