import * as l10n from '@vscode/l10n';
import type { Node, Tree } from '@vscode/tree-sitter-wasm';
import { ParseTimeout, sharedSyntaxParsers, type SyntaxParsers } from '../../memory/workspaceIndex/chunking/treeSitter';
import { innerCommands } from './commandWrappers';
import type { SimpleCommand, Word } from './commandWords';

/** A command line taken apart for the policy's command rules. */
export interface ParsedCommandLine {
  /** Every simple command that may run, nested ones (`$(…)`, `sh -c '…'`, `find -exec …`) included. */
  readonly commands: readonly SimpleCommand[];
  /**
   * Commands a wrapper may run that Keel could not delimit exactly (`timeout -x 5 rm …` with an option it does not
   * know): checked against deny and ask rules only, so they can stop a command but never allow one.
   */
  readonly probes: readonly SimpleCommand[];
  /** Files output is redirected to (`> file`, `>> file`, `&> file`). */
  readonly writes: readonly Word[];
  /** Why parts of the line cannot be checked (a command name from a variable, a parse error): the line asks. */
  readonly opaque: readonly string[];
}

/** Found once: looking up where the grammars are costs more than parsing a command line. */
let parsers: SyntaxParsers | undefined;

/**
 * Longer lines are not parsed: they ask. Parsing and checking run on the host's thread, and a line this long costs
 * a few milliseconds at worst, where 64 KiB of `ls|ls|…` cost over a second.
 */
const MAX_COMMAND_CHARS = 16 * 1024;
/**
 * A line the parser needs longer for (nested shells included) asks. Ordinary lines take tens of microseconds, but
 * the grammar has pathological inputs: 128 characters of `x=(x=(…` took 56 ms, 16 KiB of `ls|ls|…` most of a second.
 */
const PARSE_BUDGET_MS = 20;
/** `sh -c "sh -c '…'"` is parsed this many levels deep; deeper asks. */
const MAX_NESTING = 4;
/** A line with more commands, assignments and redirects than this, or a command with more words, asks. */
const MAX_PARTS = 500;
const MAX_WORDS = 1000;

/**
 * Parses a shell command line with the bash grammar and lists every simple command in it, so a rule that allows
 * `git status` cannot let `git status && rm -rf ~` (or `;`, `|`, `$(…)`, backticks, newlines, subshells, process
 * substitution, heredocs, `bash -c`, `eval`, `xargs`, `find -exec`) through.
 */
export async function parseCommandLine(line: string): Promise<ParsedCommandLine> {
  const found: Found = { commands: [], probes: [], writes: [], opaque: [] };
  await collect(line, 0, found, performance.now() + PARSE_BUDGET_MS);
  return found;
}

interface Found {
  commands: SimpleCommand[];
  probes: SimpleCommand[];
  writes: Word[];
  opaque: string[];
}

async function collect(line: string, depth: number, found: Found, deadline: number): Promise<void> {
  if (line.length > MAX_COMMAND_CHARS) return void found.opaque.push(l10n.t('the command is longer than {0} characters', MAX_COMMAND_CHARS));
  if (depth > MAX_NESTING) return void found.opaque.push(l10n.t('commands are nested more than {0} shells deep', MAX_NESTING));
  // Each separator can start a command: far more than the parts checked is refused before parsing.
  if ((line.match(/[|;&\n]/g)?.length ?? 0) > 2 * MAX_PARTS) return void found.opaque.push(l10n.t('it has more than {0} commands, assignments and redirections', MAX_PARTS));
  let tree: Tree;
  try {
    tree = await (parsers ??= sharedSyntaxParsers()).parse('bash', line, Math.max(0, deadline - performance.now()));
  } catch (error) {
    if (error instanceof ParseTimeout) return void found.opaque.push(l10n.t('it is too complex to parse in time'));
    throw error;
  }
  try {
    const nested: string[] = [];
    walk(tree, found, nested);
    for (const inner of nested) await collect(inner, depth + 1, found, deadline);
  } finally {
    tree.delete();
  }
}

/** The nodes that run something, change what runs, or write a file; tree-sitter finds them in one call. */
const INTERESTING = ['command', 'declaration_command', 'unset_command', 'variable_assignment', 'function_definition', 'file_redirect'];

