/**
 * The entries of a translation bundle that `l10n.t` can use: a JSON object's string values. Anything else (a
 * comment-only entry, a number, an array) would make `l10n.t` throw or say "undefined", so it is left out and that
 * message stays English; not an object at all: undefined.
 */
export function usableTranslations(bundle: unknown): Record<string, string> | undefined {
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) return undefined;
  return Object.fromEntries(Object.entries(bundle).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
