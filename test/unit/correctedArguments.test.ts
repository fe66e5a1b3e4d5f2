import assert from 'node:assert/strict';
import { ApprovalBroker } from '../../host/governance/approvals';
import { RunPolicy } from '../../host/governance/policy/runPolicy';
import { builtinTools, type ToolContext } from '../../host/tools';
import type { ToolCallDecision } from '../../protocol/run';
import { headlessWorkspace, recordingTrace, tempDir } from './helpers';

/** The approval center lets the user correct a call's arguments before approving; the host checks them again. */
describe('tool calls approved with corrected arguments', () => {
  async function call(command: string, answer: ToolCallDecision, rules?: RunPolicy) {
    const root = await tempDir();
    const workspace = headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => answer });
    const { spans, root: span } = recordingTrace();
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [], commandSandbox: 'off', ...(rules ? { rules } : {}) }, workspace, approvals: new ApprovalBroker(workspace, 5000), span, signal: new AbortController().signal };
    const outcome = await builtinTools().call({ id: '1', name: 'run_command', arguments: { command } }, context);
    return { outcome, spans };
  }

  it('runs what the user approved, and tells the model the arguments were corrected', async () => {
    const { outcome } = await call('echo wrong', { decision: 'approved', arguments: { command: 'echo right' } });
    assert.equal(outcome.ok, true);
    assert.match(outcome.content, /^The user corrected the arguments before approving; it ran with \{"command":"echo right"\}\./);
    assert.match(outcome.content, /right/);
    assert.doesNotMatch(outcome.content, /\nwrong/);
  });

  it('refuses corrected arguments the schema does not accept, running nothing', async () => {
    const { outcome } = await call('echo one', { decision: 'approved', arguments: { command: 42 } });
    assert.equal(outcome.ok, false);
    assert.match(outcome.content, /corrected do not fit its schema/);
  });

  it('refuses corrected arguments the policy denies: a correction cannot route around a rule', async () => {
    const document = { default: { commands: { deny: ['rm *'] } } };
    const rules = new RunPolicy([{ level: 'workspace', source: '.keel/policy.jsonc', document, hash: 'h' }] as never, { agent: 'keel', restricted: false });
    const { outcome } = await call('ls', { decision: 'approved', arguments: { command: 'ls && rm -rf build' } }, rules);
    assert.equal(outcome.ok, false);
    assert.match(outcome.content, /policy denies the arguments the user corrected/);
  });
});