/** Collects the commands of a parsed line, in order, and what is opaque about it. */
function walk(tree: Tree, found: Found, nested: string[]): void {
  const root = tree.rootNode;
  if (root.hasError) {
    const [error] = root.descendantsOfType('ERROR');
    found.opaque.push(error ? l10n.t('it does not parse as a shell command near "{0}"', clip(error.text)) : l10n.t('it does not parse as a shell command (something is missing)'));
  }
  const nodes = root.descendantsOfType(INTERESTING);
  if (nodes.length > MAX_PARTS) return void found.opaque.push(l10n.t('it has more than {0} commands, assignments and redirections', MAX_PARTS));
  for (const node of nodes) {
    if (!node) continue;
    if (found.commands.length + found.probes.length > 4 * MAX_PARTS) return void found.opaque.push(l10n.t('it runs too many commands to check'));
    switch (node.type) {
      case 'command':
        if (node.namedChildCount > MAX_WORDS) found.opaque.push(l10n.t('a command in it has more than {0} words', MAX_WORDS));
        else addCommand(simpleCommand(node), found, nested);
        break;
      case 'declaration_command':
      case 'unset_command': {
        const words = node.children.filter((c) => c !== null).map((c) => (c.type === 'variable_assignment' ? assignmentWord(c) : wordOf(c)));
        addCommand({ assignments: [], words, source: node.text }, found, nested);
        break;
      }
      case 'variable_assignment':
        // `PATH=/tmp/x; git status` changes what the next command runs, so a bare assignment is a command of its own.
        if (!['command', 'declaration_command'].includes(node.parent?.type ?? '')) addCommand({ assignments: [], words: [assignmentWord(node)], source: node.text }, found, nested);
        break;
      case 'function_definition':
        found.opaque.push(l10n.t('it defines the shell function "{0}", which can stand in for any command', clip(node.childForFieldName('name')?.text ?? '')));
        break;
      case 'file_redirect': {
        const target = redirectTarget(node);
        if (target) found.writes.push(target);
        break;
      }
    }
  }
}

function addCommand(command: SimpleCommand, found: Found, nested: string[]): void {
  found.commands.push(command);
  const inner = innerCommands(command);
  found.commands.push(...inner.commands);
  found.probes.push(...inner.probes);
  found.opaque.push(...inner.opaque);
  nested.push(...inner.scripts);
}

function simpleCommand(node: Node): SimpleCommand {
  const assignments: Word[] = [];
  const words: Word[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'variable_assignment') assignments.push(assignmentWord(child));
    else if (child.type === 'command_name') words.push(nameOf(child));
    else if (!child.type.endsWith('_redirect')) words.push(wordOf(child));
  }
  return { assignments, words, source: node.text };
}

/** A command name that would be expanded (`$X`, `/bin/r?`, `{rm,-rf}`) is dynamic: it can be any command. */
function nameOf(node: Node): Word {
  const inner = node.namedChildren[0];
  const word = inner ? wordOf(inner) : { text: node.text, dynamic: true };
  return !word.dynamic && inner && hasUnquotedGlob(inner) ? { text: word.text, dynamic: true } : word;
}

function assignmentWord(node: Node): Word {
  const name = node.childForFieldName('name')?.text ?? '';
  const value = node.childForFieldName('value');
  const evaluated = value ? wordOf(value) : { text: '', dynamic: false };
  return { text: `${name}=${evaluated.text}`, dynamic: evaluated.dynamic };
}

/** The value of a word as the shell would pass it, when it is plain text after quoting and escapes. */
function wordOf(node: Node): Word {
  const text = literal(node);
  return text === undefined ? { text: node.text, dynamic: true } : { text, dynamic: false };
}

function literal(node: Node): string | undefined {
  switch (node.type) {
    case 'word':
      return /[{}]/.test(node.text) && /,|\.\./.test(node.text) ? undefined : unescapeWord(node.text);
    case 'number':
    case 'variable_name':
    case 'export':
    case 'declare':
    case 'local':
    case 'readonly':
    case 'typeset':
    case 'unset':
    case 'unsetenv':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string': {
      let text = '';
      for (const child of node.namedChildren) {
        if (child?.type !== 'string_content') return undefined;
        text += child.text.replace(/\\([\\"$`])/g, '$1').replace(/\\\n/g, '');
      }
      return text;
    }
    case 'concatenation': {
      // `{a,b}` arrives as the words `{`, `a,b`, `}`: bash would expand it into two words.
      const plain = node.namedChildren.filter((c) => c?.type === 'word').map((c) => c!.text).join('');
      if (/\{/.test(plain) && /\}/.test(plain) && /,|\.\./.test(plain)) return undefined;
      let text = '';
      for (const child of node.namedChildren) {
        const part = child && literal(child);
        if (part === undefined) return undefined;
        text += part;
      }
      return text;
    }
    default:
      return undefined;
  }
}

function unescapeWord(text: string): string {
  return text.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

/** Unquoted `*`, `?` or `[…]` in a word: the shell replaces it with matching file names (`[` alone is `test`). */
function hasUnquotedGlob(node: Node): boolean {
  if (node.type === 'word') return /(^|[^\\])([*?]|\[.*\])/.test(node.text);
  if (node.type === 'concatenation') return node.namedChildren.some((child) => child !== null && hasUnquotedGlob(child));
  return false;
}

/** The file a redirection writes, or undefined for input and descriptor copies (`2>&1`, `>&-`). */
function redirectTarget(node: Node): Word | undefined {
  const operator = node.children.find((c) => c !== null && /^(>|>>|>\||&>|&>>|<>|>&)$/.test(c.type));
  if (!operator) return undefined;
  const destination = node.childForFieldName('destination') ?? node.namedChildren.at(-1);
  if (!destination || destination.type === 'file_descriptor') return undefined;
  const target = wordOf(destination);
  if (operator.type === '>&' && (/^\d+$/.test(target.text) || target.text === '-')) return undefined;
  return target;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
