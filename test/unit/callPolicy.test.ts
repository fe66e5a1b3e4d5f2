import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, ToolRegistry, type Tool, type ToolContext } from '../../host/tools';
import { zodArgs } from '../../host/tools/argsSchema';
import { CallPolicy } from '../../host/tools/callPolicy';
import { TransientToolError } from '../../host/tools/transient';
import { z } from 'zod';
import { consent, recordingTrace } from './helpers';

function context(allowHosts: string[] = []): ToolContext {
  const approve = async () => ({ decision: 'approved' as const });
  return { runId: 'r', policy: { allowHosts }, workspace: undefined as never, approvals: new ApprovalBroker(consent({ reviewEdit: approve, reviewToolCall: approve }), 1000), span: recordingTrace().root, signal: new AbortController().signal };
}

function fakeTool(overrides: Partial<Tool<Record<string, never>>> & Pick<Tool<Record<string, never>>, 'run'>): Tool<never> {
  return { name: 'fake', description: 'fake', risk: 'read', source: 'builtin', args: zodArgs(z.object({}).strict()), ...overrides } as Tool<never>;
}

/** A CallPolicy that records its waits instead of sleeping, with the jitter in the middle (× 1). */
function quickPolicy(): { policy: CallPolicy; waits: number[] } {
  const waits: number[] = [];
  return { waits, policy: new CallPolicy({ sleep: async (ms) => void waits.push(ms), random: () => 0.5 }) };
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

  it('retries transient failures of idempotent tools up to three attempts, with exponential backoff', async () => {
    let idempotentCalls = 0;
    let otherCalls = 0;
    const flaky = (count: () => number, failures: number) => async () => {
      if (count() <= failures) throw new TransientToolError('connection dropped');
      return 'finally';
    };
    const { policy, waits } = quickPolicy();
    const registry = new ToolRegistry([
      fakeTool({ name: 'safe', idempotent: true, run: flaky(() => ++idempotentCalls, 2) }),
      fakeTool({ name: 'unsafe', run: flaky(() => ++otherCalls, 2) }),
    ], undefined, policy);
    assert.deepEqual(await registry.call({ id: '1', name: 'safe', arguments: {} }, context()), { ok: true, content: 'finally' });
    assert.equal(idempotentCalls, 3);
    assert.deepEqual(waits, [500, 1000]);
    // The call may have reached the other side: repeating a side effect could do it twice.
    assert.deepEqual(await registry.call({ id: '2', name: 'unsafe', arguments: {} }, context()), { ok: false, content: 'unsafe failed: connection dropped' });
    assert.equal(otherCalls, 1);
    idempotentCalls = 0;
    const always = new ToolRegistry([fakeTool({ name: 'down', idempotent: true, run: flaky(() => ++idempotentCalls, 99) })], undefined, quickPolicy().policy);
    assert.deepEqual(await always.call({ id: '3', name: 'down', arguments: {} }, context()), { ok: false, content: 'down failed: connection dropped (3 attempts)' });
    assert.equal(idempotentCalls, 3);
  });

  it('repeats any call that certainly was not sent, never a tool\'s own error or a denial, and honours Retry-After', async () => {
    const calls = new Map<string, number>();
    const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1).get(name)!;
    const { policy, waits } = quickPolicy();
    const registry = new ToolRegistry([
      fakeTool({ name: 'unsent', risk: 'write', run: async () => (count('unsent') < 2 ? Promise.reject(new TransientToolError('not connected', { sent: false })) : 'sent now') }),
      fakeTool({ name: 'broken', idempotent: true, run: async () => Promise.reject(new Error(`bad input ${count('broken')}`)) }),
      fakeTool({ name: 'denied', idempotent: true, run: async () => Promise.reject(new Error(`The user denied this call ${count('denied')}`)) }),
      fakeTool({ name: 'busy', idempotent: true, run: async () => (count('busy') < 2 ? Promise.reject(new TransientToolError('HTTP 429', { retryAfterMs: 4000 })) : 'ok') }),
      fakeTool({ name: 'later', idempotent: true, run: async () => Promise.reject(new TransientToolError(`HTTP 503 ${count('later')}`, { retryAfterMs: 120_000 })) }),
    ], undefined, policy);
    assert.deepEqual(await registry.call({ id: '1', name: 'unsent', arguments: {} }, context()), { ok: true, content: 'sent now' });
    assert.match((await registry.call({ id: '2', name: 'broken', arguments: {} }, context())).content, /bad input 1$/);
    assert.match((await registry.call({ id: '3', name: 'denied', arguments: {} }, context())).content, /denied this call 1$/);
    assert.deepEqual(await registry.call({ id: '4', name: 'busy', arguments: {} }, context()), { ok: true, content: 'ok' });
    assert.deepEqual(waits, [500, 4000]);
    assert.deepEqual(await registry.call({ id: '5', name: 'later', arguments: {} }, context()), { ok: false, content: 'later failed: HTTP 503 1; the server asks to wait 120 s' });
  });

  it('counts attempts in the run\'s log, and a resumed call only has the attempts its record leaves', async () => {
    let calls = 0;
    const tool = fakeTool({ name: 'flaky', idempotent: true, run: async () => Promise.reject(new TransientToolError(`dropped ${++calls}`)) });
    const logged: [number, string][] = [];
    const registry = new ToolRegistry([tool], undefined, quickPolicy().policy);
    await registry.call({ id: '1', name: 'flaky', arguments: {} }, { ...context(), attempts: { before: 0, failed: (attempt, error) => void logged.push([attempt, error]) } });
    assert.deepEqual(logged, [[1, 'dropped 1'], [2, 'dropped 2']]);
    calls = 0;
    const resumed = await registry.call({ id: '2', name: 'flaky', arguments: {} }, { ...context(), attempts: { before: 2, failed: () => assert.fail('no attempt is left to retry') } });
    assert.deepEqual([resumed.content, calls], ['flaky failed: dropped 1 (3 attempts)', 1]);
    calls = 0;
    await registry.call({ id: '3', name: 'flaky', arguments: {} }, { ...context(), attempts: { before: 7, failed: () => undefined } });
    assert.equal(calls, 1, 'a resumed call gets at least one attempt');
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

  it('tries a busy or briefly broken server again, and a missing page once', async () => {
    const hits = new Map<string, number>();
    const server = createServer((req, res) => {
      const n = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, n);
      if (req.url === '/busy' && n < 3) return res.writeHead(n === 1 ? 503 : 429, { 'retry-after': '0' }).end('try later');
      if (req.url === '/reset' && n < 2) return req.socket.destroy();
      if (req.url === '/missing') return res.writeHead(404).end('no such page');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`served ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const tools = new ToolRegistry(builtinTools().list().filter((t) => t.name === 'fetch_url'), undefined, quickPolicy().policy);
      const fetch = (path: string) => tools.call({ id: path, name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}${path}` } }, context([`127.0.0.1:${port}`]));
      assert.deepEqual(await fetch('/busy'), { ok: true, content: 'HTTP 200 text/plain\n\nserved /busy' });
      assert.equal(hits.get('/busy'), 3);
      assert.deepEqual(await fetch('/reset'), { ok: true, content: 'HTTP 200 text/plain\n\nserved /reset' });
      assert.equal(hits.get('/reset'), 2);
      assert.match((await fetch('/missing')).content, /^HTTP 404/);
      assert.equal(hits.get('/missing'), 1);
    } finally {
      server.close();
    }
  });
});
