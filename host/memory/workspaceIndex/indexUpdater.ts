import * as l10n from '@vscode/l10n';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Minimatch } from 'minimatch';
import { embedChecked } from '../../models/embedder';
import { walkWorkspace } from '../../workspace/fileWalk';
import { ChunkFeed } from './chunking/chunkFeed';
import { sharedChunkPool, type ChunkPool } from './chunking/chunkPool';
import { readAndChunk, type ChunkedContent, type FileToChunk } from './chunking/fileChunks';
import { languageOf } from './chunking/languages';
import { defaultWasmDir, sharedSyntaxParsers, type SyntaxParsers } from './chunking/treeSitter';
import { insertDocs, toChunk, toDoc, type ChunkDoc } from './chunkDb';
import { docId, recordOf, type FileEntry } from './fileRecords';
import type { IndexedFiles } from './indexedFiles';
import type { EncodedRecord, FileRecord, RecordLog } from './recordLog';
import { notIgnored, toWorkspaceRelative } from './workspacePaths';
import type { UpdateOptions, UpdateResult, WorkspaceIndexOptions } from './indexOptions';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
const DEFAULT_MAX_FILES = 50_000;
/** Files are read, chunked and embedded in batches; a batch's records are written while the next one is prepared. */
const BATCH_FILES = 16;
/**
 * A file's documents are inserted this many at a time, with a turn of the event loop between: a generated file of a
 * thousand chunks took 0.4 s in one go, a pause every request to the host would wait out.
 */
const INSERT_SLICE_DOCS = 100;
/** Texts per embedder call: what embedding APIs and local servers accept comfortably. */
const EMBED_BATCH = 128;
/** Updates with fewer changed files than this chunk them on the index's own thread. */
const POOL_MIN_FILES = 2 * BATCH_FILES;
/** Documents per tokenizing request when the index is rebuilt from its records. */
const REBUILD_BATCH_DOCS = 1000;
/** Tokenizing requests each worker may hold while the index is rebuilt. */
const REBUILD_BATCHES_PER_WORKER = 4;
/** Parallel stats when checking which files changed. */
const STAT_CONCURRENCY = 64;

interface Pending {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

interface Prepared {
  readonly path: string;
  readonly entry: Omit<FileEntry, 'chunkCount'>;
  readonly docs: ChunkDoc[];
  /** Per document, its tokens as a chunking worker computed them. */
  readonly joinedTokens?: readonly string[];
  /** The record to log, as a chunking worker encoded it; only when the index stores no vectors. */
  readonly record?: EncodedRecord;
  /** One per document with an embedder; filled by embedBatch unless copied from a renamed file. */
  vectors?: readonly ArrayLike<number>[];
  /** The file had a record, which this one supersedes. */
  readonly replaces: boolean;
}

/**
 * Keeps a workspace index up to date: finds the files that changed, chunks them (on worker threads when there are
 * many) and embeds them, swaps their documents in and records each file, so a restart or a crash costs only the
 * files not yet recorded. Also rebuilds the search index from the records when the index opens.
 */
export class IndexUpdater {
  private readonly parsers: SyntaxParsers;
  private readonly pool: ChunkPool;
  private readonly excludes: Minimatch[];
  private readonly recentWarnings: string[] = [];
  private walkTruncated = false;
  private queue: Promise<unknown> = Promise.resolve();

  /** `options.exclude` is the full list of globs: the caller puts in the defaults. */
  constructor(
    private readonly root: string,
    private readonly log: RecordLog,
    private readonly files: IndexedFiles,
    private readonly options: WorkspaceIndexOptions,
  ) {
    const wasmDir = options.wasmDir ?? defaultWasmDir();
    this.parsers = sharedSyntaxParsers(wasmDir);
    this.pool = sharedChunkPool(wasmDir);
    this.excludes = (options.exclude ?? []).map((glob) => new Minimatch(glob, { dot: true }));
  }

  /** The last walk stopped at `maxFiles`: some files are not indexed. */
  get truncated(): boolean {
    return this.walkTruncated;
  }

  /** The latest few warnings, oldest first. */
  get warnings(): readonly string[] {
    return this.recentWarnings;
  }

  warn(message: string): void {
    // Keep the latest few: enough to diagnose, bounded for a long-running host.
    this.recentWarnings.push(message);
    if (this.recentWarnings.length > 20) this.recentWarnings.shift();
  }

  /** Catalogs the stored records and inserts their documents into the empty search index. */
  rebuild(records: Iterable<FileRecord>): Promise<void> {
    return this.insertRecorded(this.files.restore(records));
  }

