import * as l10n from '@vscode/l10n';
import type { Embedder } from '../../models/embedder';
import { VectorStore } from '../ranking/vectorStore';
import { createChunkDb, type SearchHit } from './chunkDb';
import { IndexedFiles } from './indexedFiles';
import { IndexSearcher } from './indexSearcher';
import { IndexUpdater } from './indexUpdater';
import { RecordLog } from './recordLog';
import type { IndexStats, SearchOptions, UpdateOptions, UpdateResult, WorkspaceIndexOptions } from './indexOptions';

export type { IndexStats, SearchOptions, UpdateOptions, UpdateResult, WorkspaceIndexOptions } from './indexOptions';

/**
 * Bump when chunking changes, so stored records are rebuilt rather than mixed with new ones. 2: secrets are redacted by
 * the new detector, which finds what the old patterns left in stored chunks.
 */
const CHUNKER_VERSION = 2;
const LOG_FORMAT = 1;

/** Lock files, minified bundles and source maps: large, generated, and never what a question is about. */
export const DEFAULT_EXCLUDES: readonly string[] = ['**/package-lock.json', '**/yarn.lock', '**/pnpm-lock.yaml', '**/*.min.js', '**/*.min.css', '**/*.map'];

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
    if (reset) updater.warn(l10n.t('The stored index was rebuilt: {0}.', reset));
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
