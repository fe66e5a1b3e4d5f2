import * as l10n from '@vscode/l10n';
import { codeTokens } from '../ranking/codeTokenizer';
import { KNOWN_LANGUAGES } from './chunking/languages';

export interface ParsedQuery {
  /** The words to rank by. */
  readonly text: string;
  /** `path:<glob>`: only files matching the glob. */
  readonly pathGlob?: string;
  /** `lang:<language>`: only chunks in that language. */
  readonly language?: string;
}

export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
}

const QUALIFIER = /^(path|lang):(.*)$/;
const LANGUAGE_ALIASES: Record<string, string> = { ts: 'typescript', js: 'javascript', py: 'python', md: 'markdown' };

/**
 * Reads a memory query: words, optionally with `path:<glob>` and `lang:<language>` anywhere in it, e.g.
 * `parse config path:src/** lang:typescript`. Throws {@link QuerySyntaxError} with what to write instead.
 */
export function parseQuery(query: string): ParsedQuery {
  const words: string[] = [];
  let pathGlob: string | undefined;
  let language: string | undefined;
  for (const word of query.trim().split(/\s+/).filter(Boolean)) {
    const qualifier = QUALIFIER.exec(word);
    if (!qualifier) {
      words.push(word);
      continue;
    }
    const [, name, value] = qualifier as unknown as [string, 'path' | 'lang', string];
    if (!value) throw new QuerySyntaxError(l10n.t('"{0}:" needs a value, e.g. {1}, with no space after the colon.', name, name === 'path' ? 'path:src/**/*.ts' : 'lang:python'));
    if ((name === 'path' ? pathGlob : language) !== undefined) throw new QuerySyntaxError(l10n.t('"{0}:" appears twice; give it once (use a glob such as {1} for several folders).', name, 'path:{src,lib}/**'));
    if (name === 'path') pathGlob = checkGlob(value);
    else language = checkLanguage(value);
  }
  const text = words.join(' ');
  if (!text) throw new QuerySyntaxError(l10n.t('The query has no words to search for. Describe the code, e.g. "parse the config file" or "walkWorkspace ignore rules".'));
  if (codeTokens(text).length === 0) {
    throw new QuerySyntaxError(l10n.t('"{0}" has no searchable words: one-letter words, punctuation and common English words are ignored. Use identifiers or longer words.', text));
  }
  return { text, ...(pathGlob ? { pathGlob } : {}), ...(language ? { language } : {}) };
}

function checkGlob(glob: string): string {
  if (glob.startsWith('/') || glob.split('/').includes('..')) throw new QuerySyntaxError(l10n.t('{0} must be a glob relative to the workspace root, e.g. {1}.', `path:${glob}`, 'path:src/**'));
  return glob;
}

function checkLanguage(value: string): string {
  const language = LANGUAGE_ALIASES[value.toLowerCase()] ?? value.toLowerCase();
  if (!KNOWN_LANGUAGES.has(language)) throw new QuerySyntaxError(l10n.t('{0} is not a language Keel indexes. Use one of: {1}.', `lang:${value}`, [...KNOWN_LANGUAGES].sort().join(', ')));
  return language;
}
