import { z } from 'zod';
import { walkWorkspace } from '../workspace/fileWalk';
import { zodArgs } from './argsSchema';
import { defineTool } from './tool';

const MAX_FILES = 500;

export const listFilesTool = defineTool({
  name: 'list_files',
  description: 'List files in the workspace, optionally filtered by a glob such as "src/**/*.ts" or "*.md". Honours .gitignore and .keelignore.',
  risk: 'read',
  source: 'builtin',
  idempotent: true,
  args: zodArgs(z.object({ glob: z.string().min(1).optional().describe('Glob over workspace-relative paths') }).strict()),
  async run({ glob }, { workspace, span, signal }) {
    const { files, truncated } = await walkWorkspace(workspace.root, { glob, limit: MAX_FILES, signal });
    span.setAttributes({ 'keel.files.count': files.length, 'keel.files.truncated': truncated });
    if (files.length === 0) return glob ? `No files match ${glob}.` : 'The workspace has no files.';
    return files.join('\n') + (truncated ? `\n[only the first ${MAX_FILES} files; narrow the glob]` : '');
  },
});
