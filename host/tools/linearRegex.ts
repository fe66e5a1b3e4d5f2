import * as l10n from '@vscode/l10n';
import { RE2JS } from 're2js';

/**
 * Regular expressions that a model, a workspace tool's schema or an MCP server wrote run on RE2's engine (`re2js`),
 * whose matching time is linear in the text. JavaScript's backtracking engine can take minutes on `(a+)+$` against
 * forty characters, and it cannot be interrupted: the host's event loop would stop for all that time. RE2 has no
 * backreferences or lookaround; a pattern that needs them is refused with a message that says so.
 */
export interface LinearRegex {
  /** Whether the pattern occurs anywhere in `text` (JavaScript's `RegExp.prototype.test`). */
  test(text: string): boolean;
}

export function linearRegex(source: string, options: { caseInsensitive?: boolean } = {}): LinearRegex {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, options.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw new Error(l10n.t('The regular expression is invalid ({0}). Keel matches with RE2 syntax, which has no backreferences or lookaround.', (error as Error).message), { cause: error });
  }
  return { test: (text) => compiled.matcher(text).find() };
}

/** Ajv's `code.regExp` engine: JSON-schema `pattern` and `patternProperties` checked in linear time. */
export const ajvLinearRegExp = Object.assign((pattern: string, flags: string) => linearRegex(pattern, { caseInsensitive: flags.includes('i') }), { code: 'linearRegex' });
