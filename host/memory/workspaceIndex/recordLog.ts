import * as l10n from '@vscode/l10n';
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** What the index knows about one file, as persisted: enough to rebuild its search documents without re-reading it. */
export interface FileRecord {
  readonly path: string;
  /** sha1 of the file's bytes. */
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly language: string;
  /** Why the file has no chunks (binary, too large), when it was skipped. */
  readonly skipped?: string;
  /** `[startLine, endLine, symbol or null, text]` per chunk: arrays keep the log small. */
  readonly chunks: readonly (readonly [number, number, string | null, string])[];
  /** The chunks' vectors, one Float32Array after the other, base64: a fraction of the size and parse time of JSON numbers. */
  readonly vectors?: string;
}

type LogLine = FileRecord | { readonly path: string; readonly deleted: true };

/** A record as its log line, UTF-8 with the newline: what a chunking worker hands over, so the index need not encode it. */
export type EncodedRecord = Uint8Array<ArrayBuffer>;

export function encodeRecord(record: FileRecord): EncodedRecord {
  return encodeLine(record);
}

const encoder = new TextEncoder();

function encodeLine(line: LogLine): EncodedRecord {
  // A fresh ArrayBuffer of its own, never a pooled one: a worker can transfer it.
  return encoder.encode(`${JSON.stringify(line)}\n`) as EncodedRecord;
}

/** Invalidates the log when what it holds would no longer be produced the same way. */
export interface LogMeta {
  readonly format: number;
  readonly chunker: number;
  readonly embedder: string | null;
}

const LOG = 'records.jsonl';
const META = 'meta.json';
/** Compaction rewrites the log once it holds more superseded lines than live ones, and at least this many. */
const MIN_GARBAGE_TO_COMPACT = 200;

/**
 * An append-only JSON-lines log of file records, one line per file, written a batch at a time. A crash loses at most
 * the batch being written: a torn last line is dropped on open and the files not recorded are indexed again. Later lines for a
 * path replace earlier ones; a `deleted` line removes it.
 */
export class RecordLog {
  private garbage: number;
  /** The append in flight: the next batch is prepared while it is written, and appends stay in order. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private live: number,
    garbage: number,
  ) {
    this.garbage = garbage;
  }

  /**
   * Opens (or creates) the log in `dir` with the records it holds. When `meta` differs from the stored one (another
   * chunker version or embedder), the old records are dropped and `reset` says why.
   */
  static async open(dir: string, meta: LogMeta): Promise<{ log: RecordLog; records: Map<string, FileRecord>; reset?: string }> {
    await mkdir(dir, { recursive: true });
    const stored = await readMeta(dir);
    const reset = stored && differences(stored, meta);
    const file = join(dir, LOG);
    if (!stored || reset) {
      await rm(file, { force: true });
      await writeFile(join(dir, META), JSON.stringify(meta));
    }
    const bytes = await readLog(dir);
    const { records, lines, complete } = parse(bytes);
    const handle = await open(file, 'a+');
    // A torn last line must not prefix the next append.
    if (complete < bytes.length) await handle.truncate(complete);
    return { log: new RecordLog(dir, handle, records.size, lines - records.size), records, ...(reset ? { reset } : {}) };
  }

  /**
   * Appends records in one write, started once the previous one has finished and not awaited here: a failed write
   * surfaces at the next put, delete or sync. `replaces` says which records supersede one already in the log.
   */
  async put(entries: readonly { record: FileRecord | EncodedRecord; replaces: boolean }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.append(entries.map((e) => (e.record instanceof Uint8Array ? e.record : encodeLine(e.record))));
    for (const { replaces } of entries) {
      if (replaces) this.garbage++;
      else this.live++;
    }
  }

  async delete(path: string): Promise<void> {
    await this.append([encodeLine({ path, deleted: true })]);
    this.live--;
    // The deleted record and the tombstone itself.
    this.garbage += 2;
  }

  /** Makes appended records durable, and compacts the log when most of it is superseded. */
  async sync(current: () => Iterable<FileRecord>): Promise<void> {
    await this.writing;
    if (this.garbage >= MIN_GARBAGE_TO_COMPACT && this.garbage > this.live) await this.compact(current());
    else await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.handle.close();
  }

  /** One line per record: a crash mid-write tears at most the last line, which open() drops. */
  private async append(lines: readonly Uint8Array[]): Promise<void> {
    await this.writing;
    this.writing = this.handle.writev(lines).then(() => undefined);
    // Handled when awaited by the next append or sync; this keeps an early failure from being reported as unhandled.
    this.writing.catch(() => undefined);
  }

  /** Writes the live records to a new file and renames it over the log, which is atomic. */
  private async compact(records: Iterable<FileRecord>): Promise<void> {
    const file = join(this.dir, LOG);
    const temporary = `${file}.tmp`;
    const out = await open(temporary, 'w');
    let live = 0;
    try {
      for (const record of records) {
        await out.write(`${JSON.stringify(record)}\n`);
        live++;
      }
      await out.datasync();
    } finally {
      await out.close();
    }
    await this.handle.close();
    await rename(temporary, file);
    this.handle = await open(file, 'a+');
    this.live = live;
    this.garbage = 0;
  }
}

/** The records in `dir` as they are, without checking or repairing anything: for inspection and benchmarks. */
export async function readRecords(dir: string): Promise<Map<string, FileRecord>> {
  return parse(await readLog(dir)).records;
}

async function readLog(dir: string): Promise<Buffer> {
  const file = join(dir, LOG);
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return Buffer.alloc(0);
    throw new Error(l10n.t('Could not read the memory index at {0} ({1}). Delete the folder to rebuild the index.', file, error.message), { cause: error });
  });
}

async function readMeta(dir: string): Promise<Partial<LogMeta> | undefined> {
  const text = await readFile(join(dir, META), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Partial<LogMeta>;
  } catch {
    // An unreadable meta.json counts as one from another version: the index is rebuilt.
    return {};
  }
}

function differences(stored: Partial<LogMeta>, meta: LogMeta): string | undefined {
  if (stored.format !== meta.format || stored.chunker !== meta.chunker) return l10n.t('index format changed');
  if (stored.embedder !== meta.embedder) return l10n.t('embedder changed from {0} to {1}', stored.embedder ?? l10n.t('none'), meta.embedder ?? l10n.t('none'));
  return undefined;
}

/** The latest record per path; lines that do not parse (a torn write) are skipped. */
function parse(bytes: Buffer): { records: Map<string, FileRecord>; lines: number; complete: number } {
  const records = new Map<string, FileRecord>();
  let lines = 0;
  let start = 0;
  for (let end = bytes.indexOf(10, start); end !== -1; start = end + 1, end = bytes.indexOf(10, start)) {
    let line: LogLine;
    try {
      line = JSON.parse(bytes.toString('utf8', start, end)) as LogLine;
    } catch {
      continue;
    }
    lines++;
    if ('deleted' in line) records.delete(line.path);
    else records.set(line.path, line);
  }
  return { records, lines, complete: start };
}
