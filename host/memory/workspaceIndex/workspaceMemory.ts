import * as l10n from '@vscode/l10n';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemoryHit, MemoryIndexProgress, MemoryReindexResult } from '../../../protocol/rpc';
import type { Embedder } from '../../models/embedder';
import type { UpdateOptions, UpdateResult, WorkspaceIndex } from './workspaceIndex';

/** Watcher events arriving within this time are applied as one update: a branch switch touches many files at once. */
const FILES_CHANGED_DELAY_MS = 150;
/** Smaller updates (a save) finish before a progress bar would be seen, so they report none. */
const PROGRESS_MIN_PATHS = 100;
const SNIPPET_CHARS = 300;
const DEFAULT_LIMIT = 20;

export interface WorkspaceMemoryOptions {
  /** The workspace folder, when one is open. */
  readonly root: () => string | undefined;
  /** Where the workspace index is kept between runs. */
  readonly storageDir: () => string;
  /** Globs of files the editor hides (`files.exclude`), left out of the index as well; read when the index opens. */
  readonly hidden?: () => readonly string[];
  /** The embedding model for hybrid search, if one is configured; asked when the index opens. */
  readonly embedder?: () => Promise<Embedder | undefined>;
  /** Which embedding model `embedder` would open, without opening it, so that `refresh()` can tell it changed. */
  readonly embedderId?: () => string | undefined;
  readonly log: (message: string) => void;
}

/** The user cannot search yet: no folder is open, or it has nothing to index. */
export class MemoryUnavailableError extends Error {
  override readonly name = 'MemoryUnavailableError';
}

interface Opened {
  readonly index: WorkspaceIndex;
  /** The update that brought the stored index up to date as it opened. */
  readonly updated: UpdateResult;
}

/**
 * The workspace index over the host's lifetime: opened on first use, brought up to date on request and as files
 * change, searched for the user and for search_memory alike. Every full update reports its progress.
 */
