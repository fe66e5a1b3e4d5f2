/**
 * Memory area: indexing throughput against raw Orama, incremental re-indexing, query latency, cold start from the
 * record log (and from Orama's own snapshot, for comparison), and retrieval quality on the CoSQA dev split.
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { components, create, insertMultiple, load, save, search } from '@orama/orama';
import { WorkspaceIndex, type SearchHit } from '../host/memory';
import { chunkFile } from '../host/memory/workspaceIndex/chunking/chunker';
import { sharedChunkPool } from '../host/memory/workspaceIndex/chunking/chunkPool';
import { createChunkDb, docById, insertDocs, rankLexically, toDoc, type ChunkDb, type ChunkDoc } from '../host/memory/workspaceIndex/chunkDb';
import { codeTokens } from '../host/memory/ranking/codeTokenizer';
import { BM25_RELEVANCE } from '../host/memory/ranking/wholeTokenIndex';
import { docsOf } from '../host/memory/workspaceIndex/fileRecords';
import { readRecords } from '../host/memory/workspaceIndex/recordLog';
import { defaultWasmDir, SyntaxParsers } from '../host/memory/workspaceIndex/chunking/treeSitter';
import { walkWorkspace } from '../host/workspace/fileWalk';
import { HashEmbedder } from '../test/memory/hashEmbedder';
import { tempDir } from '../test/unit/helpers';
import { median, percentile, round, type Metric } from './report';

const NODE_MODULES = join(__dirname, '..', 'node_modules');
const COSQA = join(__dirname, '..', '..', 'shared', 'data', 'cosqa');
/** Files of node_modules in the speed corpus: enough for ≥ 50k chunks, few enough for the bench to take minutes. */
const CORPUS_FILES = 15_000;
/** The throughput ratio on the whole corpus: interleaved rounds (each a fresh index and a fresh raw Orama db). */
const FULL_RATIO_ROUNDS = 3;
/** Its variants (no workers, cold workers, other tokenizers) on a subset, where more rounds fit. */
const RATIO_FILES = 2_000;
const RATIO_ROUNDS = 5;
const INCREMENTAL_EDITS = 20;
const LATENCY_QUERIES = 200;

