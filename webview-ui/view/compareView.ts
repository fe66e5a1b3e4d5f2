/** Two runs side by side: their figures aligned line by line, then their steps in order. */
import * as l10n from '@vscode/l10n';
import type { SpanData } from '../../protocol/trace';
import { compareLines, runFigures } from '../model/compare';
import { formatDuration } from '../duration';
import { el } from './dom';

export function drawCompare(target: HTMLElement, left: readonly SpanData[], right: readonly SpanData[]): void {
  const a = runFigures(left);
  const b = runFigures(right);
  const table = el('table', 'compare');
  const head = el('tr');
  head.append(el('th', '', ''), el('th', '', l10n.t('Run A')), el('th', '', l10n.t('Run B')));
  table.append(head);
  for (const line of compareLines(a, b)) {
    const row = el('tr', line.differs ? 'differs' : '');
    row.append(el('th', '', line.label), el('td', '', line.left), el('td', '', line.right));
    table.append(row);
  }
  const steps = el('table', 'compare steps');
  const stepsHead = el('tr');
  stepsHead.append(el('th', '', l10n.t('Step')), el('th', '', l10n.t('Run A')), el('th', '', l10n.t('Run B')));
  steps.append(stepsHead);
  const stepsA = stepList(left);
  const stepsB = stepList(right);
  for (let i = 0; i < Math.max(stepsA.length, stepsB.length); i++) {
    const row = el('tr', stepsA[i]?.name !== stepsB[i]?.name ? 'differs' : '');
    row.append(el('th', '', String(i + 1)), stepCell(stepsA[i]), stepCell(stepsB[i]));
    steps.append(row);
  }
  target.replaceChildren(el('h2', '', l10n.t('Compare runs')), table, el('h3', '', l10n.t('Model and tool calls in order')), steps);
}

/** The model calls and tool calls of a run, in start order. */
function stepList(spans: readonly SpanData[]): SpanData[] {
  return spans.filter((s) => s.operation === 'chat' || s.operation === 'execute_tool').sort((x, y) => x.startTime - y.startTime);
}

function stepCell(span: SpanData | undefined): HTMLElement {
  if (!span) return el('td', 'missing', '—');
  const cell = el('td', `status-${span.status}`, `${span.name} · ${span.endTime !== undefined ? formatDuration(span.endTime - span.startTime) : l10n.t('running')}`);
  if (span.statusMessage) cell.title = span.statusMessage;
  return cell;
}
