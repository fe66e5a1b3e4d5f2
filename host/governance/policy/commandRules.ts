import type { SimpleCommand, Word } from './commandWords';
import type { CommandRuleEntry } from './policyDocument';

/** A command rule ready to match: its words as matchers, and what it grants beyond the verdict. */
export interface CommandPattern {
  readonly pattern: string;
  readonly assignments: readonly WordMatcher[];
  readonly words: readonly WordMatcher[];
  /** The pattern ends in ` *`: any further arguments. */
  readonly rest: boolean;
  readonly sandbox: boolean;
  readonly network: boolean;
}

interface WordMatcher {
  /** `*` alone: any one word, dynamic ones included. */
  readonly any: boolean;
  test(text: string): boolean;
}

/** Compiles a rule: words split on spaces, each a glob where `*` and `?` match within the word. */
export function compileCommandRule(entry: CommandRuleEntry): CommandPattern {
  const rule = typeof entry === 'string' ? { pattern: entry } : entry;
  const parts = rule.pattern.trim().split(/\s+/);
  const rest = parts.length > 1 && parts.at(-1) === '*';
  if (rest) parts.pop();
  let first = 0;
  while (first < parts.length - 1 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(parts[first]!)) first++;
  return {
    pattern: rule.pattern,
    assignments: parts.slice(0, first).map(wordMatcher),
    words: parts.slice(first).map(wordMatcher),
    rest,
    sandbox: rule.sandbox ?? true,
    network: rule.network ?? false,
  };
}

/**
 * Whether an allow rule covers a command: its name exactly as written (so `./git` is not `git`), every argument
 * (a dynamic one only by `*`), and every `NAME=value` prefix (an allow rule for `npm test` does not cover
 * `NODE_OPTIONS=--require=x npm test`).
 */
export function allows(rule: CommandPattern, command: SimpleCommand): boolean {
  if (command.assignments.length !== rule.assignments.length) return false;
  if (!command.assignments.every((word, i) => literalMatch(rule.assignments[i]!, word))) return false;
  const { words } = command;
  if (words.length < rule.words.length || (!rule.rest && words.length !== rule.words.length)) return false;
  if (words[0]?.dynamic) return false;
  return rule.words.every((matcher, i) => literalMatch(matcher, words[i]!));
}

/**
 * Whether a deny or ask rule catches a command: by name or by the name's last path part (`/bin/rm` is `rm`), with
 * any further arguments, with prefixes ignored, and a dynamic argument caught by any word (it may be anything).
 */
export function restricts(rule: CommandPattern, command: SimpleCommand): boolean {
  if (!rule.assignments.every((matcher) => command.assignments.some((word) => word.dynamic || word.text.length > MAX_MATCHED_WORD || matcher.test(word.text)))) return false;
  const { words } = command;
  const name = words[0];
  if (!name || name.dynamic || words.length < rule.words.length) return false;
  const [nameMatcher, ...argMatchers] = rule.words;
  if (!nameMatcher!.test(name.text) && !nameMatcher!.test(name.text.slice(name.text.lastIndexOf('/') + 1))) return false;
  return argMatchers.every((matcher, i) => restrictsWord(matcher, words[i + 1]!));
}

function restrictsWord(matcher: WordMatcher, word: Word): boolean {
  return word.dynamic || word.text.length > MAX_MATCHED_WORD || matcher.test(word.text);
}

function literalMatch(matcher: WordMatcher, word: Word): boolean {
  return word.dynamic ? matcher.any : matcher.test(word.text);
}

/** Longer words are not matched against a glob (a hostile pair could cost seconds): only `*` allows them, any rule restricts them. */
const MAX_MATCHED_WORD = 8192;

function wordMatcher(glob: string): WordMatcher {
  if (glob === '*') return { any: true, test: () => true };
  if (!/[*?]/.test(glob)) return { any: false, test: (text) => text === glob };
  return { any: false, test: (text) => text.length <= MAX_MATCHED_WORD && globMatch(glob, text) };
}

/**
 * `*` (any run of characters) and `?` (one character), matched with one backtracking point: time proportional to
 * the two lengths multiplied at worst, never exponential, whatever the pattern.
 */
function globMatch(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || (glob[g] !== '*' && glob[g] === text[t]))) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star !== -1) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
