import * as l10n from '@vscode/l10n';
import type { ProposedEdit } from '../../protocol/run';

type Position = ProposedEdit['range']['start'];

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

export function offsetAt(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(offset + position.character, text.length);
}

/** Applies an edit to the text it was computed from; fails if that text no longer holds `oldText` at the range. */
export function applyEditToText(text: string, edit: ProposedEdit): string {
  const start = offsetAt(text, edit.range.start);
  const end = offsetAt(text, edit.range.end);
  if (text.slice(start, end) !== edit.oldText) {
    throw new Error(l10n.t('{0} changed since the edit was proposed; read it again and propose the edit anew.', edit.path));
  }
  return text.slice(0, start) + edit.newText + text.slice(end);
}
