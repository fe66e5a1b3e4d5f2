import * as l10n from '@vscode/l10n';

/**
 * A duration as every webview writes it: milliseconds under a second, seconds (two decimals under ten), then minutes
 * and seconds, then hours and minutes; a dash for what is not a duration (a clock that went back).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return l10n.t('{0} ms', Math.round(ms));
  if (ms < 60_000) return l10n.t('{0} s', (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return l10n.t('{0} min {1} s', minutes, Math.round((ms % 60_000) / 1000));
  return l10n.t('{0} h {1} min', Math.floor(minutes / 60), minutes % 60);
}
