import type { Node, Tree } from '@vscode/tree-sitter-wasm';
import type { GrammarName } from './treeSitter';

/** A declaration in a file: its rows (0-based, inclusive, with the comments just above it) and its members. */
export interface OutlineItem {
  readonly start: number;
  readonly end: number;
  readonly symbol?: string;
  /** Methods and fields of a class, members of an interface, declarations in a namespace: where a big item splits. */
  readonly members: readonly OutlineItem[];
}

export interface Outline {
  readonly items: OutlineItem[];
  /** Rows of top-level imports: they name what a file uses, which makes them match queries about everything else. */
  readonly importRows: ReadonlySet<number>;
}

/** The declarations at the top of a parsed file, in order, and where its imports are. */
export function outline(tree: Tree, grammar: GrammarName): Outline {
  const rules = grammar === 'python' ? python : script;
  const nodes = tree.rootNode.namedChildren;
  const importRows = new Set<number>();
  for (const node of nodes) {
    if (!node || !rules.isImport(node)) continue;
    for (let row = node.startPosition.row; row <= node.endPosition.row; row++) importRows.add(row);
  }
  return { items: items(nodes, rules, ''), importRows };
}

interface GrammarRules {
  isComment(node: Node): boolean;
  isImport(node: Node): boolean;
  /** The declared name, or undefined when the node declares nothing worth a chunk of its own. */
  nameOf(node: Node): string | undefined;
  /** The nodes inside a declaration that become members when it is too big for one chunk. */
  membersOf(node: Node): readonly Node[];
}

function items(nodes: readonly (Node | null)[], rules: GrammarRules, prefix: string): OutlineItem[] {
  const result: (OutlineItem & { comment?: true })[] = [];
  let previousEnd = -1;
  for (const node of nodes) {
    if (!node) continue;
    const start = node.startPosition.row;
    const end = node.endPosition.row;
    if (rules.isImport(node)) {
      previousEnd = end;
      continue;
    }
    if (rules.isComment(node)) {
      // A comment after code on the same line belongs to that line, not to the next declaration.
      if (start > previousEnd) result.push({ start, end, members: [], comment: true });
    } else {
      const name = rules.nameOf(node);
      if (name !== undefined) {
        const symbol = prefix + name;
        result.push({ start, end, symbol, members: items(rules.membersOf(node), rules, `${symbol}.`) });
      }
    }
    previousEnd = end;
  }
  // Comments directly above a declaration (doc comments, JSDoc) are part of it: walk back so chains join up.
  for (let i = result.length - 2; i >= 0; i--) {
    const comment = result[i]!;
    const next = result[i + 1]!;
    if (comment.comment && !next.comment && comment.end + 1 >= next.start) result[i + 1] = { ...next, start: comment.start };
    if (comment.comment) result.splice(i, 1);
  }
  if (result.at(-1)?.comment) result.pop();
  return result;
}

const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function', 'class']);
const NAMED_DECLARATIONS = new Set([
  'function_declaration', 'generator_function_declaration', 'function_signature', 'class_declaration',
  'abstract_class_declaration', 'interface_declaration', 'type_alias_declaration', 'enum_declaration', 'module',
  'internal_module', 'method_definition', 'method_signature', 'abstract_method_signature',
]);

/** TypeScript, TSX and JavaScript. */
const script: GrammarRules = {
  isComment: (node) => node.type === 'comment',
  isImport: (node) => node.type === 'import_statement' || (node.type === 'export_statement' && node.childForFieldName('source') !== null) || isRequire(node),
  nameOf(node) {
    if (NAMED_DECLARATIONS.has(node.type)) return nameField(node);
    switch (node.type) {
      // Fields stay with the class header, unless they hold a function (`onClick = () => …`).
      case 'public_field_definition':
      case 'field_definition': {
        const value = node.childForFieldName('value');
        return value && FUNCTION_VALUES.has(value.type) ? nameField(node) ?? node.childForFieldName('property')?.text : undefined;
      }
      case 'export_statement': {
        const declaration = node.childForFieldName('declaration');
        if (declaration) return script.nameOf(declaration);
        const value = node.childForFieldName('value');
        return value && FUNCTION_VALUES.has(value.type) ? 'default' : undefined;
      }
      case 'lexical_declaration':
      case 'variable_declaration': {
        // `const parse = () => …` and `const config = {…}` are worth a chunk; `let a, b` is not one symbol.
        const declarators = node.namedChildren.filter((n) => n?.type === 'variable_declarator');
        const name = declarators.length === 1 ? declarators[0]!.childForFieldName('name') : null;
        return name?.type === 'identifier' ? name.text : undefined;
      }
      case 'ambient_declaration': {
        const declared = node.namedChildren[0];
        if (declared?.type === 'statement_block') return 'global';
        return declared ? script.nameOf(declared) : undefined;
      }
      case 'expression_statement': {
        const expression = node.namedChildren[0];
        if (expression?.type === 'internal_module') return nameField(expression);
        // `module.exports.parse = function …` and `Parser.prototype.parse = …`: how older JavaScript declares.
        if (expression?.type !== 'assignment_expression') return undefined;
        const right = expression.childForFieldName('right');
        const left = expression.childForFieldName('left');
        return right && left && FUNCTION_VALUES.has(right.type) ? left.text : undefined;
      }
      default:
        return undefined;
    }
  },
  membersOf(node) {
    switch (node.type) {
      case 'export_statement': {
        const declaration = node.childForFieldName('declaration');
        return declaration ? script.membersOf(declaration) : [];
      }
      case 'ambient_declaration':
        return node.namedChildren[0] ? script.membersOf(node.namedChildren[0]) : [];
      case 'expression_statement':
        return node.namedChildren[0]?.type === 'internal_module' ? script.membersOf(node.namedChildren[0]) : [];
      case 'class_declaration':
      case 'abstract_class_declaration':
      case 'interface_declaration':
      case 'module':
      case 'internal_module':
        return node.childForFieldName('body')?.namedChildren.filter((n) => n !== null) ?? [];
      default:
        return [];
    }
  },
};

const python: GrammarRules = {
  isComment: (node) => node.type === 'comment',
  isImport: (node) => node.type === 'import_statement' || node.type === 'import_from_statement' || node.type === 'future_import_statement',
  nameOf(node) {
    if (node.type === 'function_definition' || node.type === 'class_definition') return nameField(node);
    if (node.type === 'decorated_definition') {
      const definition = node.childForFieldName('definition');
      return definition ? python.nameOf(definition) : undefined;
    }
    return undefined;
  },
  membersOf(node) {
    if (node.type === 'decorated_definition') {
      const definition = node.childForFieldName('definition');
      return definition ? python.membersOf(definition) : [];
    }
    if (node.type !== 'class_definition') return [];
    return node.childForFieldName('body')?.namedChildren.filter((n) => n !== null) ?? [];
  },
};

/** `const fs = require('fs')`: CommonJS's import. */
function isRequire(node: Node): boolean {
  if (node.type !== 'lexical_declaration' && node.type !== 'variable_declaration') return false;
  return node.namedChildren.every((declarator) => {
    const value = declarator?.childForFieldName('value');
    return value?.type === 'call_expression' && value.childForFieldName('function')?.text === 'require';
  });
}

function nameField(node: Node): string | undefined {
  const name = node.childForFieldName('name');
  if (!name) return undefined;
  // `declare module 'fs'` names the module with a string.
  return name.type === 'string' ? name.text.slice(1, -1) : name.text;
}