export async function benchMemory(): Promise<{ metrics: Record<string, Metric>; notes: string }> {
  const scratch = await tempDir('keel-bench-memory-');
  const loadAtStart = loadavg()[0]!;
  try {
    const corpus = await copyCorpus(join(scratch, 'corpus'), CORPUS_FILES);
    const full = await fullCorpusRatio(corpus.root);
    const ratio = await throughputRatio(join(scratch, 'ratio'), corpus.files.slice(0, RATIO_FILES));
    const speed = await indexAndQuery(corpus.root, join(scratch, 'store'), corpus.files);
    const alone = indexInOwnProcess(corpus.root, join(scratch, 'store-alone'));
    const hybrid = await hybridLatency(corpus.root, join(scratch, 'store-hybrid'), speed.queries);
    const cosqa = await cosqaQuality(join(scratch, 'cosqa'));
    const metrics: Record<string, Metric> = {
      index_files: { value: speed.files, unit: 'files' },
      index_chunks: { value: speed.chunks, unit: 'chunks' },
      index_seconds: { value: round(speed.indexMs / 1000, 2), unit: 's', lowerIsBetter: true },
      index_event_loop_delay_p99_ms: { value: round(speed.eventLoopDelay.p99, 1), unit: 'ms', lowerIsBetter: true },
      index_event_loop_delay_max_ms: { value: round(speed.eventLoopDelay.max, 1), unit: 'ms', lowerIsBetter: true },
      index_throughput_ratio_vs_raw_orama: { value: round(full.ratio, 3), unit: 'ratio' },
      keel_index_chunks_per_s: { value: Math.round(full.keelPerSecond), unit: 'chunks/s' },
      raw_orama_insert_chunks_per_s: { value: Math.round(full.rawPerSecond), unit: 'chunks/s' },
      index_throughput_ratio_vs_raw_orama_2000_files: { value: round(ratio.vsSameTokenizer, 3), unit: 'ratio' },
      index_throughput_ratio_vs_raw_orama_default_tokenizer_2000_files: { value: round(ratio.vsDefaultTokenizer, 3), unit: 'ratio' },
      index_throughput_ratio_vs_raw_orama_unstemmed_tokenizer_2000_files: { value: round(ratio.vsUnstemmedTokenizer, 3), unit: 'ratio' },
      index_throughput_ratio_vs_raw_orama_cold_workers_2000_files: { value: round(ratio.coldWorkers, 3), unit: 'ratio' },
      index_throughput_ratio_vs_raw_orama_no_workers_2000_files: { value: round(ratio.noWorkers, 3), unit: 'ratio' },
      chunk_workers: { value: ratio.workers, unit: 'threads' },
      incremental_reindex_ms: { value: round(speed.incrementalMs, 2), unit: 'ms', lowerIsBetter: true },
      noop_update_ms: { value: round(speed.noopUpdateMs, 1), unit: 'ms', lowerIsBetter: true },
      bm25_query_p50_ms: { value: round(median(speed.latencies), 2), unit: 'ms', lowerIsBetter: true },
      bm25_query_p95_ms: { value: round(percentile(speed.latencies, 95), 2), unit: 'ms', lowerIsBetter: true },
      hybrid_query_p50_ms: { value: round(median(hybrid.latencies), 2), unit: 'ms', lowerIsBetter: true },
      hybrid_query_p95_ms: { value: round(percentile(hybrid.latencies, 95), 2), unit: 'ms', lowerIsBetter: true },
      query_corpus_chunks: { value: speed.chunks, unit: 'chunks' },
      hybrid_corpus_chunks: { value: hybrid.chunks, unit: 'chunks' },
      cold_start_ms: { value: Math.round(speed.coldStartMs), unit: 'ms', lowerIsBetter: true },
      cold_start_orama_snapshot_ms: { value: Math.round(speed.snapshot.restoreMs), unit: 'ms', lowerIsBetter: true },
      record_log_mb: { value: round(speed.snapshot.recordsBytes / 2 ** 20, 1), unit: 'MB', lowerIsBetter: true },
      orama_snapshot_mb: { value: round(speed.snapshot.snapshotBytes / 2 ** 20, 1), unit: 'MB', lowerIsBetter: true },
      peak_rss_mb: { value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB', lowerIsBetter: true },
      index_process_peak_rss_mb: { value: Math.round(alone.peakRssMb), unit: 'MB', lowerIsBetter: true },
      index_process_rss_after_mb: { value: Math.round(alone.rssAfterMb), unit: 'MB', lowerIsBetter: true },
      cosqa_dev_mrr10: { value: round(cosqa.keel.mrr, 4), unit: 'MRR@10' },
      cosqa_dev_recall10: { value: round(cosqa.keel.recall, 4), unit: 'recall@10' },
      cosqa_dev_mrr10_unstemmed: { value: round(cosqa.unstemmed.mrr, 4), unit: 'MRR@10' },
      cosqa_dev_mrr10_body_only: { value: round(cosqa.bodyOnly.mrr, 4), unit: 'MRR@10' },
      cosqa_dev_mrr10_plain_bm25: { value: round(cosqa.plain.mrr, 4), unit: 'MRR@10' },
      cosqa_dev_recall10_plain_bm25: { value: round(cosqa.plain.recall, 4), unit: 'recall@10' },
      cosqa_dev_mrr10_orama_defaults: { value: round(cosqa.oramaDefaults.mrr, 4), unit: 'MRR@10' },
      cosqa_dev_mrr10_hybrid_hash_embedder: { value: round(cosqa.hybrid.mrr, 4), unit: 'MRR@10' },
    };
    const notes =
      `Speed corpus: the first ${corpus.files.length} files that walkWorkspace lists in this project's node_modules (ignore files honoured, nested node_modules skipped), copied to a temp dir; ` +
      `${speed.files} indexed, ${speed.chunks} chunks, so queries ran on the real index with no replication. index_seconds: WorkspaceIndex.update() from an empty store (walk, stat, read, sha1, tree-sitter chunking, redaction, Orama insert, record log). index_event_loop_delay_p99_ms/_max_ms: during that update, how late the bench process's event loop ran (monitorEventLoopDelay, 5 ms resolution): what a request to the host would wait while it indexes, garbage collection included. ` +
      `index_throughput_ratio_vs_raw_orama: Keel's update() of the whole speed corpus from an empty store (walk, stat, read, sha1, tree-sitter chunking, redaction, tokenizing, Orama insert, record log) vs Orama insertMultiple of the very same chunk documents into a fresh db with Keel's schema, tokenizer (stemming included) and index component, on one thread; ${FULL_RATIO_ROUNDS} interleaved rounds after a warm-up round, medians; keel_/raw_orama_ chunks_per_s are the same medians. ` +
      `Keel reads, hashes, chunks, tokenizes and encodes record-log lines on ${ratio.workers} worker thread(s) (availableParallelism() - 1, at most 2) while its own thread inserts earlier batches, handing Orama the workers' tokens; while the next batch is still with a worker, its own thread chunks a later batch itself. Chunks, tokens and the Orama index are identical to chunking on one thread (a unit test compares Orama snapshots). ` +
      `The _2000_files variants repeat the comparison on the corpus's first ${RATIO_FILES} files (${RATIO_ROUNDS} interleaved rounds after a warm-up; these are mostly @azure packages, about half of them byte-identical copies across dist/ builds, which Keel still chunks one by one). At that size the raw inserts are cheaper per chunk than into an 80k-chunk db, so Keel's fixed costs (walk, parsing) weigh more. ` +
      `"_default_tokenizer" is against Orama's stock tokenizer; "_unstemmed_tokenizer" Keel's tokenizer before stemming (cheaper, a stricter baseline); "_cold_workers" Keel with the worker pool stopped before each round (thread start-up and grammar loading included); "_no_workers" Keel chunking on its own thread (chunkWorkers: false). ` +
      `incremental_reindex_ms: updateFiles() of one ~${speed.editedLines}-line TypeScript file after an edit, median of ${INCREMENTAL_EDITS}; noop_update_ms: update() with nothing changed (walk + stat of every file). ` +
      `Latency: ${LATENCY_QUERIES} queries, half CoSQA dev questions, half symbol names sampled from the index; hybrid on a second index of the same corpus with the deterministic 256-dim hash embedder from test/memory (query embedding included; exhaustive cosine over Keel's VectorStore, scored by its WebAssembly SIMD kernel, fused with BM25). ` +
      `cold_start_ms: WorkspaceIndex.open() from the record log (parse JSON lines, rebuild Orama, the chunking workers tokenizing ahead of the inserts); cold_start_orama_snapshot_ms: JSON.parse of Orama's save() snapshot + load(), which is ${round(speed.snapshot.snapshotBytes / Math.max(1, speed.snapshot.recordsBytes), 1)}× the log's size. ` +
      `CoSQA: the 6,267 snippets of code_idx_map.txt as one .py file each, indexed by WorkspaceIndex (tree-sitter chunks), 500 dev queries, rank of the retrieval_idx file among the first 10 distinct files. ` +
      `cosqa_dev_mrr10 is Keel's search (stemmed code-aware tokens, symbol field boosted 0.2); _unstemmed: the tokenizer without stemming, same search; _body_only: Keel's tokens without the symbol field; ` +
      `plain_bm25: the same chunks, body only, with Orama's default tokenizer (whole-token matching, BM25 k=1.2 b=0.5); orama_defaults: Orama out of the box (default tokenizer, prefix matching, b=0.75); hybrid_hash_embedder: Keel's hybrid mode with the test hash embedder (lexical, not semantic). ` +
      `Index warnings: ${speed.warnings.length ? speed.warnings.join(' ') : 'none'}. ` +
      `peak_rss_mb is the bench process's, which holds several indexes and Orama's snapshot at once; index_process_peak_rss_mb is a fresh Node process that only opens and updates an index of the speed corpus (${alone.chunks} chunks) from an empty store, as the agent host does, and index_process_rss_after_mb its RSS once the update is done and garbage collected (what the host keeps while the index is open). 1-minute load average ${round(loadAtStart, 1)} at the start and ${round(loadavg()[0]!, 1)} at the end (other work shares the machine's ${availableParallelism()} cores).`;
    return { metrics, notes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Copies the first `limit` walkable files of node_modules, so the bench can edit them. */
async function copyCorpus(root: string, limit: number): Promise<{ root: string; files: string[] }> {
  const { files } = await walkWorkspace(NODE_MODULES, { limit });
  await copyFiles(NODE_MODULES, root, files);
  return { root, files };
}

async function copyFiles(from: string, to: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(from, file), join(to, file));
  }
}

/**
 * Keel's update() of the whole corpus from an empty store against raw insertMultiple of the very same chunk
 * documents into a fresh db with Keel's schema, tokenizer and index component, interleaved; the first round of each
 * warms up (Keel's starts the chunking workers).
 */
async function fullCorpusRatio(root: string) {
  const keelMs: number[] = [];
  const rawMs: number[] = [];
  let docs: ChunkDoc[] = [];
  for (let round = 0; round <= FULL_RATIO_ROUNDS; round++) {
    const store = await tempDir('keel-bench-full-');
    let started = performance.now();
    const index = await WorkspaceIndex.open(root, store);
    await index.update();
    const ms = performance.now() - started;
    await index.close();
    docs = await storedDocs(store);
    await rm(store, { recursive: true, force: true });
    started = performance.now();
    await insertDocs(createChunkDb(), docs);
    if (round === 0) continue;
    keelMs.push(ms);
    rawMs.push(performance.now() - started);
  }
  return { ratio: median(rawMs) / median(keelMs), keelPerSecond: docs.length / (median(keelMs) / 1000), rawPerSecond: docs.length / (median(rawMs) / 1000) };
}

async function throughputRatio(root: string, files: readonly string[]) {
  await copyFiles(NODE_MODULES, root, files);
  const pool = sharedChunkPool(defaultWasmDir());
  const keel = async (mode: 'warm' | 'cold' | 'none') => {
    // A cold round pays for starting the chunking workers, as the first update after the host starts (or after
    // the pool idled out) does.
    if (mode === 'cold') await pool.dispose();
    const store = await tempDir('keel-bench-ratio-');
    const started = performance.now();
    const index = await WorkspaceIndex.open(root, store, { chunkWorkers: mode !== 'none' });
    await index.update();
    const ms = performance.now() - started;
    await index.close();
    const docs = await storedDocs(store);
    await rm(store, { recursive: true, force: true });
    return { ms, docs };
  };
  const raw = async (docs: readonly ChunkDoc[], tokenizer: 'keel' | 'unstemmed' | 'default') => {
    const started = performance.now();
    if (tokenizer === 'keel') await insertDocs(createChunkDb(), docs);
    else if (tokenizer === 'unstemmed') await insertDocs(unstemmedChunkDb(), docs);
    else await insertMultiple(create({ schema: { path: 'enum', language: 'enum', body: 'string', symbol: 'string' } as const }), docs as never[], 1000);
    return performance.now() - started;
  };
  const warm = await keel('warm');
  await keel('none');
  await raw(warm.docs, 'keel');
  await raw(warm.docs, 'unstemmed');
  await raw(warm.docs, 'default');
  const keelMs: number[] = [];
  const coldMs: number[] = [];
  const noWorkersMs: number[] = [];
  const sameMs: number[] = [];
  const unstemmedMs: number[] = [];
  const defaultMs: number[] = [];
  for (let i = 0; i < RATIO_ROUNDS; i++) {
    keelMs.push((await keel('warm')).ms);
    sameMs.push(await raw(warm.docs, 'keel'));
    noWorkersMs.push((await keel('none')).ms);
    unstemmedMs.push(await raw(warm.docs, 'unstemmed'));
    defaultMs.push(await raw(warm.docs, 'default'));
    coldMs.push((await keel('cold')).ms);
  }
  return {
    vsSameTokenizer: median(sameMs) / median(keelMs),
    vsUnstemmedTokenizer: median(unstemmedMs) / median(keelMs),
    vsDefaultTokenizer: median(defaultMs) / median(keelMs),
    coldWorkers: median(sameMs) / median(coldMs),
    noWorkers: median(sameMs) / median(noWorkersMs),
    workers: pool.size,
  };
}

/** Keel's chunk database with the tokenizer it had before stemming: identifiers split, words as written. */
function unstemmedChunkDb(): ChunkDb {
  return createChunkDb({ language: 'english', normalizationCache: new Map(), tokenize: (raw: string) => codeTokens(raw) });
}

/** The chunk documents a store's record log holds: exactly what Keel inserted into Orama. */
async function storedDocs(store: string): Promise<ChunkDoc[]> {
  return [...(await readRecords(store)).values()].flatMap((record) => docsOf(record));
}

async function indexAndQuery(root: string, store: string, files: readonly string[]) {
  // How long a request to the host would wait while it indexes: the event loop's delay, sampled every 5 ms.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let started = performance.now();
  const index = await WorkspaceIndex.open(root, store);
  await index.update();
  const indexMs = performance.now() - started;
  delay.disable();
  const eventLoopDelay = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  const { files: indexed, chunks, warnings } = index.stats();

  const queries = await latencyQueries(index);
  const latencies: number[] = [];
  for (const query of queries) {
    started = performance.now();
    await index.search(query, { limit: 10 });
    latencies.push(performance.now() - started);
  }

  const edited = files.find((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')) ?? files.find((f) => f.endsWith('.js'))!;
  const original = await readFile(join(root, edited), 'utf8');
  const incremental: number[] = [];
  for (let i = 0; i < INCREMENTAL_EDITS; i++) {
    await writeFile(join(root, edited), `${original}\nexport function benchEdit${i}(value: number) {\n  return value + ${i};\n}\n`);
    started = performance.now();
    await index.updateFiles([edited]);
    incremental.push(performance.now() - started);
  }
  started = performance.now();
  await index.update();
  const noopUpdateMs = performance.now() - started;
  await index.close();

  started = performance.now();
  const reopened = await WorkspaceIndex.open(root, store);
  const coldStartMs = performance.now() - started;
  await reopened.close();
  const snapshot = await oramaSnapshot(store);
  return { files: indexed, chunks, warnings, indexMs, eventLoopDelay, latencies, queries, incrementalMs: median(incremental), editedLines: original.split('\n').length, noopUpdateMs, coldStartMs, snapshot };
}

/** Half natural-language questions, half identifiers that exist in the index: the two ways agents search. */
async function latencyQueries(index: WorkspaceIndex): Promise<string[]> {
  const questions = (await cosqaQueries()).slice(0, LATENCY_QUERIES / 2).map((q) => q.doc);
  const symbols = new Set<string>();
  for (const word of ['parse', 'create', 'get', 'value', 'error', 'options', 'read', 'type', 'string', 'node']) {
    for (const hit of await index.search(word, { limit: 40 })) if (hit.symbol && /^[\w$.]+$/.test(hit.symbol)) symbols.add(hit.symbol);
  }
  return [...questions, ...[...symbols].slice(0, LATENCY_QUERIES / 2)];
}

/** Orama's own persistence of the same index, for comparison with rebuilding from the record log. */
async function oramaSnapshot(store: string) {
  const docs = await storedDocs(store);
  const db = createChunkDb();
  await insertDocs(db, docs);
  const file = join(store, 'orama-snapshot.json');
  await writeFile(file, JSON.stringify(save(db)));
  const started = performance.now();
  const restored = createChunkDb();
  load(restored, JSON.parse(await readFile(file, 'utf8')));
  const restoreMs = performance.now() - started;
  const [snapshotBytes, recordsBytes] = await Promise.all([fileSize(file), fileSize(join(store, 'records.jsonl'))]);
  return { restoreMs, snapshotBytes, recordsBytes };
}

async function hybridLatency(root: string, store: string, queries: readonly string[]) {
  const index = await WorkspaceIndex.open(root, store, { embedder: new HashEmbedder() });
  await index.update();
  const latencies: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    await index.search(query, { limit: 10, mode: 'hybrid' });
    latencies.push(performance.now() - started);
  }
  const { chunks } = index.stats();
  await index.close();
  await rm(store, { recursive: true, force: true });
  return { latencies, chunks };
}

interface CosqaQuery {
  readonly doc: string;
  readonly retrieval_idx: number;
}

async function cosqaQueries(): Promise<CosqaQuery[]> {
  return JSON.parse(await readFile(join(COSQA, 'cosqa-retrieval-dev-500.json'), 'utf8')) as CosqaQuery[];
}

async function cosqaQuality(root: string) {
  const corpus = JSON.parse(await readFile(join(COSQA, 'code_idx_map.txt'), 'utf8')) as Record<string, number>;
  const queries = await cosqaQueries();
  await mkdir(join(root, 'cosqa'), { recursive: true });
  for (const [code, idx] of Object.entries(corpus)) await writeFile(join(root, 'cosqa', `${idx}.py`), code);
  const target = (q: CosqaQuery) => `cosqa/${q.retrieval_idx}.py`;

  const keelIndex = await WorkspaceIndex.open(root, await tempDir('keel-bench-cosqa-'));
  await keelIndex.update();
  const keel = await score(queries, target, (q) => keelIndex.search(q, { limit: 40, mode: 'bm25' }));
  await keelIndex.close();

  const hybridIndex = await WorkspaceIndex.open(root, await tempDir('keel-bench-cosqa-hybrid-'), { embedder: new HashEmbedder() });
  await hybridIndex.update();
  const hybrid = await score(queries, target, (q) => hybridIndex.search(q, { limit: 40, mode: 'hybrid' }));
  await hybridIndex.close();

  // The same chunks for the baselines: chunking is deterministic.
  const parsers = new SyntaxParsers();
  const docs: ChunkDoc[] = [];
  for (const [code, idx] of Object.entries(corpus)) {
    const path = `cosqa/${idx}.py`;
    (await chunkFile(path, code, parsers)).chunks.forEach((chunk, i) => docs.push(toDoc(chunk, `${path}#${i}`)));
  }
  const keelDb = createChunkDb();
  await insertDocs(keelDb, docs);
  const bodyOnly = await score(queries, target, async (q) => (await search(keelDb, { term: q, properties: ['body'], limit: 40, relevance: BM25_RELEVANCE })).hits.map((h) => h.document as unknown as ChunkDoc));
  const unstemmedDb = unstemmedChunkDb();
  await insertDocs(unstemmedDb, docs);
  const unstemmed = await score(queries, target, async (q) => (await rankLexically(unstemmedDb, { term: q, limit: 40 })).map(({ id }) => docById(unstemmedDb, id)!));
  const plainDb = createChunkDb(components.tokenizer.createTokenizer());
  await insertDocs(plainDb, docs);
  const plain = await score(queries, target, async (q) => (await search(plainDb, { term: q, properties: ['body'], limit: 40, relevance: BM25_RELEVANCE })).hits.map((h) => h.document as unknown as ChunkDoc));
  const defaultsDb = create({ schema: { path: 'enum', language: 'enum', body: 'string' } as const });
  await insertMultiple(defaultsDb, docs as never[], 1000);
  const oramaDefaults = await score(queries, target, async (q) => (await search(defaultsDb, { term: q, properties: ['body'], limit: 40 })).hits.map((h) => ({ path: (h.document as unknown as ChunkDoc).path }) as SearchHit));
  return { keel, unstemmed, bodyOnly, plain, oramaDefaults, hybrid };
}

/** MRR@10 and recall@10 over distinct files, since a file may have several chunks. */
async function score(queries: readonly CosqaQuery[], target: (q: CosqaQuery) => string, run: (query: string) => Promise<Pick<SearchHit, 'path'>[]>) {
  let reciprocal = 0;
  let found = 0;
  for (const query of queries) {
    const files = [...new Set((await run(query.doc)).map((h) => h.path))].slice(0, 10);
    const rank = files.indexOf(target(query));
    if (rank >= 0) {
      reciprocal += 1 / (rank + 1);
      found++;
    }
  }
  return { mrr: reciprocal / queries.length, recall: found / queries.length };
}

/** Indexes the folder in a child process, whose peak RSS is then the index's alone. */
function indexInOwnProcess(root: string, store: string): { chunks: number; peakRssMb: number; rssAfterMb: number } {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(__dirname, 'indexProcess.ts'), root, store], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`Indexing in a child process failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { chunks: number; peakRssMb: number; rssAfterMb: number };
}

async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