  /**
   * Inserts the documents of the recorded files. Tokenizing is about half of it, so for many documents the chunking
   * workers tokenize the next batches while this thread inserts the current one, in the same order as one insert.
   */
  private async insertRecorded(docs: readonly ChunkDoc[]): Promise<void> {
    const db = this.files.db;
    if (docs.length < REBUILD_BATCH_DOCS * 2 || this.options.chunkWorkers === false || !this.pool.available) return insertDocs(db, docs);
    const batches: ChunkDoc[][] = [];
    for (let i = 0; i < docs.length; i += REBUILD_BATCH_DOCS) batches.push(docs.slice(i, i + REBUILD_BATCH_DOCS));
    const ahead = this.pool.size * REBUILD_BATCHES_PER_WORKER;
    const tokens: Promise<string[] | undefined>[] = [];
    const request = (i: number) => this.pool.tokenize(batches[i]!.map((doc) => doc.body)).catch(() => undefined);
    for (let i = 0; i < batches.length; i++) {
      while (tokens.length < batches.length && tokens.length <= i + ahead) tokens.push(request(tokens.length));
      // Without a worker's tokens (it failed), the batch is tokenized here.
      await insertDocs(db, batches[i]!, await tokens[i]);
    }
  }

  /** Walks the workspace (honouring .gitignore and .keelignore) and indexes what changed since the last update. */
  update(options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.exclusive(async () => {
      const { files, truncated } = await walkWorkspace(this.root, { limit: this.options.maxFiles ?? DEFAULT_MAX_FILES, signal: options.signal });
      this.walkTruncated = truncated;
      const wanted = files.filter((path) => !this.isExcluded(path));
      const present = new Set(wanted);
      const gone = [...this.files.catalog.keys()].filter((path) => !present.has(path));
      return this.sync(wanted, gone, options);
    });
  }

  /**
   * Re-indexes just these files (absolute or workspace-relative), e.g. after saves: changed ones are chunked again,
   * deleted ones removed, new ones added unless ignored.
   */
  updateFiles(paths: readonly string[], options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.exclusive(async () => {
      const catalog = this.files.catalog;
      const relativePaths = [...new Set(paths.map((p) => toWorkspaceRelative(this.root, p)))].filter((path) => !this.isExcluded(path));
      const existing: string[] = [];
      const gone: string[] = [];
      for (const path of relativePaths) {
        if ((await stat(join(this.root, path)).catch(() => undefined))?.isFile()) existing.push(path);
        else if (catalog.has(path)) gone.push(path);
      }
      const unknown = existing.filter((path) => !catalog.has(path));
      const allowed = unknown.length ? await notIgnored(this.root, unknown) : new Set<string>();
      return this.sync(existing.filter((path) => catalog.has(path) || allowed.has(path)), gone, options);
    });
  }

  /** Waits for a running update, then closes the record log. */
  async close(): Promise<void> {
    await this.exclusive(() => this.log.close());
  }

  /** Updates run one at a time: two walks interleaving would record the same files twice. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sync(paths: readonly string[], gone: readonly string[], options: UpdateOptions): Promise<UpdateResult> {
    const catalog = this.files.catalog;
    const changed: Pending[] = [];
    let unchanged = 0;
    for (let i = 0; i < paths.length; i += STAT_CONCURRENCY) {
      options.signal?.throwIfAborted();
      const batch = paths.slice(i, i + STAT_CONCURRENCY);
      const stats = await Promise.all(batch.map((path) => stat(join(this.root, path)).catch(() => undefined)));
      batch.forEach((path, j) => {
        const info = stats[j];
        if (!info) return;
        const known = catalog.get(path);
        // Size and mtime unchanged: the file is not read at all, as git does.
        if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) unchanged++;
        else changed.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      });
    }
    let indexed = 0;
    let skipped = 0;
    const byHash = new Map([...catalog].filter(([, entry]) => entry.chunkCount > 0).map(([path, entry]) => [entry.hash, path]));
    const chunked = this.chunkAhead(changed, byHash);
    try {
      for (let start = 0; start < changed.length; start += BATCH_FILES) {
        options.signal?.throwIfAborted();
        const batch = changed.slice(start, start + BATCH_FILES);
        const contents = await chunked.next();
        const prepared: Prepared[] = [];
        const touched: { record: FileRecord; replaces: boolean }[] = [];
        for (const [i, file] of batch.entries()) {
          const result = await this.prepare(file, contents[i]!, byHash);
          if ('touched' in result) {
            touched.push({ record: result.touched, replaces: true });
            unchanged++;
          } else {
            prepared.push(result);
          }
        }
        await this.embedBatch(prepared);
        for (const file of prepared) {
          await this.commit(file);
          indexed++;
          if (file.entry.skipped) skipped++;
        }
        await this.log.put([...touched, ...prepared.map((file) => ({ record: file.record ?? recordOf(file.path, file.entry, file.docs, file.vectors), replaces: file.replaces }))]);
        options.onProgress?.(start + batch.length, changed.length);
      }
    } finally {
      chunked.stop();
    }
    for (const path of gone) await this.remove(path);
    await this.log.sync(() => this.files.records());
    return { indexed, removed: gone.length, unchanged, skipped };
  }

  /**
   * The changed files' contents, a batch at a time. Many files go to the chunking workers; a few are chunked on this
   * thread, where a worker round trip would cost more than it saves.
   */
  private chunkAhead(changed: readonly Pending[], byHash: ReadonlyMap<string, string>): ChunkFeed {
    const maxBytes = this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const pool = changed.length >= POOL_MIN_FILES && this.options.chunkWorkers !== false && this.pool.available ? this.pool : undefined;
    return new ChunkFeed({
      batches: Math.ceil(changed.length / BATCH_FILES),
      filesOf: (batch) =>
        changed.slice(batch * BATCH_FILES, (batch + 1) * BATCH_FILES).map(({ path, size, mtimeMs }) => ({ path, size, mtimeMs, knownHash: this.files.catalog.get(path)?.hash })),
      here: async (files) => {
        const results: ChunkedContent[] = [];
        for (const file of files) results.push(await readAndChunk(this.root, file, maxBytes, this.parsers, (hash) => byHash.has(hash)));
        return results;
      },
      ...(pool ? { workers: { size: pool.size, chunk: (files: readonly FileToChunk[]) => pool.chunk(this.root, maxBytes, files) } } : {}),
    });
  }

