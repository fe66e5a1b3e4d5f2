import { z } from 'zod';
import { contentHash } from '../governance/auditLog';
import { zodArgs } from './argsSchema';
import { defineTool } from './tool';

export const createFileTool = defineTool({
  name: 'create_file',
  description: 'Create a new file in the workspace with the given content. Fails if the file exists: change existing files with propose_edit.',
  risk: 'write',
  source: 'builtin',
  args: zodArgs(
    z
      .object({
        path: z.string().min(1).describe('Workspace-relative path of the new file; missing folders are created'),
        content: z.string().describe('The whole content of the file'),
      })
      .strict(),
  ),
  touches: ({ path }) => ({ writes: [path] }),
  describeCall: ({ path, content }) => `Create ${path} (${content.split('\n').length} lines)?`,
  async run({ path, content }, { workspace, audit, runId, span }) {
    await workspace.createFile(path, content);
    await audit?.append({ kind: 'file_change', runId, path, before: null, after: contentHash(content) });
    span.setAttributes({ 'keel.file.path': path, 'keel.file.chars': content.length });
    return `Created ${path}.`;
  },
});
