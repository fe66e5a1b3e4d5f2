import { extname } from 'node:path';
import type { GrammarName } from './treeSitter';

const GRAMMARS: Record<string, GrammarName> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.tsx': 'tsx',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  '.py': 'python', '.pyi': 'python',
};

/** Languages chunked by line windows; named so `lang:` queries and hits can say what a chunk is. */
const OTHER_LANGUAGES: Record<string, string> = {
  '.md': 'markdown', '.json': 'json', '.jsonc': 'json', '.yml': 'yaml', '.yaml': 'yaml', '.toml': 'toml',
  '.html': 'html', '.css': 'css', '.scss': 'css', '.sh': 'shell', '.go': 'go', '.rs': 'rust', '.java': 'java',
  '.c': 'c', '.h': 'c', '.cpp': 'cpp', '.hpp': 'cpp', '.cs': 'csharp', '.rb': 'ruby', '.php': 'php', '.sql': 'sql',
};

/** The language of a workspace path by its extension: a tree-sitter grammar, another known language, or `text`. */
export function languageOf(path: string): { language: string; grammar?: GrammarName } {
  const ext = extname(path).toLowerCase();
  const grammar = GRAMMARS[ext];
  if (grammar) return { language: grammar === 'tsx' ? 'typescript' : grammar, grammar };
  return { language: OTHER_LANGUAGES[ext] ?? 'text' };
}

/** Every language name `languageOf` can return, for validating `lang:` in queries. */
export const KNOWN_LANGUAGES: ReadonlySet<string> = new Set(['typescript', 'javascript', 'python', 'text', ...Object.values(OTHER_LANGUAGES)]);
