import assert from 'node:assert/strict';
import { jsonSchemaArgs } from '../../host/tools/argsSchema';
import { ApprovalBroker } from '../../host/governance/approvals';
import { BUILTIN_TOOLS, ToolRegistry } from '../../host/tools';
import { instrumentedTools } from '../fuzz/instrumentedTools';
import { invalidArguments } from '../fuzz/invalidArguments';
import { consent, recordingTrace } from './helpers';

describe('tool registry under fuzzing', () => {
  it('refuses thousands of malformed argument objects before any implementation runs', async () => {
    const { tools, reached } = instrumentedTools();
    const registry = new ToolRegistry(tools);
    const approvals = new ApprovalBroker(consent({ reviewEdit: async () => ({ decision: 'approved' }), reviewToolCall: async () => ({ decision: 'approved' }) }), 1000);
    const { root } = recordingTrace();
    let calls = 0;
    for (const tool of tools) {
      for (const args of invalidArguments(tool.args.jsonSchema, 1000, tool.name.length)) {
        const outcome = await registry.call({ id: `c${calls++}`, name: tool.name, arguments: args }, { runId: 'fuzz', policy: { allowHosts: [] }, workspace: undefined as never, approvals, span: root, signal: new AbortController().signal });
        assert.equal(outcome.ok, false, `${tool.name} accepted ${JSON.stringify(args)}`);
        assert.match(outcome.content, /^Invalid arguments for /);
      }
    }
    assert.equal(calls, tools.length * 1000);
    assert.ok(calls >= 6000);
    assert.equal(reached(), 0);
  });

  it('only generates arguments that an independent validator (Ajv on the JSON schema) also refuses', () => {
    for (const tool of BUILTIN_TOOLS) {
      const independent = jsonSchemaArgs(tool.args.jsonSchema);
      for (const args of invalidArguments(tool.args.jsonSchema, 500)) assert.equal(independent.parse(args).ok, false, JSON.stringify(args));
    }
  });
});
