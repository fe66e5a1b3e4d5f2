import * as l10n from '@vscode/l10n';
import { minimatch } from 'minimatch';
import { embedChecked, type Embedder } from '../../models/embedder';
import { fuseRankings, type Scored } from '../ranking/hybridRanking';
import { docById, rankLexically, toChunk, type LexicalQuery, type SearchHit } from './chunkDb';
import type { IndexedFiles } from './indexedFiles';
import { parseQuery } from './query';
import type { SearchOptions } from './indexOptions';

const MAX_LIMIT = 100;
/** Hybrid search fuses this many candidates from each side per result asked for (at least HYBRID_MIN_POOL). */
const HYBRID_POOL_FACTOR = 4;
const HYBRID_MIN_POOL = 40;

/** Answers a workspace index's queries: BM25 over code-aware tokens, fused with vector similarity given an embedder. */
export class IndexSearcher {
  constructor(
    private readonly root: string,
    private readonly files: IndexedFiles,
    private readonly embedder: Embedder | undefined,
  ) {}

  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const parsed = parseQuery(query);
    const mode = options.mode ?? (this.embedder ? 'hybrid' : 'bm25');
    if (mode === 'hybrid' && !this.embedder) throw new Error(l10n.t('Hybrid search needs an embedder, and this index has none: search with mode {0}, or configure an embedding model.', '"bm25"'));
    if (!this.files.hasChunks()) {
      throw new Error(l10n.t('The workspace index is empty: run {0} ({1}) first. If it stays empty, {2} has no text files that .gitignore and .keelignore allow.', '"Keel: Reindex"', 'WorkspaceIndex.update', this.root));
    }
    let paths: string[] | undefined;
    if (parsed.pathGlob) {
      const glob = parsed.pathGlob;
      paths = [...this.files.catalog].filter(([path, entry]) => entry.chunkCount > 0 && minimatch(path, glob, { dot: true })).map(([path]) => path);
      if (paths.length === 0) throw new Error(l10n.t('No indexed file matches {0}. Globs are relative to the workspace root; use ** for any folders, e.g. {1}.', `path:${glob}`, `path:**/${glob}`));
    }
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(options.limit ?? 10)));
    const filter = { ...(paths ? { paths } : {}), ...(parsed.language ? { language: parsed.language } : {}) };
    const ranked = mode === 'bm25' ? await rankLexically(this.files.db, { term: parsed.text, limit, ...filter }) : await this.rankHybrid({ term: parsed.text, limit, ...filter });
    // An update running meanwhile may have replaced a ranked chunk: it is left out rather than shown stale.
    return ranked.flatMap(({ id, score }) => {
      const doc = docById(this.files.db, id);
      return doc ? [{ ...toChunk(doc), score }] : [];
    });
  }

  /** BM25 and vector candidates (a pool of several per result asked for), fused. */
  private async rankHybrid(query: LexicalQuery): Promise<Scored[]> {
    const pool = Math.max(HYBRID_MIN_POOL, query.limit * HYBRID_POOL_FACTOR);
    const [vector] = await embedChecked(this.embedder!, [query.term], l10n.t('Search with mode {0} until the embedding model is reachable.', '"bm25"'));
    const paths = query.paths ? new Set(query.paths) : undefined;
    const semantic = this.files.vectors!.nearest(vector!, pool, (tags) => (!paths || paths.has(tags.path)) && (!query.language || tags.language === query.language));
    const lexical = await rankLexically(this.files.db, { ...query, limit: pool });
    return fuseRankings(lexical, semantic.map(({ id, similarity }) => ({ id, score: similarity })), query.limit);
  }
}
