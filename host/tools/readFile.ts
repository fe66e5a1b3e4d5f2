import { z } from 'zod';
import { zodArgs } from './argsSchema';
import { defineTool } from './tool';

const MAX_CHARS = 100_000;

export const readFileTool = defineTool({
  name: 'read_file',
  description: 'Read a text file from the workspace. The path is relative to the workspace root. Files that .gitignore or .keelignore exclude are refused.',
  risk: 'read',
  source: 'builtin',
  idempotent: true,
  args: zodArgs(z.object({ path: z.string().min(1).describe('Workspace-relative path, e.g. src/index.ts') }).strict()),
  touches: ({ path }) => ({ reads: [path] }),
  async run({ path }, { workspace, span }) {
    const text = await workspace.readFile(path);
    span.setAttributes({ 'keel.file.path': path, 'keel.file.chars': text.length });
    if (text.length <= MAX_CHARS) return text;
    return `${text.slice(0, MAX_CHARS)}\n[truncated: showing ${MAX_CHARS} of ${text.length} characters]`;
  },
});
