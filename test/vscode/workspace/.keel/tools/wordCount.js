// A Keel user tool: runs in the QuickJS sandbox with only the capabilities listed here.
tool({
  name: 'word_count',
  description: 'Count the words and lines of a workspace file.',
  input: {
    type: 'object',
    properties: { path: { type: 'string', description: 'Workspace-relative path' } },
    required: ['path'],
    additionalProperties: false,
  },
  capabilities: ['readFile'],
  async run(input) {
    const text = await readFile(input.path);
    const words = text.split(/\s+/).filter(Boolean).length;
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    console.log(`counted ${input.path}`);
    return { path: input.path, words, lines };
  },
});
