import * as l10n from '@vscode/l10n';
import { hash } from 'node:crypto';
import { closeSync, fdatasync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';

/**
 * A journal file: one JSON record a line, each line `<checksum> <json>` where the checksum is the JSON's CRC-32 in 8
 * hex digits (journals from before the checksum became a CRC-32 have the first 16 hex digits of its SHA-256, and are
 * still read). The checksum finds a torn or damaged line, which is all it is for: the audit log is the tamper-evident
 * record. Lines are written with one synchronous `write`, so once `append` returns the record
 * is in the kernel and survives the process being killed (`kill -9`); `sync` also puts it on the disk, against a
 * power cut, and is what a record must have before the side effect it announces starts.
 *
 * A record appended `withNext` is held and written in the same `write` as the next one (or at `sync` or `close`, or
 * after `HOLD_MS` if nothing follows, so a live run's transcript, read from the file, is never further behind),
 * which saves a system call a step; its JSON is taken at once, its checksum when it is written, off the step's path
 * while the run waits on its model. It is for records whose loss a resume repairs by redoing work that has no
 * effect: the file stays a prefix of what was appended, so a crash can only drop the held record and nothing after it.
 */
export class JournalFile {
  /** The JSON of the records not written yet, in order. */
  private held: string[] = [];
  private holdTimer: NodeJS.Timeout | undefined;

  private constructor(private fd: number | undefined, readonly path: string) {}

  /** Opens `path` for appending, creating it; `keepBytes` cuts a torn tail off first so new lines start clean. */
  static open(path: string, keepBytes?: number): JournalFile {
    const fd = openSync(path, 'a', 0o600);
    if (keepBytes !== undefined) ftruncateSync(fd, keepBytes);
    return new JournalFile(fd, path);
  }

  append(record: object, options: { withNext?: boolean } = {}): void {
    if (this.fd === undefined) throw new Error(l10n.t('The journal {0} is closed.', this.path));
    const json = JSON.stringify(record);
    // A character is at most 3 bytes in UTF-8: most records need no count. The line adds the checksum and a space.
    const bytes = json.length * 3 > MAX_RECORD_BYTES ? Buffer.byteLength(json) + CHECKSUM_DIGITS + 1 : 0;
    if (bytes > MAX_RECORD_BYTES) throw new Error(l10n.t('A journal record of {0} bytes is over the {1}-byte limit.', bytes, MAX_RECORD_BYTES));
    this.held.push(json);
    if (!options.withNext) this.flush();
    else this.holdTimer ??= setTimeout(() => this.flush(), HOLD_MS).unref();
  }

  /** Resolves once every record appended so far is on the disk. */
  async sync(): Promise<void> {
    this.flush();
    if (this.fd !== undefined) await datasync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.fd === undefined || this.held.length === 0) return;
    let lines = '';
    for (const json of this.held) lines += `${checksum(json)} ${json}\n`;
    // Dropped only once written: after a failed write the held records go out with the next one, keeping the order.
    writeSync(this.fd, lines);
    this.held = [];
  }
}

/** How long a held record waits for the next one before it is written by itself. */
const HOLD_MS = 25;

/** The longest line Keel writes; a longer one on disk is not Keel's. Strings in records are cut well below it. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** A journal past this size is refused rather than read into memory. */
export const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

/** What a journal file holds: its good records, and what was wrong with it. */
export interface JournalContents {
  readonly records: readonly unknown[];
  /** Bytes up to the end of the last good record; appending resumes there. */
  readonly goodBytes: number;
  /** The last line was cut short or does not match its checksum: Keel stopped while writing it. It is not used. */
  readonly tornTail?: string;
  /** A record before the last is damaged: nothing after it can be trusted, so the run cannot be resumed. */
  readonly corrupt?: string;
}

/** Reads and checks a journal; a missing, unreadable or oversized file throws an error that names it. */
export async function readJournal(path: string): Promise<JournalContents> {
  const { size } = await stat(path);
  if (size > MAX_JOURNAL_BYTES) throw new Error(l10n.t('The journal {0} is {1} MB, over the {2} MB Keel writes; it is not read.', path, Math.round(size / 1048576), MAX_JOURNAL_BYTES / 1048576));
  const bytes = await readFile(path);
  const records: unknown[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    line++;
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const problem = end - start > MAX_RECORD_BYTES ? l10n.t({ message: 'it is {0} bytes long, more than Keel writes', args: [end - start], comment: ['Completes "record … of … is incomplete or damaged (…)" and "… is damaged (…)".'] }) : undefined;
    const decoded = problem ? { problem } : decodeLine(bytes.toString('utf8', start, end));
    const isLast = newline < 0 || newline === bytes.length - 1;
    if ('problem' in decoded) {
      if (isLast) return { records, goodBytes: start, tornTail: l10n.t('record {0} of {1} is incomplete or damaged ({2}): Keel stopped while writing it, so it is ignored', line, path, decoded.problem) };
      return { records, goodBytes: start, corrupt: l10n.t('record {0} of {1} is damaged ({2}); the records after it cannot be trusted', line, path, decoded.problem) };
    }
    if (newline < 0) return { records, goodBytes: start, tornTail: l10n.t('record {0} of {1} has no line end: Keel stopped while writing it, so it is ignored', line, path) };
    records.push(decoded.record);
    start = newline + 1;
  }
  return { records, goodBytes: start };
}

const datasync = promisify(fdatasync);

function checksum(json: string): string {
  return crc32(json).toString(16).padStart(CHECKSUM_DIGITS, '0');
}

/** The checksum's width; `SHA256_DIGITS` in journals written before the checksum became a CRC-32. */
const CHECKSUM_DIGITS = 8;
const SHA256_DIGITS = 16;

function decodeLine(line: string): { record: unknown } | { problem: string } {
  const space = line.indexOf(' ');
  if (space !== CHECKSUM_DIGITS && space !== SHA256_DIGITS) return { problem: l10n.t({ message: 'it does not start with a checksum', comment: ['Completes "record … of … is incomplete or damaged (…)" and "… is damaged (…)".'] }) };
  const json = line.slice(space + 1);
  const expected = space === CHECKSUM_DIGITS ? checksum(json) : hash('sha256', json).slice(0, SHA256_DIGITS);
  if (expected !== line.slice(0, space)) return { problem: l10n.t({ message: 'its checksum does not match', comment: ['Completes "record … of … is incomplete or damaged (…)" and "… is damaged (…)".'] }) };
  try {
    return { record: JSON.parse(json) as unknown };
  } catch {
    return { problem: l10n.t({ message: 'it is not JSON', comment: ['Completes "record … of … is incomplete or damaged (…)" and "… is damaged (…)".'] }) };
  }
}
