import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, ToolRegistry, type Tool, type ToolContext } from '../../host/tools';
import { zodArgs } from '../../host/tools/argsSchema';
import { CallPolicy, TransientToolError } from '../../host/tools/callPolicy';
import { z } from 'zod';
import { consent, recordingTrace } from './helpers';

function context(allowHosts: string[] = []): ToolContext {
  const approve = async () => ({ decision: 'approved' as const });
  return { runId: 'r', policy: { allowHosts }, workspace: undefined as never, approvals: new ApprovalBroker(consent({ reviewEdit: approve, reviewToolCall: approve }), 1000), span: recordingTrace().root, signal: new AbortController().signal };
}

function fakeTool(overrides: Partial<Tool<Record<string, never>>> & Pick<Tool<Record<string, never>>, 'run'>): Tool<never> {
  return { name: 'fake', description: 'fake', risk: 'read', source: 'builtin', args: zodArgs(z.object({}).strict()), ...overrides } as Tool<never>;
}

describe('tool call policy', () => {
  it('stops a call that runs past its timeout, even if the tool ignores its signal', async () => {
    const registry = new ToolRegistry([fakeTool({ timeoutMs: 50, run: () => new Promise(() => undefined) })]);
    const outcome = await registry.call({ id: '1', name: 'fake', arguments: {} }, context());
    assert.deepEqual(outcome, { ok: false, content: 'fake failed: fake did not finish within 0 s.' });
  });

  it('limits calls per minute per tool', async () => {
    const registry = new ToolRegistry([fakeTool({ callsPerMinute: 3, run: async () => 'ok' })]);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await registry.call({ id: String(i), name: 'fake', arguments: {} }, context()));
    assert.deepEqual(results.slice(0, 3).map((r) => r.ok), [true, true, true]);
    assert.match(results[3]!.content, /limited to 3 calls a minute; wait \d+ s/);
  });

  it('shares an MCP server\'s limit across its tools and the host\'s registries, and never limits local reads', async () => {
    const shared = new CallPolicy();
    const server = (name: string) => fakeTool({ name, source: 'mcp:srv', risk: 'read', callsPerMinute: undefined, run: async () => 'ok' });
    const first = new ToolRegistry([server('mcp__srv__a'), fakeTool({ name: 'read', run: async () => 'ok' })], undefined, shared);
    const second = new ToolRegistry([server('mcp__srv__b')], undefined, shared);
    for (let i = 0; i < 60; i++) assert.ok((await first.call({ id: String(i), name: 'mcp__srv__a', arguments: {} }, context())).ok);
    for (let i = 0; i < 60; i++) assert.ok((await second.call({ id: String(i), name: 'mcp__srv__b', arguments: {} }, context())).ok);
    assert.match((await second.call({ id: 'over', name: 'mcp__srv__b', arguments: {} }, context())).content, /limited to 120 calls a minute/);
    for (let i = 0; i < 300; i++) assert.ok((await first.call({ id: `r${i}`, name: 'read', arguments: {} }, context())).ok, `read ${i}`);
  });

  it('retries transient failures of idempotent tools only', async () => {
    let idempotentCalls = 0;
    let otherCalls = 0;
    const flaky = (count: () => number) => async () => {
      if (count() < 3) throw new TransientToolError('connection dropped');
      return 'finally';
    };
    const registry = new ToolRegistry([
      fakeTool({ name: 'safe', idempotent: true, run: flaky(() => ++idempotentCalls) }),
      fakeTool({ name: 'unsafe', run: flaky(() => ++otherCalls) }),
    ]);
    assert.deepEqual(await registry.call({ id: '1', name: 'safe', arguments: {} }, context()), { ok: true, content: 'finally' });
    assert.equal(idempotentCalls, 3);
    assert.match((await registry.call({ id: '2', name: 'unsafe', arguments: {} }, context())).content, /connection dropped/);
    assert.equal(otherCalls, 1);
  });

  it('does not count time spent waiting for the user against the tool\'s timeout', async () => {
    const slowUser = { reviewEdit: () => delay(400, { decision: 'approved' as const }), reviewToolCall: () => delay(400, { decision: 'approved' as const }), recordPolicyDecision: async () => undefined };
    const asksThenWorks = (workMs: number) =>
      fakeTool({
        timeoutMs: 200,
        reviewsOwnCalls: true,
        run: async (_args, { approvals, span, signal }) => {
          await delay(50, undefined);
          const decision = await approvals.reviewEdit({ path: 'a', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, oldText: 'a', newText: 'b' }, { runId: 'r', parent: span, signal });
          await delay(workMs, undefined);
          return decision.decision;
        },
      });
    const patient = await new ToolRegistry([asksThenWorks(50)]).call({ id: '1', name: 'fake', arguments: {} }, { ...context(), approvals: slowUser });
    assert.deepEqual(patient, { ok: true, content: 'approved' });
    // The clock goes on after the answer: 50 ms before and 300 ms after the question are over 200 ms.
    const slowTool = await new ToolRegistry([asksThenWorks(300)]).call({ id: '2', name: 'fake', arguments: {} }, { ...context(), approvals: slowUser });
    assert.deepEqual(slowTool, { ok: false, content: 'fake failed: fake did not finish within 0 s.' });
  });
});

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

describe('fetch_url', () => {
  it('fetches allow-listed hosts only, and says how to allow one', async () => {
    const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the allowed host'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const tools = builtinTools();
      const none = await tools.call({ id: '1', name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}/` } }, context());
      assert.match(none.content, /No host is allow-listed.*keel\.network\.allowHosts/);
      const allowed = await tools.call({ id: '2', name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}/` } }, context([`127.0.0.1:${port}`]));
      assert.deepEqual(allowed, { ok: true, content: 'HTTP 200 text/plain\n\nhello from the allowed host' });
      const other = await tools.call({ id: '3', name: 'fetch_url', arguments: { url: 'http://10.0.0.1/' } }, context([`127.0.0.1:${port}`]));
      assert.equal(other.ok, false);
      const notHttp = await tools.call({ id: '4', name: 'fetch_url', arguments: { url: 'file:///etc/passwd' } }, context([`127.0.0.1:${port}`]));
      assert.match(notHttp.content, /Invalid arguments for fetch_url/);
    } finally {
      server.close();
    }
  });
});