  /**
   * Turns a changed file's content into what to index. A file whose content did not change (only its mtime) keeps
   * its chunks: the record to write is returned as `touched`. A file whose content another path already has (a
   * rename or copy) reuses that path's chunks and vectors.
   */
  private async prepare(file: Pending, content: ChunkedContent, byHash: ReadonlyMap<string, string>): Promise<Prepared | { touched: FileRecord }> {
    const catalog = this.files.catalog;
    const { language } = languageOf(file.path);
    const entry = { hash: content.hash, size: file.size, mtimeMs: file.mtimeMs, language, ...(content.kind === 'skipped' ? { skipped: content.reason } : {}) };
    const known = catalog.get(file.path);
    const replaces = known !== undefined;
    if (known?.hash === content.hash) {
      catalog.set(file.path, { ...entry, chunkCount: known.chunkCount });
      return { touched: this.files.recordFor(file.path, entry) };
    }
    if (content.kind === 'skipped') return { path: file.path, entry, docs: [], vectors: [], replaces };
    const twin = byHash.get(content.hash);
    // The twin may have changed earlier in this update; only its current content counts. Another extension would
    // chunk differently.
    const twinEntry = twin ? catalog.get(twin) : undefined;
    if (twin && twinEntry?.hash === content.hash && twinEntry.language === language) {
      const twinDocs = this.files.docsOf(twin);
      const docs = twinDocs.map((doc, i) => toDoc({ ...toChunk(doc), path: file.path }, docId(file.path, i)));
      return { path: file.path, entry, docs, replaces, ...(this.files.vectors ? { vectors: this.files.vectorsFor(twinDocs) } : {}) };
    }
    // Content left unchunked for a twin that has changed since: chunk it now (it may have changed too).
    if (content.kind === 'unchanged') return this.prepare(file, await readAndChunk(this.root, file, this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, this.parsers), new Map());
    if (content.syntaxError) this.warn(l10n.t('{0} was chunked by lines: {1}', file.path, content.syntaxError));
    const docs = content.chunks.map((chunk, i) => toDoc(chunk, docId(file.path, i)));
    return {
      path: file.path,
      entry,
      docs,
      replaces,
      ...(content.joinedTokens ? { joinedTokens: content.joinedTokens } : {}),
      ...(content.record && !this.files.vectors ? { record: content.record } : {}),
    };
  }

  private async embedBatch(files: Prepared[]): Promise<void> {
    const embedder = this.options.embedder;
    if (!embedder) return;
    const pending = files.filter((f) => !f.vectors);
    const texts = pending.flatMap((f) => f.docs.map((d) => d.body));
    const vectors: number[][] = [];
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      vectors.push(...(await embedChecked(embedder, texts.slice(i, i + EMBED_BATCH), l10n.t('Files indexed before the failure are kept; run the update again to resume.'))));
    }
    let next = 0;
    for (const file of pending) {
      file.vectors = vectors.slice(next, next + file.docs.length);
      next += file.docs.length;
    }
  }

  /** Swaps the file's documents in the search index; the caller then records it, which is what a restart trusts. */
  private async commit(file: Prepared): Promise<void> {
    const known = this.files.catalog.get(file.path);
    if (known) await this.files.removeFromIndex(file.path, known.chunkCount);
    for (let i = 0; i < file.docs.length; i += INSERT_SLICE_DOCS) {
      if (i > 0) await new Promise(setImmediate);
      await insertDocs(this.files.db, file.docs.slice(i, i + INSERT_SLICE_DOCS), file.joinedTokens?.slice(i, i + INSERT_SLICE_DOCS));
    }
    if (this.files.vectors) this.files.storeVectors(file.docs, file.vectors ?? []);
    this.files.catalog.set(file.path, { ...file.entry, chunkCount: file.docs.length });
  }

  private async remove(path: string): Promise<void> {
    const known = this.files.catalog.get(path);
    if (!known) return;
    await this.files.removeFromIndex(path, known.chunkCount);
    await this.log.delete(path);
    this.files.catalog.delete(path);
  }

  private isExcluded(path: string): boolean {
    return this.excludes.some((glob) => glob.match(path));
  }
}