export class WorkspaceMemory {
  private opened: Promise<Opened> | undefined;
  /** Stops the full update in progress; what it recorded so far stays, and the next update resumes from there. */
  private updates = new AbortController();
  /** The settings the open index was made with: hidden globs and embedding model. */
  private openedWith: string | undefined;
  private readonly listeners: ((progress: MemoryIndexProgress) => void)[] = [];
  private readonly changed = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: WorkspaceMemoryOptions) {}

  onProgress(listener: (progress: MemoryIndexProgress) => void): void {
    this.listeners.push(listener);
  }

  /** The open, up-to-date index; the first call opens it. */
  async index(): Promise<WorkspaceIndex> {
    return (await this.open()).index;
  }

  async search(query: string, limit = DEFAULT_LIMIT): Promise<MemoryHit[]> {
    const index = await this.index();
    if (index.stats().chunks === 0) {
      throw new MemoryUnavailableError(l10n.t('Nothing to search: {0} has no text files that .gitignore and .keelignore allow. Add files, then run {1}.', index.root, '"Keel: Reindex Workspace"'));
    }
    const hits = await index.search(query, { limit });
    // Chunk text is redacted as it is indexed, so the snippet needs no second pass.
    return hits.map(({ text, ...hit }) => ({ ...hit, snippet: text.trim().slice(0, SNIPPET_CHARS) }));
  }

  /** Walks the whole workspace and indexes what changed; when this opens the index, opening is that walk. */
  async reindex(): Promise<MemoryReindexResult> {
    const started = Date.now();
    const wasOpen = this.opened !== undefined;
    const { index, updated } = await this.open();
    const { indexed, removed, unchanged } = wasOpen ? await this.track((options) => index.update(options)) : updated;
    const { files, chunks } = index.stats();
    return { indexed, removed, unchanged, files, chunks, durationMs: Date.now() - started };
  }

  /**
   * Workspace-relative paths that changed, were created or were deleted. Ignored until the index has been opened:
   * opening walks the workspace and catches up then.
   */
  filesChanged(paths: readonly string[]): void {
    if (!this.opened) return;
    // Paths come from the extension; one outside the folder would fail the whole update.
    for (const path of paths) if (!path.startsWith('/') && !path.split(/[\\/]/).includes('..')) this.changed.add(path);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, FILES_CHANGED_DELAY_MS);
  }

  /**
   * Reopens the index when the settings it was opened with (hidden files, the embedding model) have changed: the
   * folder is walked again, newly hidden files leave the index, and a new embedding model re-embeds every chunk.
   * Requests meanwhile wait for the reopened index.
   */
  async refresh(): Promise<void> {
    const previous = this.opened;
    const root = this.options.root();
    if (!previous || !root || this.openedWith === this.settings()) return;
    this.options.log('workspace index: hidden files or the embedding model changed; reopening the index');
    this.stopUpdates('Indexing stopped: hidden files or the embedding model changed, and the index is reopening with the new settings.');
    const reopened = previous.catch(() => undefined).then(async (old) => {
      await old?.index.close();
      return this.openIndex(root);
    });
    this.remember(reopened);
    await reopened.catch((error: unknown) => this.options.log(`workspace index not reopened (the next search retries): ${(error as Error).message}`));
  }

  async dispose(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.stopUpdates('Indexing stopped: the agent host is shutting down.');
    await (await this.opened?.catch(() => undefined))?.index.close();
  }

  private async flush(): Promise<void> {
    const paths = [...this.changed];
    this.changed.clear();
    const opened = this.opened;
    if (paths.length === 0 || !opened) return;
    try {
      const { index } = await opened;
      // A watcher reports a deleted or renamed folder as one path, not as the files in it; only a walk finds those.
      const walk = (await Promise.all(paths.map((path) => stat(join(index.root, path)).then((info) => !info.isFile(), () => true)))).some(Boolean);
      const update = walk ? (options: UpdateOptions) => index.update(options) : (options: UpdateOptions) => index.updateFiles(paths, options);
      const { indexed, removed } = await (walk || paths.length >= PROGRESS_MIN_PATHS ? this.track(update) : update({}));
      this.options.log(`workspace index: ${paths.length} changed paths${walk ? ' (walked the folder)' : ''}, ${indexed} files indexed, ${removed} removed`);
    } catch (error) {
      this.options.log(`workspace index: changed files not indexed (Keel: Reindex Workspace retries them): ${(error as Error).message}`);
    }
  }

  private open(): Promise<Opened> {
    const root = this.options.root();
    if (!root) return Promise.reject(new MemoryUnavailableError(l10n.t("No folder is open, so there is no workspace index: open a folder (File > Open Folder…) to use Keel's memory.")));
    if (!this.opened) this.remember(this.openIndex(root));
    return this.opened!;
  }

  private openIndex(root: string): Promise<Opened> {
    return this.track(async (options) => {
      // Loaded on first use: the index code (tree-sitter, Orama) is not needed to start the host.
      const { openWorkspaceIndex } = await import('./openWorkspaceIndex');
      const embedder = await this.options.embedder?.().catch((error: unknown) => {
        // Search still works on words alone; the next open tries the model again.
        this.options.log(`workspace index: no vectors this time, the embedding model failed: ${(error as Error).message}`);
        return undefined;
      });
      return openWorkspaceIndex(root, this.options.storageDir(), this.options.log, options, { hidden: this.options.hidden?.() ?? [], embedder });
    });
  }

  private remember(opened: Promise<Opened>): void {
    this.opened = opened;
    this.openedWith = this.settings();
    // A failed open is retried on the next use rather than cached.
    opened.catch(() => {
      if (this.opened === opened) this.opened = undefined;
    });
  }

  private settings(): string {
    return JSON.stringify([this.options.hidden?.() ?? [], this.options.embedderId?.() ?? null]);
  }

  private stopUpdates(reason: string): void {
    this.updates.abort(new Error(reason));
    this.updates = new AbortController();
  }

  /**
   * Runs a full update, reporting scanning, then files indexed so far, then done or failed. An update stopped on
   * purpose reports nothing more: the index reopening reports its own progress, and a host shutting down none.
   */
  private async track<T>(update: (options: UpdateOptions) => Promise<T>): Promise<T> {
    const signal = this.updates.signal;
    let done = 0;
    let total = 0;
    this.report({ phase: 'scanning', done, total });
    try {
      const result = await update({
        signal,
        onProgress: (d, t) => {
          [done, total] = [d, t];
          this.report({ phase: 'indexing', done, total });
        },
      });
      this.report({ phase: 'done', done, total });
      return result;
    } catch (error) {
      if (!signal.aborted) this.report({ phase: 'failed', done, total, message: (error as Error).message });
      throw error;
    }
  }

  private report(progress: MemoryIndexProgress): void {
    for (const listener of this.listeners) listener(progress);
  }
}
