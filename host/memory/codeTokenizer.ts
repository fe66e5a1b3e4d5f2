import type { Tokenizer } from '@orama/orama';

/**
 * Identifiers as written in code: letters, digits, `_` and `$`, with kebab-case joined by single hyphens
 * (`max-width`, `no-unused-vars`), or a run of digits.
 */
const WORD = /[A-Za-z_$][\w$]*(?:-[A-Za-z][\w$]*)*|\d+/g;
/** The parts of one identifier: `XMLHttpRequest2` → XML, Http, Request, 2. */
const PART = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;
const SEPARATOR = /[_\-$]+/;
/** One-letter tokens (`i`, `x`, `a`) are in nearly every chunk and, matched as prefixes, would match every word. */
const MIN_TOKEN_LENGTH = 2;

/** Common English words that carry no meaning in a query such as "how to read a file in python". */
const STOP_WORDS = new Set(
  ('a an and are as at be but by can do does for from has have how i if in into is it its me my no not of on or our ' +
    'should so than that the their them then there these they this those to was we what when where which who why will with ' +
    'you your').split(' '),
);

/**
 * The words of a text as Keel indexes and queries code: each identifier whole (lowercased) and split at
 * camelCase, PascalCase, snake_case and kebab-case boundaries; numbers kept; English stop words and one-letter
 * tokens dropped; no duplicates (Orama counts a token's documents once per token it is given). No stemming: on
 * CoSQA it did not improve ranking and it was the tokenizer's largest cost.
 */
export function codeTokens(text: string): string[] {
  const tokens = new Set<string>();
  for (const [word] of text.matchAll(WORD)) {
    const whole = word.toLowerCase();
    add(tokens, whole);
    if (!needsSplitting(word)) continue;
    for (const segment of word.split(SEPARATOR)) {
      for (const [part] of segment.matchAll(PART)) add(tokens, part.toLowerCase());
    }
  }
  return [...tokens];
}

/** An Orama tokenizer component (`components.tokenizer`) that uses {@link codeTokens} for documents and queries. */
export function createCodeTokenizer(): Tokenizer {
  return {
    language: 'english',
    normalizationCache: new Map(),
    tokenize: (raw) => codeTokens(raw),
  };
}

function add(tokens: Set<string>, token: string): void {
  if (token.length >= MIN_TOKEN_LENGTH && !STOP_WORDS.has(token)) tokens.add(token);
}

/** Whether a word has inner boundaries: a separator, a lower-to-upper change, or letters next to digits. */
function needsSplitting(word: string): boolean {
  return /[_\-$]|[a-z][A-Z]|[A-Z]{2}[a-z]|[A-Za-z]\d|\d[A-Za-z]/.test(word);
}
