/**
 * Which translation the host speaks. Messages for people go through `l10n.t` from `@vscode/l10n`; English needs
 * no bundle. In VS Code the extension sends the display language's bundle path; the CLI finds its own from the
 * locale. Text written for the model (prompts, tool descriptions and results) stays English on purpose.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { useTranslations } from '../protocol/translations';

/**
 * Loads the bundle at `path`. One that cannot be read or parsed leaves English, with a warning saying which file:
 * a bad translation must not stop the host. Entries that are not text are dropped (`usableTranslations`).
 */
export function loadTranslations(path: string | undefined, warn: (message: string) => void): void {
  if (!path) return;
  try {
    if (!useTranslations(JSON.parse(readFileSync(path, 'utf8')))) throw new Error(l10n.t('it is not a JSON object of messages'));
  } catch (error) {
    warn(`Keel's translation ${path} could not be loaded (${(error as Error).message}); messages stay in English.`);
  }
}

/**
 * The locales the CLI's environment asks for, most specific first: `KEEL_LOCALE`, then the first of `LC_ALL`,
 * `LC_MESSAGES` and `LANG` that is set, as `de_DE.UTF-8` → `de-de`, `de`. `C` and `POSIX` mean untranslated.
 */
export function localesFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env.KEEL_LOCALE || env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  const tag = raw.split(/[.@]/)[0]!.replace(/_/g, '-').toLowerCase();
  if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(tag) || tag === 'c' || tag === 'posix') return [];
  const language = tag.split('-')[0]!;
  return tag === language ? [tag] : [tag, language];
}

/** The first bundle in `l10nDir` (`bundle.l10n.<locale>.json`, as VS Code names them) for the asked-for locales. */
export function bundleForLocales(l10nDir: string, locales: readonly string[]): string | undefined {
  return locales.map((locale) => join(l10nDir, `bundle.l10n.${locale}.json`)).find((path) => existsSync(path));
}
