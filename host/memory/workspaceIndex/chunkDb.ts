import { create, getByID, insertMultiple, removeMultiple, search, type Orama, type Tokenizer } from '@orama/orama';
import type { Chunk } from './chunking/chunk';
import { createCodeTokenizer, type CodeTokenizer } from '../ranking/codeTokenizer';
import type { Scored } from '../ranking/hybridRanking';
import { BM25_RELEVANCE, wholeTokenIndex } from '../ranking/wholeTokenIndex';

/**
 * A chunk whose symbol (function, class, method name) has the query's words ranks higher: the name is what its
 * author chose to say what the code does. The symbol's few tokens score high in BM25 on their own (term frequency
 * is 1 / length), so a small weight is enough; on CoSQA, weights from 0.1 to 0.3 gave MRR@10 0.336–0.337 (0.307
 * without), and 0.5 or more let names outweigh bodies and ranked worse.
 */
const SYMBOL_BOOST = 0.2;

/**
 * A chunk as stored in Orama. `body` is what is searched: a header line (path and symbol), then the chunk's text;
 * `symbol` is searched too, with a small boost.
 */
export interface ChunkDoc {
  readonly id: string;
  readonly path: string;
  readonly language: string;
  readonly body: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol?: string;
}

export interface SearchHit extends Chunk {
  readonly score: number;
}

export interface LexicalQuery {
  readonly term: string;
  readonly limit: number;
  /** Only chunks of these paths. */
  readonly paths?: readonly string[];
  readonly language?: string;
}

const SCHEMA = { path: 'enum', language: 'enum', body: 'string', symbol: 'string' } as const;

export type ChunkDb = Orama<typeof SCHEMA>;

/** An empty chunk database with whole-token BM25; `tokenizer` defaults to Keel's code-aware one. */
export function createChunkDb(tokenizer: Tokenizer = createCodeTokenizer()): ChunkDb {
  return create({ schema: SCHEMA, components: { tokenizer, index: wholeTokenIndex } });
}

export function toDoc(chunk: Chunk, id: string): ChunkDoc {
  const header = chunk.symbol ? `${chunk.path} ${chunk.symbol}` : chunk.path;
  return {
    id,
    path: chunk.path,
    language: chunk.language,
    body: `${header}\n${chunk.text}`,
    startLine: chunk.startLine,
    endLine: chunk.endLine,
    ...(chunk.symbol !== undefined ? { symbol: chunk.symbol } : {}),
  };
}

/** The chunk a document was made from. */
export function toChunk(doc: ChunkDoc): Chunk {
  return {
    path: doc.path,
    startLine: doc.startLine,
    endLine: doc.endLine,
    ...(doc.symbol !== undefined ? { symbol: doc.symbol } : {}),
    language: doc.language,
    text: doc.body.slice(doc.body.indexOf('\n') + 1),
  };
}

/** Inserts documents; `joinedTokens`, one per document from `joinedSearchTokens(doc.body)`, saves tokenizing them here. */
export async function insertDocs(db: ChunkDb, docs: readonly ChunkDoc[], joinedTokens?: readonly string[]): Promise<void> {
  if (!docs.length) return;
  const tokenizer = db.tokenizer as Partial<CodeTokenizer>;
  if (joinedTokens && tokenizer.expect) tokenizer.expect(docs.map((doc) => doc.body), joinedTokens);
  try {
    // Orama stores the objects it is given; ChunkDoc's extra fields ride along unindexed.
    await insertMultiple(db, docs as unknown as Parameters<typeof insertMultiple<ChunkDb>>[1], 1000);
  } finally {
    tokenizer.expect?.([], []);
  }
}

export async function removeDocs(db: ChunkDb, ids: readonly string[]): Promise<void> {
  if (ids.length) await removeMultiple(db, [...ids], 1000);
}

export function docById(db: ChunkDb, id: string): ChunkDoc | undefined {
  return getByID(db, id) as ChunkDoc | undefined;
}

/** Document ids and BM25 scores, best first. */
export async function rankLexically(db: ChunkDb, query: LexicalQuery): Promise<Scored[]> {
  const where = {
    ...(query.paths ? { path: { in: [...query.paths] } } : {}),
    ...(query.language ? { language: { eq: query.language } } : {}),
  };
  const result = await search(db, {
    term: query.term,
    properties: ['body', 'symbol'],
    boost: { symbol: SYMBOL_BOOST },
    limit: query.limit,
    relevance: BM25_RELEVANCE,
    ...(query.paths || query.language ? { where } : {}),
  });
  return result.hits.map(({ id, score }) => ({ id, score }));
}
