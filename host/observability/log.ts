/**
 * The host's structured log. Each line has a level and, where known, the run, agent, trace and span it belongs to:
 * a run puts its ids in the async context (`withLogContext`), so a line logged anywhere below it (a tool, the router,
 * an MCP client) carries them without passing them along. Lines go to the console (the extension's "Keel" log
 * channel, at their level) and to `<storage>/logs/host.jsonl`, rotated by size, for export. Every message is redacted
 * before it goes anywhere.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { redacted } from './redaction';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** What a line is about, as far as it is known. */
export interface LogContext {
  readonly runId?: string;
  readonly agent?: string;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** One line of `host.jsonl`. */
export interface LogRecord extends LogContext {
  readonly time: string;
  readonly level: LogLevel;
  readonly message: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `ids` added to the context of every line it logs, however deep and however asynchronous. */
export function withLogContext<T>(ids: LogContext, work: () => T): T {
  return context.run({ ...context.getStore(), ...ids }, work);
}

/** A message longer than this is cut: one log line must not become megabytes of a tool's output. */
const MAX_MESSAGE_CHARS = 16 * 1024;
/** Past this size `host.jsonl` becomes `host.1.jsonl` (and so on up to `KEPT_FILES`), and a new one starts. */
const ROTATE_BYTES = 5 * 1024 * 1024;
const KEPT_FILES = 3;

export interface HostLogOptions {
  /** Where each line is shown, at its level (the JSON-RPC connection's console in VS Code). */
  readonly console: (level: LogLevel, text: string) => void;
  readonly rotateBytes?: number;
}

export class HostLog {
  private file: { fd: number; path: string; bytes: number } | undefined;

  constructor(private readonly options: HostLogOptions) {}

  /** Starts writing `host.jsonl` in `dir`. A folder that cannot be written costs the file, never the console. */
  writeTo(dir: string): void {
    this.close();
    try {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, 'host.jsonl');
      this.file = { fd: openSync(path, 'a'), path, bytes: statSync(path).size };
    } catch (error) {
      this.options.console('warn', `The host log file is not written: ${(error as Error).message}`);
    }
  }

  error = (message: string, ids?: LogContext): void => this.write('error', message, ids);
  warn = (message: string, ids?: LogContext): void => this.write('warn', message, ids);
  info = (message: string, ids?: LogContext): void => this.write('info', message, ids);
  debug = (message: string, ids?: LogContext): void => this.write('debug', message, ids);

  close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }

  private write(level: LogLevel, message: string, ids: LogContext | undefined): void {
    // Cut first: the redactor's cost grows with the text.
    const text = redacted(clip(message));
    const about = { ...context.getStore(), ...ids };
    this.options.console(level, `${prefix(about)}${text}`);
    if (!this.file) return;
    const record: LogRecord = { time: new Date().toISOString(), level, message: text, ...about };
    this.append(`${JSON.stringify(record)}\n`);
  }

  /** Written synchronously, line by line: a line logged is on disk even if the process is killed right after. */
  private append(line: string): void {
    const file = this.file!;
    try {
      file.bytes += writeSync(file.fd, line);
      if (file.bytes > (this.options.rotateBytes ?? ROTATE_BYTES)) this.rotate(file.path);
    } catch (error) {
      this.close();
      this.options.console('warn', `The host log file is no longer written: ${(error as Error).message}`);
    }
  }

  private rotate(path: string): void {
    this.close();
    const numbered = (n: number) => path.replace(/\.jsonl$/, `.${n}.jsonl`);
    for (let n = KEPT_FILES - 1; n >= 1; n--) {
      try {
        renameSync(n === 1 ? path : numbered(n - 1), numbered(n));
      } catch {
        // A file not there yet: fewer old logs than kept.
      }
    }
    this.file = { fd: openSync(path, 'a'), path, bytes: 0 };
  }
}

/** `[run 1b2c… agent keel span 3d4e…] `: what the line is about, short enough to scan. */
function prefix(about: LogContext): string {
  const parts = [about.runId && `run ${about.runId}`, about.agent && `agent ${about.agent}`, about.spanId && `span ${about.spanId}`].filter(Boolean);
  return parts.length ? `[${parts.join(' ')}] ` : '';
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length} characters)` : text;
}
