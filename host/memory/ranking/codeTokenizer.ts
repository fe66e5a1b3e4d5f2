import { components, type Tokenizer } from '@orama/orama';

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
 * The words of a text as written in code: each identifier whole (lowercased) and split at camelCase, PascalCase,
 * snake_case and kebab-case boundaries; numbers kept; English stop words and one-letter tokens dropped; no
 * duplicates (Orama counts a token's documents once per token it is given).
 */
export function codeTokens(text: string): string[] {
  return tokens(text, false);
}

/**
 * What Keel indexes and searches by: {@link codeTokens}, with plain words (and the words inside identifiers) reduced
 * to their English stem, so "sorting files" finds `sort_files` and "returns" finds `return`. An identifier of
 * several words is also kept whole and unstemmed, so searching for it by name still ranks it first. On CoSQA this
 * took MRR@10 from 0.294 to 0.307; stemming whole identifiers as well had not helped.
 */
export function searchTokens(text: string): string[] {
  return tokens(text, true);
}

function tokens(text: string, stemmed: boolean): string[] {
  const found = new Set<string>();
  for (const [word] of text.matchAll(WORD)) {
    const whole = word.toLowerCase();
    if (!needsSplitting(word)) {
      add(found, stemmed ? stem(whole) : whole);
      continue;
    }
    add(found, whole);
    for (const segment of word.split(SEPARATOR)) {
      for (const [part] of segment.matchAll(PART)) {
        const lower = part.toLowerCase();
        add(found, stemmed ? stem(lower) : lower);
      }
    }
  }
  return [...found];
}

/** Orama's English (Porter) stemmer, which its package exports only as part of a tokenizer. */
const stemmer = components.tokenizer.createTokenizer({ language: 'english', stemming: true }).stemmer!;
/** Words repeat across a workspace's files, and stemming is the slowest step of tokenizing: each word's result is kept. */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

/** A word's English stem; numbers and words with digits or `$` as they are. Stop words are checked before stemming. */
function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    stemmed = STOP_WORDS.has(word) || !/^[a-z]+$/.test(word) ? word : stemmer(word);
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    stems.set(word, stemmed);
  }
  return stemmed;
}

/** {@link searchTokens} of a search document, as one string (tokens never hold spaces): cheap to pass between threads. */
export function joinedSearchTokens(text: string): string {
  return searchTokens(text).join(' ');
}

export interface CodeTokenizer extends Tokenizer {
  /**
   * The tokens of the next texts Orama will ask for, in order, computed elsewhere (a chunking worker) with
   * {@link joinedSearchTokens}. A text that is not the next one expected is tokenized as usual.
   */
  expect(texts: readonly string[], joinedTokens: readonly string[]): void;
}

/** An Orama tokenizer component (`components.tokenizer`) that uses {@link searchTokens} for documents and queries. */
export function createCodeTokenizer(): CodeTokenizer {
  let texts: readonly string[] = [];
  let joined: readonly string[] = [];
  let next = 0;
  return {
    language: 'english',
    normalizationCache: new Map(),
    tokenize(raw) {
      // The same string object Orama was handed, so this compares pointers, not text.
      if (next < texts.length && texts[next] === raw) {
        const tokens = joined[next++]!;
        return tokens === '' ? [] : tokens.split(' ');
      }
      return searchTokens(raw);
    },
    expect(nextTexts, nextJoined) {
      texts = nextTexts;
      joined = nextJoined;
      next = 0;
    },
  };
}

function add(tokens: Set<string>, token: string): void {
  if (token.length >= MIN_TOKEN_LENGTH && !STOP_WORDS.has(token)) tokens.add(token);
}

/** Whether a word has inner boundaries: a separator, a lower-to-upper change, or letters next to digits. */
function needsSplitting(word: string): boolean {
  return /[_\-$]|[a-z][A-Z]|[A-Z]{2}[a-z]|[A-Za-z]\d|\d[A-Za-z]/.test(word);
}
