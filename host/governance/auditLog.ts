import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { redacted } from '../observability/redaction';

/**
 * What happened: an approval decided (by the user, a timeout or the policy, with the policy's rule and level), a hook's
 * decision, a side-effecting tool call and its outcome, a file changed (SHA-256 of its content before and after; null
 * for none), a model call (no content), a hook file or a policy level loaded or changed, a run's start and end, an
 * alert fired or cleared.
 */
export type AuditEvent =
  | { readonly kind: 'approval'; readonly runId: string; readonly subject: string; readonly decision: string; readonly decidedBy: 'user' | 'timeout' | 'policy'; readonly reason?: string; readonly rule?: string; readonly level?: string }
  | { readonly kind: 'policy_change'; readonly level: string; readonly source: string; readonly sha256: string; readonly valid: boolean; readonly error?: string }
  | { readonly kind: 'tool_call'; readonly runId: string; readonly tool: string; readonly risk: string; readonly arguments: string }
  | { readonly kind: 'tool_result'; readonly runId: string; readonly tool: string; readonly ok: boolean }
  | { readonly kind: 'file_change'; readonly runId: string; readonly path: string; readonly before: string | null; readonly after: string | null }
  | { readonly kind: 'model_call'; readonly runId: string; readonly model: string; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number }
  | { readonly kind: 'hook_change'; readonly file: string; readonly sha256: string | null }
  | { readonly kind: 'hook'; readonly runId: string; readonly hook: string; readonly event: string; readonly subject: string; readonly decision: string; readonly reason?: string }
  | { readonly kind: 'run_start'; readonly runId: string; readonly goal: string }
  | { readonly kind: 'run_end'; readonly runId: string; readonly outcome: string; readonly costUsd: number }
  | { readonly kind: 'alert'; readonly state: 'fired' | 'cleared'; readonly alertId: string; readonly rule: string; readonly message: string; readonly runId?: string };

/** Where governance records what it let happen; awaited, so the record is on disk before the action proceeds. */
export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
}

/** The SHA-256 a `file_change` record carries for a file's content. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  /** The first record that breaks the chain: its file, line and why. */
  readonly broken?: { readonly file: string; readonly line: number; readonly reason: string };
}

const CURRENT = 'audit.jsonl';
const HEAD = 'audit.head.json';
/** Past this size the current file is renamed `audit.<n>.jsonl` and a new one continues the chain. */
const ROTATE_BYTES = 10 * 1024 * 1024;
const GENESIS = '0'.repeat(64);
/** Arguments are kept for the record, redacted and cut: the log says what was done, not every byte of it. */
const MAX_ARGUMENT_CHARS = 2000;

interface Head {
  readonly seq: number;
  readonly hash: string;
}

/**
 * A tamper-evident audit log: append-only JSON lines under the host's storage folder, each carrying the SHA-256 of the
 * record before it and its own, written with a data sync before `append` resolves. `audit.head.json` remembers the
 * last record, so a file cut short by whole records is caught too. Tamper-evident, not tamper-proof: whoever can
 * rewrite the whole folder can forge it, but no edit of a record, no deletion, insertion or reordering, and no
 * truncation goes unnoticed by `verifyAuditLog`.
 */
export class AuditLog implements AuditSink {
  private head: Promise<Head> | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  /** Checks this log's chain; see `verifyAuditLog`. */
  verify(): Promise<AuditVerification> {
    return verifyAuditLog(this.dir);
  }

  append(event: AuditEvent): Promise<void> {
    const done = this.writing.then(() => this.write(event));
    // One failed append must not stop the next ones; each caller sees its own failure.
    this.writing = done.catch(() => undefined);
    return done;
  }

  private async write(event: AuditEvent): Promise<void> {
    const head = await (this.head ??= this.open());
    const fields = { seq: head.seq + 1, time: new Date().toISOString(), ...clean(event), prev: head.hash };
    const hash = digest(head.hash, fields);
    const line = `${JSON.stringify({ ...fields, hash })}\n`;
    const file = await open(join(this.dir, CURRENT), 'a');
    try {
      await file.write(line);
      await file.datasync();
    } finally {
      await file.close();
    }
    const next = { seq: fields.seq, hash };
    this.head = Promise.resolve(next);
    // Replaced whole by a rename, so a crash leaves the old head or the new one, never an empty or torn file.
    await writeFile(join(this.dir, `${HEAD}.tmp`), JSON.stringify(next));
    await rename(join(this.dir, `${HEAD}.tmp`), join(this.dir, HEAD));
    if ((await stat(join(this.dir, CURRENT))).size > ROTATE_BYTES) await this.rotate();
  }

