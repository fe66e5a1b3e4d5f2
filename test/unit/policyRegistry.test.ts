import assert from 'node:assert/strict';
import { z } from 'zod';
import type { ReviewToolCallParams } from '../../protocol/rpc';
import { ApprovalBroker } from '../../host/governance/approvals';
import type { AuditEvent } from '../../host/governance/auditLog';
import type { PolicyDocument } from '../../host/governance/policy/policyDocument';
import { RunPolicy } from '../../host/governance/policy/runPolicy';
import { ToolRegistry, type Tool, type ToolContext } from '../../host/tools';
import { zodArgs } from '../../host/tools/argsSchema';
import { consent, recordingTrace } from './helpers';

/** A tool that runs a command line and reports the context it ran in. */
function shell(overrides: Partial<Tool<{ command: string }>> = {}): Tool<never> {
  return {
    name: 'shell', description: 'runs a line', risk: 'execute', source: 'builtin',
    args: zodArgs(z.object({ command: z.string() }).strict()),
    touches: ({ command }) => ({ command }),
    run: async (_args, context) => `sandbox=${context.policy.commandSandbox} asks=${context.policyAsks?.reason ?? 'no'}`,
    ...overrides,
  } as Tool<never>;
}

function setup(document: PolicyDocument | undefined) {
  const questions: ReviewToolCallParams[] = [];
  const audit: AuditEvent[] = [];
  const trace = recordingTrace();
  const approvals = new ApprovalBroker(consent({ reviewToolCall: async (review) => (questions.push(review), { decision: 'approved' }) }), 1000, { append: async (event) => void audit.push(event) });
  const rules = document && new RunPolicy([{ level: 'user', source: 'setting keel.policy', document: { default: { autonomy: 'autopilot' } }, hash: 'u' }, { level: 'workspace', source: '.keel/policy.jsonc', document, hash: 'w' }], { agent: 'keel', restricted: false });
  const context: ToolContext = { runId: 'r', policy: { allowHosts: [], commandSandbox: 'auto', rules }, workspace: undefined as never, approvals, span: trace.root, signal: new AbortController().signal };
  return { questions, audit, spans: trace.spans, context };
}

const call = (command: string) => ({ id: '1', name: 'shell', arguments: { command } });

describe('policy in the tool registry', () => {
  it('asks as before when no policy is in force, without policy words in the question', async () => {
    const { questions, context } = setup(undefined);
    assert.equal((await new ToolRegistry([shell()]).call(call('ls'), context)).ok, true);
    assert.equal(questions.length, 1);
    assert.equal(questions[0]!.title, 'Run shell?');
    assert.equal(questions[0]!.policy, undefined);
  });

  it('refuses a denied call without asking, and records the rule as an approval span and audit record', async () => {
    const { questions, audit, spans, context } = setup({ default: { commands: { deny: ['rm *'] } } });
    const outcome = await new ToolRegistry([shell()]).call(call('ls; rm -rf /'), context);
    assert.equal(outcome.ok, false);
    assert.match(outcome.content, /^The policy denies shell: `rm -rf \/` matches commands\.deny "rm \*" of the workspace policy\. Do not call it again/);
    assert.deepEqual(questions, []);
    assert.deepEqual(audit, [{ kind: 'approval', runId: 'r', subject: 'shell', decision: 'denied', decidedBy: 'policy', reason: '`rm -rf /` matches commands.deny "rm *" of the workspace policy', level: 'workspace', rule: 'commands.deny "rm *"' }]);
    const span = [...spans.values()].find((s) => s.operation === 'approval')!;
    assert.deepEqual([span.status, span.attributes['keel.approval.decided_by'], span.attributes['keel.policy.rule']], ['error', 'policy', 'commands.deny "rm *"']);
  });

  it('puts the policy’s reason, rule and level on the question', async () => {
    const { questions, audit, context } = setup({ default: { commands: { ask: ['git push *'] } } });
    await new ToolRegistry([shell()]).call(call('git push origin'), context);
    assert.match(questions[0]!.title, /^Run shell\? Policy asks because `git push origin` matches commands\.ask "git push \*" of the workspace policy\.$/);
    assert.deepEqual(questions[0]!.policy, { reason: '`git push origin` matches commands.ask "git push *" of the workspace policy', level: 'workspace', rule: 'commands.ask "git push *"' });
    assert.deepEqual(audit.find((e) => e.kind === 'approval'), { kind: 'approval', runId: 'r', subject: 'shell', decision: 'approved', decidedBy: 'user', level: 'workspace', rule: 'commands.ask "git push *"' });
  });

  it('tells a tool that asks by itself when the policy asks, and runs an opted-out command outside the sandbox', async () => {
    const { questions, context } = setup({ default: { commands: { ask: ['deploy *'], allow: [{ pattern: 'npm ci', sandbox: false }] } } });
    const registry = new ToolRegistry([shell({ reviewsOwnCalls: true })]);
    assert.match((await registry.call(call('deploy prod'), context)).content, /sandbox=auto asks=`deploy prod` matches commands\.ask/);
    assert.equal(questions.length, 0);
    // A workspace's opt-out is asked about by the registry's own question for tools that do not ask themselves.
    const plain = new ToolRegistry([shell()]);
    assert.match((await plain.call(call('npm ci'), context)).content, /sandbox=off/);
    assert.match(questions[0]!.title, /outside the OS sandbox/);
  });
});
