/**
 * The translation this process speaks. Each side hands its bundle here once (the extension at activation, a webview
 * from its page, the host at initialize, the CLI from the locale), and worker threads are handed the same entries,
 * since a thread does not share the `@vscode/l10n` configuration of the one that started it.
 */
import * as l10n from '@vscode/l10n';

let inUse: Readonly<Record<string, string>> | undefined;

/**
 * The entries of a translation bundle that `l10n.t` can use: strings, and the `message` of an entry kept in the
 * English bundle's `{ message, comment }` form. Anything else (a comment-only entry, a number) would make `l10n.t`
 * throw or say "undefined", so it is left out and that message stays English; not an object at all: undefined.
 */
export function usableTranslations(bundle: unknown): Record<string, string> | undefined {
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) return undefined;
  const messages: Record<string, string> = {};
  for (const [key, value] of Object.entries(bundle)) {
    const message: unknown = typeof value === 'object' && value !== null ? (value as { message?: unknown }).message : value;
    if (typeof message === 'string') messages[key] = message;
  }
  return messages;
}

/** Speaks `bundle` from now on, as far as it is usable; false, and English as before, when it is not an object. */
export function useTranslations(bundle: unknown): boolean {
  const messages = usableTranslations(bundle);
  if (!messages) return false;
  l10n.config({ contents: messages });
  inUse = messages;
  return true;
}

/** What `useTranslations` took last, to hand to a worker thread; undefined in English. */
export function translationsInUse(): Readonly<Record<string, string>> | undefined {
  return inUse;
}
