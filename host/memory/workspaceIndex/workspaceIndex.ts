import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Minimatch, minimatch } from 'minimatch';
import { walkWorkspace } from '../../workspace/fileWalk';
import { ChunkFeed } from './chunking/chunkFeed';
import { sharedChunkPool, type ChunkPool } from './chunking/chunkPool';
import { createChunkDb, docById, insertDocs, rankLexically, removeDocs, toChunk, toDoc, type ChunkDb, type ChunkDoc, type LexicalQuery, type SearchHit } from './chunkDb';
import { embedChecked, type Embedder } from '../../models/embedder';
import { docId, docsOf, entryOf, recordOf, vectorsOf, type FileEntry } from './fileRecords';
import { fuseRankings, type Scored } from '../ranking/hybridRanking';
import { readAndChunk, type ChunkedContent, type FileToChunk } from './chunking/fileChunks';
import { languageOf } from './chunking/languages';
import { parseQuery } from './query';
import { RecordLog, type EncodedRecord, type FileRecord } from './recordLog';
import { defaultWasmDir, sharedSyntaxParsers, type SyntaxParsers } from './chunking/treeSitter';
import { VectorStore } from '../ranking/vectorStore';
import { notIgnored, toWorkspaceRelative } from './workspacePaths';

/** Bump when chunking changes, so stored records are rebuilt rather than mixed with new ones. */
const CHUNKER_VERSION = 1;
const LOG_FORMAT = 1;

/** Lock files, minified bundles and source maps: large, generated, and never what a question is about. */
export const DEFAULT_EXCLUDES: readonly string[] = ['**/package-lock.json', '**/yarn.lock', '**/pnpm-lock.yaml', '**/*.min.js', '**/*.min.css', '**/*.map'];
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
const MAX_LIMIT = 100;
/** Hybrid search fuses this many candidates from each side per result asked for (at least HYBRID_MIN_POOL). */
const HYBRID_POOL_FACTOR = 4;
const HYBRID_MIN_POOL = 40;

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
 * Semantic memory of a workspace: its files as symbol-aware chunks in an Orama index (BM25 with code-aware
 * tokens, plus vectors with an embedder), kept up to date incrementally and persisted as per-file records so a
 * restart or a crash costs only the files not yet recorded.
 */
