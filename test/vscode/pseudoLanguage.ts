/**
 * A pseudo display language for tests, set up as a user's machine has a real one: a language pack for VS Code itself
 * (registered in the profile's languagepacks.json, as installing one from the Marketplace does; its core translation
 * is empty, so VS Code's own words stay English) and Keel's translation files beside its installed package, named
 * as a translator ships them. Every Keel string they hold is marked, so a test can tell translated text at a glance.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DisplayLanguage } from './codeServer';

export const PSEUDO_LOCALE = 'qps-ploc';
/** What every translated string starts with. */
export const PSEUDO_MARK = '[qps] ';

/** Marks every value of an l10n bundle or package.nls file; a bundle entry with a comment is `{ message, comment }`. */
function marked(file: string): Record<string, string> {
  const entries = Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | { message: string }>);
  return Object.fromEntries(entries.map(([key, value]) => [key, PSEUDO_MARK + (typeof value === 'string' ? value : value.message)]));
}

/** The pseudo language, with `pages` (walkthrough markdown file → text) translated too. */
export function pseudoLanguage(pages: Readonly<Record<string, string>> = {}): DisplayLanguage {
  return {
    locale: PSEUDO_LOCALE,
    install({ userDataDir, extensionDir }) {
      const core = join(userDataDir, 'pseudo-pack', 'main.i18n.json');
      mkdirSync(join(userDataDir, 'pseudo-pack'), { recursive: true });
      writeFileSync(core, JSON.stringify({ version: '1.0.0', contents: {} }));
      const pack = { hash: 'keel-test-pseudo-1', label: 'Pseudo', extensions: [{ extensionIdentifier: { id: 'keel-test.pseudo-language-pack' }, version: '0.0.1' }], translations: { vscode: core } };
      writeFileSync(join(userDataDir, 'languagepacks.json'), JSON.stringify({ [PSEUDO_LOCALE]: pack }));
      writeFileSync(join(extensionDir, `package.nls.${PSEUDO_LOCALE}.json`), JSON.stringify(marked(join(extensionDir, 'package.nls.json'))));
      writeFileSync(join(extensionDir, 'l10n', `bundle.l10n.${PSEUDO_LOCALE}.json`), JSON.stringify(marked(join(extensionDir, 'l10n', 'bundle.l10n.json'))));
      for (const [page, text] of Object.entries(pages)) writeFileSync(join(extensionDir, page.replace(/\.md$/, `.nls.${PSEUDO_LOCALE}.md`)), text);
    },
  };
}
