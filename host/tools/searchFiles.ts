import { realpath } from 'node:fs/promises';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { looksBinary } from '../workspace/binary';
import { openListedFile } from '../../protocol/node/confinedFiles';
import { walkWorkspace } from '../workspace/fileWalk';
import { zodArgs } from './argsSchema';
import { linearRegex, type LinearRegex } from './linearRegex';
import { defineTool } from './tool';

const MAX_MATCHES = 200;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 20_000;
const MAX_LINE_CHARS = 300;

export const searchFilesTool = defineTool({
  name: 'search_files',
  description: 'Search the text of workspace files for a literal string or a regular expression. Returns path:line: text for each match. Skips binary and very large files.',
  risk: 'read',
  source: 'builtin',
  idempotent: true,
  args: zodArgs(
    z
      .object({
        query: z.string().min(1).describe('Text to find, or a regular expression (RE2 syntax: no backreferences or lookaround) when regex is true'),
        regex: z.boolean().optional().describe('Treat query as a regular expression'),
        glob: z.string().min(1).optional().describe('Only search files matching this glob, e.g. "**/*.ts"'),
        case_sensitive: z.boolean().optional(),
      })
      .strict(),
  ),
  // It reads the text of any file the glob matches, which a policy's read scope may not cover.
  touches: () => ({ folders: ['.'] }),
  async run({ query, regex, glob, case_sensitive }, { workspace, span, signal }) {
    const pattern = toPattern(query, regex === true, case_sensitive === true);
    const realRoot = await realpath(workspace.root);
    const { files } = await walkWorkspace(realRoot, { glob, limit: MAX_FILES, signal });
    const matches: string[] = [];
    let searched = 0;
    for (const path of files) {
      signal.throwIfAborted();
      const text = await readText(realRoot, path);
      if (text === undefined) continue;
      searched++;
      const lines = text.split('\n');
      for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
        if (pattern.test(lines[i]!)) matches.push(`${path}:${i + 1}: ${lines[i]!.trim().slice(0, MAX_LINE_CHARS)}`);
      }
      if (matches.length >= MAX_MATCHES) break;
    }
    span.setAttributes({ 'keel.search.files': searched, 'keel.search.matches': matches.length });
    if (matches.length === 0) return `No matches for ${query} in ${searched} files.`;
    return matches.join('\n') + (matches.length >= MAX_MATCHES ? `\n[stopped at ${MAX_MATCHES} matches; narrow the query or glob]` : '');
  },
});

/** Literal text, or the model's regular expression on a linear-time engine (see `linearRegex`). */
function toPattern(query: string, regex: boolean, caseSensitive: boolean): LinearRegex {
  if (!regex) {
    const needle = caseSensitive ? query : query.toLowerCase();
    return { test: (line) => (caseSensitive ? line : line.toLowerCase()).includes(needle) };
  }
  try {
    return linearRegex(query, { caseInsensitive: !caseSensitive });
  } catch (error) {
    throw new Error(`${(error as Error).message} ${l10n.t('Fix it or search for literal text with {0}.', 'regex: false')}`, { cause: error });
  }
}

/** The file's text, or undefined for binary (a NUL byte early on) and oversized files, and files swapped since the walk. */
async function readText(realRoot: string, path: string): Promise<string | undefined> {
  const handle = await openListedFile(realRoot, path);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) return undefined;
    const buffer = await handle.readFile();
    if (looksBinary(buffer)) return undefined;
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