export class WorkspaceIndex {
  private readonly catalog = new Map<string, FileEntry>();
  private readonly vectors: VectorStore | undefined;
  private readonly parsers: SyntaxParsers;
  private readonly pool: ChunkPool;
  private readonly excludes: Minimatch[];
  private readonly warnings: string[] = [];
  private truncated = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly root: string,
    private readonly log: RecordLog,
    private readonly db: ChunkDb,
    private readonly options: WorkspaceIndexOptions,
  ) {
    const wasmDir = options.wasmDir ?? defaultWasmDir();
    this.parsers = sharedSyntaxParsers(wasmDir);
    this.pool = sharedChunkPool(wasmDir);
    this.excludes = (options.exclude ?? DEFAULT_EXCLUDES).map((glob) => new Minimatch(glob, { dot: true }));
    this.vectors = options.embedder ? new VectorStore(options.embedder.dimensions) : undefined;
  }

  /** Loads the records in `storageDir` (created if missing) and rebuilds the search index from them. */
  static async open(root: string, storageDir: string, options: WorkspaceIndexOptions = {}): Promise<WorkspaceIndex> {
    const embedder = options.embedder;
    const { log, records, reset } = await RecordLog.open(storageDir, {
      format: LOG_FORMAT,
      chunker: CHUNKER_VERSION,
      embedder: embedder ? `${embedder.id}/${embedder.dimensions}` : null,
    });
    const index = new WorkspaceIndex(root, log, createChunkDb(), options);
    if (reset) index.warnings.push(`The stored index was rebuilt: ${reset}.`);
    const docs: ChunkDoc[] = [];
    for (const record of records.values()) {
      const vectors = index.vectors ? vectorsOf(record, index.vectors.dimensions) : undefined;
      // A record that should have vectors and has none is treated as missing: the next update indexes the file.
      if (index.vectors && record.chunks.length > 0 && vectors?.length !== record.chunks.length) continue;
      index.catalog.set(record.path, entryOf(record));
      const fileDocs = docsOf(record);
      for (const doc of fileDocs) docs.push(doc);
      if (vectors) index.storeVectors(fileDocs, vectors);
    }
    await index.insertRecorded(docs);
    return index;
  }

  /**
   * Inserts the documents of the recorded files. Tokenizing is about half of it, so for many documents the chunking
   * workers tokenize the next batches while this thread inserts the current one, in the same order as one insert.
   */
  private async insertRecorded(docs: readonly ChunkDoc[]): Promise<void> {
    if (docs.length < REBUILD_BATCH_DOCS * 2 || this.options.chunkWorkers === false || !this.pool.available) return insertDocs(this.db, docs);
    const batches: ChunkDoc[][] = [];
    for (let i = 0; i < docs.length; i += REBUILD_BATCH_DOCS) batches.push(docs.slice(i, i + REBUILD_BATCH_DOCS));
    const ahead = this.pool.size * REBUILD_BATCHES_PER_WORKER;
    const tokens: Promise<string[] | undefined>[] = [];
    const request = (i: number) => this.pool.tokenize(batches[i]!.map((doc) => doc.body)).catch(() => undefined);
    for (let i = 0; i < batches.length; i++) {
      while (tokens.length < batches.length && tokens.length <= i + ahead) tokens.push(request(tokens.length));
      // Without a worker's tokens (it failed), the batch is tokenized here.
      await insertDocs(this.db, batches[i]!, await tokens[i]);
    }
  }

  /** Walks the workspace (honouring .gitignore and .keelignore) and indexes what changed since the last update. */
  update(options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.exclusive(async () => {
      const { files, truncated } = await walkWorkspace(this.root, { limit: this.options.maxFiles ?? DEFAULT_MAX_FILES, signal: options.signal });
      this.truncated = truncated;
      const wanted = files.filter((path) => !this.isExcluded(path));
      const present = new Set(wanted);
      const gone = [...this.catalog.keys()].filter((path) => !present.has(path));
      return this.sync(wanted, gone, options);
    });
  }

  /**
   * Re-indexes just these files (absolute or workspace-relative), e.g. after saves: changed ones are chunked again,
   * deleted ones removed, new ones added unless ignored.
   */
  updateFiles(paths: readonly string[], options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.exclusive(async () => {
      const relativePaths = [...new Set(paths.map((p) => toWorkspaceRelative(this.root, p)))].filter((path) => !this.isExcluded(path));
      const existing: string[] = [];
      const gone: string[] = [];
      for (const path of relativePaths) {
        if ((await stat(join(this.root, path)).catch(() => undefined))?.isFile()) existing.push(path);
        else if (this.catalog.has(path)) gone.push(path);
      }
      const unknown = existing.filter((path) => !this.catalog.has(path));
      const allowed = unknown.length ? await notIgnored(this.root, unknown) : new Set<string>();
      return this.sync(existing.filter((path) => this.catalog.has(path) || allowed.has(path)), gone, options);
    });
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const parsed = parseQuery(query);
    const mode = options.mode ?? (this.options.embedder ? 'hybrid' : 'bm25');
    if (mode === 'hybrid' && !this.options.embedder) throw new Error('Hybrid search needs an embedder, and this index has none: search with mode "bm25", or configure an embedding model.');
    if (!this.hasChunks()) {
      throw new Error(`The workspace index is empty: run "Keel: Reindex" (WorkspaceIndex.update) first. If it stays empty, ${this.root} has no text files that .gitignore and .keelignore allow.`);
    }
    let paths: string[] | undefined;
    if (parsed.pathGlob) {
      const glob = parsed.pathGlob;
      paths = [...this.catalog].filter(([path, entry]) => entry.chunkCount > 0 && minimatch(path, glob, { dot: true })).map(([path]) => path);
      if (paths.length === 0) throw new Error(`No indexed file matches path:${glob}. Globs are relative to the workspace root; use ** for any folders, e.g. path:**/${glob}.`);
    }
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(options.limit ?? 10)));
    const filter = { ...(paths ? { paths } : {}), ...(parsed.language ? { language: parsed.language } : {}) };
    const ranked = mode === 'bm25' ? await rankLexically(this.db, { term: parsed.text, limit, ...filter }) : await this.rankHybrid({ term: parsed.text, limit, ...filter });
    // An update running meanwhile may have replaced a ranked chunk: it is left out rather than shown stale.
    return ranked.flatMap(({ id, score }) => {
      const doc = docById(this.db, id);
      return doc ? [{ ...toChunk(doc), score }] : [];
    });
  }

  /** BM25 and vector candidates (a pool of several per result asked for), fused. */
  private async rankHybrid(query: LexicalQuery): Promise<Scored[]> {
    const pool = Math.max(HYBRID_MIN_POOL, query.limit * HYBRID_POOL_FACTOR);
    const [vector] = await embedChecked(this.options.embedder!, [query.term], 'Search with mode "bm25" until the embedding model is reachable.');
    const paths = query.paths ? new Set(query.paths) : undefined;
    const semantic = this.vectors!.nearest(vector!, pool, (tags) => (!paths || paths.has(tags.path)) && (!query.language || tags.language === query.language));
    const lexical = await rankLexically(this.db, { ...query, limit: pool });
    return fuseRankings(lexical, semantic.map(({ id, similarity }) => ({ id, score: similarity })), query.limit);
  }

  stats(): IndexStats {
    let chunks = 0;
    let skippedFiles = 0;
    for (const entry of this.catalog.values()) {
      chunks += entry.chunkCount;
      if (entry.skipped) skippedFiles++;
    }
    const embedder = this.options.embedder;
    return {
      files: this.catalog.size - skippedFiles,
      chunks,
      skippedFiles,
      ...(embedder ? { embedder: embedder.id } : {}),
      truncated: this.truncated,
      warnings: [...this.warnings],
    };
  }

  /** Whether anything is indexed: stats() would total the whole catalog, milliseconds per search in a large workspace. */
  private hasChunks(): boolean {
    for (const entry of this.catalog.values()) if (entry.chunkCount > 0) return true;
    return false;
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
    const changed: Pending[] = [];
    let unchanged = 0;
    for (let i = 0; i < paths.length; i += STAT_CONCURRENCY) {
      options.signal?.throwIfAborted();
      const batch = paths.slice(i, i + STAT_CONCURRENCY);
      const stats = await Promise.all(batch.map((path) => stat(join(this.root, path)).catch(() => undefined)));
      batch.forEach((path, j) => {
        const info = stats[j];
        if (!info) return;
        const known = this.catalog.get(path);
        // Size and mtime unchanged: the file is not read at all, as git does.
        if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) unchanged++;
        else changed.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      });
    }
    let indexed = 0;
    let skipped = 0;
    const byHash = new Map([...this.catalog].filter(([, entry]) => entry.chunkCount > 0).map(([path, entry]) => [entry.hash, path]));
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
    await this.log.sync(() => this.currentRecords());
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
        changed.slice(batch * BATCH_FILES, (batch + 1) * BATCH_FILES).map(({ path, size, mtimeMs }) => ({ path, size, mtimeMs, knownHash: this.catalog.get(path)?.hash })),
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
    const { language } = languageOf(file.path);
    const entry = { hash: content.hash, size: file.size, mtimeMs: file.mtimeMs, language, ...(content.kind === 'skipped' ? { skipped: content.reason } : {}) };
    const known = this.catalog.get(file.path);
    const replaces = known !== undefined;
    if (known?.hash === content.hash) {
      this.catalog.set(file.path, { ...entry, chunkCount: known.chunkCount });
      return { touched: this.recordFor(file.path, entry) };
    }
    if (content.kind === 'skipped') return { path: file.path, entry, docs: [], vectors: [], replaces };
    const twin = byHash.get(content.hash);
    // The twin may have changed earlier in this update; only its current content counts. Another extension would
    // chunk differently.
    const twinEntry = twin ? this.catalog.get(twin) : undefined;
    if (twin && twinEntry?.hash === content.hash && twinEntry.language === language) {
      const twinDocs = this.docsOf(twin);
      const docs = twinDocs.map((doc, i) => toDoc({ ...toChunk(doc), path: file.path }, docId(file.path, i)));
      return { path: file.path, entry, docs, replaces, ...(this.vectors ? { vectors: this.vectorsFor(twinDocs) } : {}) };
    }
    // Content left unchunked for a twin that has changed since: chunk it now (it may have changed too).
    if (content.kind === 'unchanged') return this.prepare(file, await readAndChunk(this.root, file, this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, this.parsers), new Map());
    if (content.syntaxError) this.warn(`${file.path} was chunked by lines: ${content.syntaxError}`);
    const docs = content.chunks.map((chunk, i) => toDoc(chunk, docId(file.path, i)));
    return {
      path: file.path,
      entry,
      docs,
      replaces,
      ...(content.joinedTokens ? { joinedTokens: content.joinedTokens } : {}),
      ...(content.record && !this.vectors ? { record: content.record } : {}),
    };
  }

  private async embedBatch(files: Prepared[]): Promise<void> {
    const embedder = this.options.embedder;
    if (!embedder) return;
    const pending = files.filter((f) => !f.vectors);
    const texts = pending.flatMap((f) => f.docs.map((d) => d.body));
    const vectors: number[][] = [];
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      vectors.push(...(await embedChecked(embedder, texts.slice(i, i + EMBED_BATCH), 'Files indexed before the failure are kept; run the update again to resume.')));
    }
    let next = 0;
    for (const file of pending) {
      file.vectors = vectors.slice(next, next + file.docs.length);
      next += file.docs.length;
    }
  }

  /** Swaps the file's documents in the search index; the caller then records it, which is what a restart trusts. */
  private async commit(file: Prepared): Promise<void> {
    const known = this.catalog.get(file.path);
    if (known) await this.removeFromIndex(file.path, known.chunkCount);
    for (let i = 0; i < file.docs.length; i += INSERT_SLICE_DOCS) {
      if (i > 0) await new Promise(setImmediate);
      await insertDocs(this.db, file.docs.slice(i, i + INSERT_SLICE_DOCS), file.joinedTokens?.slice(i, i + INSERT_SLICE_DOCS));
    }
    if (this.vectors) this.storeVectors(file.docs, file.vectors ?? []);
    this.catalog.set(file.path, { ...file.entry, chunkCount: file.docs.length });
  }

  private async remove(path: string): Promise<void> {
    const known = this.catalog.get(path);
    if (!known) return;
    await this.removeFromIndex(path, known.chunkCount);
    await this.log.delete(path);
    this.catalog.delete(path);
  }

  private async removeFromIndex(path: string, chunkCount: number): Promise<void> {
    const ids = idsOf(path, chunkCount);
    await removeDocs(this.db, ids);
    for (const id of ids) this.vectors?.delete(id);
  }

  private storeVectors(docs: readonly ChunkDoc[], vectors: readonly ArrayLike<number>[]): void {
    docs.forEach((doc, i) => this.vectors!.set(doc.id, vectors[i]!, doc));
  }

  private docsOf(path: string): ChunkDoc[] {
    return idsOf(path, this.catalog.get(path)?.chunkCount ?? 0).map((id) => docById(this.db, id)!);
  }

  /** Copies, since the store reuses its memory as vectors come and go. */
  private vectorsFor(docs: readonly ChunkDoc[]): Float32Array[] {
    return docs.map((doc) => Float32Array.from(this.vectors!.get(doc.id) ?? []));
  }

  private recordFor(path: string, entry: Omit<FileEntry, 'chunkCount'>): FileRecord {
    const docs = this.docsOf(path);
    return recordOf(path, entry, docs, this.vectors ? this.vectorsFor(docs) : undefined);
  }

  private *currentRecords(): Iterable<FileRecord> {
    for (const [path, entry] of this.catalog) yield this.recordFor(path, entry);
  }

  private isExcluded(path: string): boolean {
    return this.excludes.some((glob) => glob.match(path));
  }

  private warn(message: string): void {
    // Keep the latest few: enough to diagnose, bounded for a long-running host.
    this.warnings.push(message);
    if (this.warnings.length > 20) this.warnings.shift();
  }
}

function idsOf(path: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => docId(path, i));
}
