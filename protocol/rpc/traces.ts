/** Spans as runs produce them (`trace/…`). */
import { NotificationType } from 'vscode-jsonrpc';
import type { SpanData } from '../trace';

export namespace SpanNotification {
  /** Host → extension: a span started or ended; the latest snapshot of a span replaces earlier ones. */
  export const type = new NotificationType<SpanData>('trace/span');
}
