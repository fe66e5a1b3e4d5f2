import { useTranslations } from '../protocol/translations';

/**
 * Hands the display language's translations to `@vscode/l10n`. The extension puts `vscode.l10n.bundle` (none in
 * English) in the page body's `data-l10n` attribute; anything that is not a JSON object of messages leaves the
 * English text, since a webview must render whatever its page holds.
 */
export function configureL10n(attribute: string | undefined): void {
  if (!attribute) return;
  let contents: unknown;
  try {
    contents = JSON.parse(attribute);
  } catch {
    return;
  }
  useTranslations(contents);
}

// Imported first by each webview's entry, so the translations are in place before any module renders or builds
// a label. Unit tests import this without a page.
if (typeof document !== 'undefined') configureL10n(document.body.dataset.l10n);