  private async open(): Promise<Head> {
    await mkdir(this.dir, { recursive: true });
    // A head torn by a crash (before heads were renamed into place) is rebuilt from the log's last record.
    return (await readHead(this.dir)) ?? (await lastRecordHead(this.dir)) ?? { seq: 0, hash: GENESIS };
  }

  private async rotate(): Promise<void> {
    const rotated = (await readdir(this.dir)).filter((name) => /^audit\.\d+\.jsonl$/.test(name)).length;
    await rename(join(this.dir, CURRENT), join(this.dir, `audit.${rotated + 1}.jsonl`));
  }
}

/** Checks every record of the log in `dir`, oldest first, and reports the first that breaks the chain. */
export async function verifyAuditLog(dir: string): Promise<AuditVerification> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const rotated = names.filter((name) => /^audit\.\d+\.jsonl$/.test(name)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const files = [...rotated, ...(names.includes(CURRENT) ? [CURRENT] : [])];
  let previous: Head = { seq: 0, hash: GENESIS };
  let records = 0;
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    const lines = text.split('\n');
    const torn = lines.pop();
    for (const [index, line] of lines.entries()) {
      const broken = (reason: string): AuditVerification => ({ ok: false, records, broken: { file, line: index + 1, reason } });
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return broken(l10n.t('the record is not valid JSON: it was changed'));
      }
      const { hash, ...fields } = record;
      if (fields.prev !== previous.hash) return broken(l10n.t('it does not follow record {0}: a record before it was changed, deleted, inserted or moved', previous.seq));
      if (fields.seq !== previous.seq + 1) return broken(l10n.t('its number is {0}, not {1}: records were deleted, inserted or moved', String(fields.seq), previous.seq + 1));
      if (hash !== digest(previous.hash, fields)) return broken(l10n.t('its content does not match its hash: it was changed'));
      previous = { seq: fields.seq as number, hash: hash as string };
      records++;
    }
    if (torn) return { ok: false, records, broken: { file, line: lines.length + 1, reason: l10n.t('the last record is incomplete: Keel stopped while writing it, or the file was cut') } };
  }
  const head = await readHead(dir);
  // The head is written just after each record, so a crash in between leaves it one record behind, which is fine.
  if (head && (head.seq > previous.seq || (head.seq === previous.seq && head.hash !== previous.hash))) {
    return { ok: false, records, broken: { file: files.at(-1) ?? CURRENT, line: records + 1, reason: l10n.t('the log ends at record {0}, but record {1} was written: records at the end were removed', previous.seq, head.seq) } };
  }
  return { ok: true, records };
}

/** The stored head, or undefined when it is missing or not a head. */
async function readHead(dir: string): Promise<Head | undefined> {
  const text = await readFile(join(dir, HEAD), 'utf8').catch(() => '');
  return parseHead(text);
}

/** The head as the last complete record of the current file has it. */
async function lastRecordHead(dir: string): Promise<Head | undefined> {
  const lines = (await readFile(join(dir, CURRENT), 'utf8').catch(() => '')).split('\n');
  lines.pop();
  return parseHead(lines.at(-1) ?? '');
}

function parseHead(text: string): Head | undefined {
  try {
    const { seq, hash } = JSON.parse(text) as Partial<Head>;
    return typeof seq === 'number' && typeof hash === 'string' ? { seq, hash } : undefined;
  } catch {
    return undefined;
  }
}

function digest(previousHash: string, fields: Record<string, unknown>): string {
  return createHash('sha256').update(previousHash).update(JSON.stringify(fields)).digest('hex');
}

/** The event as it is stored: text redacted, arguments cut. */
function clean(event: AuditEvent): AuditEvent {
  const entries = Object.entries(event).map(([key, value]) => {
    if (typeof value !== 'string') return [key, value];
    const text = redacted(value);
    return [key, key === 'arguments' && text.length > MAX_ARGUMENT_CHARS ? `${text.slice(0, MAX_ARGUMENT_CHARS)}… (${text.length} characters)` : text];
  });
  return Object.fromEntries(entries) as AuditEvent;
}
