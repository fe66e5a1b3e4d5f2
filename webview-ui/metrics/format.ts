import * as l10n from '@vscode/l10n';
import type { MetricsWindow } from '../../protocol/metrics';
import { formatDuration } from '../duration';

/** How the Metrics view writes numbers: short enough for a tile or a table cell, exact enough to act on. */

export function formatMs(ms: number | null): string {
  return ms === null ? '–' : formatDuration(ms);
}

export function formatPercent(fraction: number | null): string {
  return fraction === null ? '–' : `${Math.round(fraction * 1000) / 10}%`;
}

/** Dollars with the precision small model bills need: $0.0042, $1.25. */
export function formatUsd(amount: number | null): string {
  if (amount === null) return '–';
  if (amount === 0) return '$0';
  return amount < 1 ? `$${amount.toPrecision(2)}` : `$${amount.toFixed(2)}`;
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** A window's button text. */
export function windowLabel(window: MetricsWindow): string {
  switch (window) {
    case '1h': return l10n.t('1 h');
    case '24h': return l10n.t('24 h');
    case '7d': return l10n.t('7 d');
  }
}

/** A window as the view's sentences name it: "Metrics of {0}", "{0} runs finished in {1}". */
export function windowName(window: MetricsWindow): string {
  switch (window) {
    case '1h': return l10n.t('the last hour');
    case '24h': return l10n.t('the last 24 hours');
    case '7d': return l10n.t('the last 7 days');
  }
}
