/**
 * Past runs from the host's trace store: filter by outcome, search every kept span (host `trace/search`), open a run
 * here or in an editor tab, and pick two to compare.
 */
import * as l10n from '@vscode/l10n';
import type { RunSummary, TraceSearchHit } from '../../protocol/trace';
import { formatDuration } from '../duration';
import { formatCost, statusLabel, tokensText } from '../model/labels';
import { el, iconButton } from './dom';

export interface HistoryHost {
  list(outcome?: string): void;
  search(text: string): void;
  open(traceId: string, spanId?: string): void;
  openInPanel(traceId: string): void;
  compare(left: string, right: string): void;
}

const OUTCOMES = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export class HistoryView {
  readonly element = el('div', 'history');
  private readonly listElement = el('ul', 'run-list');
  private readonly hitsElement = el('ul', 'hit-list');
  private readonly status = el('p', 'note');
  private readonly compareButton = el('button', 'primary', l10n.t('Compare'));
  private readonly picked: string[] = [];
  private outcome = '';

  constructor(private readonly host: HistoryHost) {
    const bar = el('div', 'filter-bar');
    const search = el('input', 'search');
    search.type = 'search';
    search.placeholder = l10n.t('Search all runs');
    search.setAttribute('aria-label', l10n.t('Search the spans of all kept runs'));
    search.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && search.value.trim()) host.search(search.value.trim().slice(0, 500));
    });
    const outcome = el('select', 'outcome-filter');
    outcome.setAttribute('aria-label', l10n.t('Outcome'));
    for (const value of ['', ...OUTCOMES]) {
      const option = el('option', '', value || l10n.t('Any outcome'));
      option.value = value;
      outcome.append(option);
    }
    outcome.addEventListener('change', () => {
      this.outcome = outcome.value;
      this.refresh();
    });
    this.compareButton.type = 'button';
    this.compareButton.disabled = true;
    this.compareButton.title = l10n.t('Pick two runs to compare them side by side');
    this.compareButton.addEventListener('click', () => {
      if (this.picked.length === 2) host.compare(this.picked[0]!, this.picked[1]!);
    });
    bar.append(search, outcome, this.compareButton);
    this.hitsElement.setAttribute('aria-label', l10n.t('Search results'));
    this.listElement.setAttribute('aria-label', l10n.t('Kept runs'));
    this.element.append(bar, this.hitsElement, this.status, this.listElement);
  }

  refresh(): void {
    this.status.textContent = l10n.t('Loading runs…');
    this.host.list(this.outcome || undefined);
  }

  showRuns(runs: readonly RunSummary[], error?: string): void {
    this.status.textContent = error ? l10n.t('Could not list runs: {0}', error) : runs.length === 0 ? l10n.t('No kept runs.') : '';
    this.listElement.replaceChildren(...runs.map((run) => this.runItem(run)));
  }

  showHits(text: string, hits: readonly TraceSearchHit[], error?: string): void {
    const items = hits.map((hit) => {
      const item = el('li', 'hit');
      const open = el('button', 'link', hit.name);
      open.type = 'button';
      open.addEventListener('click', () => this.host.open(hit.traceId, hit.spanId));
      item.append(open, el('div', 'snippet', hit.snippet));
      return item;
    });
    const heading = el('li', 'note', error ? l10n.t('Search failed: {0}', error) : hits.length === 1 ? l10n.t('1 span holds “{0}”', text) : l10n.t('{0} spans hold “{1}”', hits.length, text));
    this.hitsElement.replaceChildren(heading, ...items);
  }

  private runItem(run: RunSummary): HTMLElement {
    const item = el('li', `run-item outcome-${run.outcome}`);
    item.dataset.traceId = run.traceId;
    const pick = el('input');
    pick.type = 'checkbox';
    pick.checked = this.picked.includes(run.traceId);
    pick.setAttribute('aria-label', l10n.t('Pick “{0}” to compare', run.goal));
    pick.addEventListener('change', () => this.pick(run.traceId, pick.checked));
    const title = el('button', 'link run-title', run.goal || run.runId);
    title.type = 'button';
    title.title = l10n.t('Open “{0}” in the trace view', run.goal);
    title.addEventListener('click', () => this.host.open(run.traceId));
    const duration = run.endTime !== undefined ? formatDuration(run.endTime - run.startTime) : l10n.t('running');
    const facts = [
      statusLabel(run.outcome),
      new Date(run.startTime).toLocaleString(),
      duration,
      run.models?.join(', '),
      tokensText(run.inputTokens, run.outputTokens),
      formatCost(run.costUsd),
    ].filter(Boolean);
    const meta = el('div', 'meta', facts.join(' · '));
    const line = el('div', 'run-line');
    line.append(pick, title, iconButton('codicon-link-external', l10n.t('Open in an editor tab'), () => this.host.openInPanel(run.traceId)));
    item.append(line, meta);
    return item;
  }

  private pick(traceId: string, on: boolean): void {
    const at = this.picked.indexOf(traceId);
    if (on && at < 0) this.picked.push(traceId);
    if (!on && at >= 0) this.picked.splice(at, 1);
    // The oldest pick gives way to a third.
    while (this.picked.length > 2) this.picked.shift();
    for (const box of this.listElement.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
      box.checked = this.picked.includes(box.closest<HTMLElement>('.run-item')?.dataset.traceId ?? '');
    }
    this.compareButton.disabled = this.picked.length !== 2;
  }
}
