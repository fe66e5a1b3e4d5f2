import assert from 'node:assert/strict';
import { Sandbox, type ExecutionResult } from '../../host/sandbox';

const MiB = 1024 * 1024;
const LIMITS = { memoryBytes: 32 * MiB, timeoutMs: 20_000 };
const LIMIT_NAMED = /^The code ran out of memory: it needed more than limits\.memoryBytes = 33554432 \(32 MiB\)\. Use less memory, or raise limits\.memoryBytes\./;

/**
 * Each way of filling the heap, endlessly. Small allocations (Map and Set records, empty objects, closures) leave
 * QuickJS no room even for its "out of memory" error, so it throws null instead: issue 11, item 10.
 */
const FILLERS: Record<string, string> = {
  'Map.set': 'const m = new Map(); for (let i = 0; ; i++) m.set(i, i);',
  'Set.add': 'const s = new Set(); for (let i = 0; ; i++) s.add(i);',
  'arr.push({})': 'const a = []; for (;;) a.push({});',
  'a loop making closures': 'const fs = []; for (let i = 0; ; i++) fs.push(() => i);',
  'string growth': 'const a = []; for (;;) a.push("x".repeat(1e4) + a.length);',
  'array growth': 'const a = []; for (let i = 0; ; i++) a.push(i);',
};

function assertOutOfMemory(result: ExecutionResult): void {
  assert.equal(result.outcome, 'memory', `outcome ${result.outcome}: ${result.error}`);
  assert.match(result.error ?? '', LIMIT_NAMED);
  assert.equal('value' in result, false);
  // What the guest holds after its stack unwound says nothing about what it used: it reached the limit.
  assert.ok(result.memoryUsedBytes >= result.limits.memoryBytes, `memoryUsedBytes ${result.memoryUsedBytes}`);
}

describe('sandbox: out of memory', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = new Sandbox({ poolSize: 1 });
    await sandbox.execute({ code: 'return 0' });
  });
  after(() => sandbox.dispose());

  /** The same worker must run a normal execution, and fill a good part of its heap again, after each one. */
  async function assertWorkerRecovered(): Promise<void> {
    const next = await sandbox.execute({ code: 'const a = []; for (let i = 0; i < 1e5; i++) a.push({ i }); return a.length', limits: LIMITS });
    assert.equal(next.outcome, 'ok', `the next execution: ${next.error}`);
    assert.equal(next.value, 1e5);
  }

  for (const [pattern, code] of Object.entries(FILLERS)) {
    it(`reports memory, naming the limit, when ${pattern} fills the heap`, async () => {
      assertOutOfMemory(await sandbox.execute({ code, limits: LIMITS }));
      await assertWorkerRecovered();
    });
  }

  it('reports memory under the default 64 MiB limit too', async () => {
    const result = await sandbox.execute({ code: FILLERS['Map.set']!, limits: { timeoutMs: 20_000 } });
    assert.equal(result.outcome, 'memory', `outcome ${result.outcome}: ${result.error}`);
    assert.match(result.error!, /limits\.memoryBytes = 67108864 \(64 MiB\)/);
    assert.ok(result.memoryUsedBytes >= 64 * MiB);
  });

  it('reports memory when the heap fills inside a promise job', async () => {
    assertOutOfMemory(await sandbox.execute({ code: `await null; ${FILLERS['Set.add']}`, limits: LIMITS }));
  });

  it('keeps where the code ran out in the message when QuickJS could still build its error', async () => {
    const result = await sandbox.execute({ code: FILLERS['string growth']!, limits: LIMITS });
    assertOutOfMemory(result);
    assert.match(result.error!, /\nInternalError: out of memory\n\s+at .*agent\.js:1/);
  });

  it('does not let the code catch running out of memory and return as if it succeeded', async () => {
    const caught = await sandbox.execute({
      code: `let m = new Map(); try { for (let i = 0; ; i++) m.set(i, i); } catch (e) { m = null; return 'caught ' + e; }`,
      limits: LIMITS,
    });
    assertOutOfMemory(caught);
    const carriedOn = await sandbox.execute({
      code: `let a = []; try { for (;;) a.push({}); } catch (e) { a = null; } const b = []; for (let i = 0; i < 1000; i++) b.push({ i }); return b.length;`,
      limits: LIMITS,
    });
    assertOutOfMemory(carriedOn);
    await assertWorkerRecovered();
  });

  it('does not let the code catch one allocation larger than the limit and carry on', async () => {
    assertOutOfMemory(await sandbox.execute({ code: 'try { "x".repeat(2 ** 28); } catch (e) { return String(e); }', limits: LIMITS }));
  });

  it('stops code that catches running out of memory and then spins, as memory rather than a timeout', async () => {
    const result = await sandbox.execute({
      code: 'const s = new Set(); try { for (let i = 0; ; i++) s.add(i); } catch (e) { for (;;) {} }',
      limits: { ...LIMITS, timeoutMs: 5_000 },
    });
    assertOutOfMemory(result);
  });

  it("still reports the code's own `throw null` as an error", async () => {
    const result = await sandbox.execute({ code: 'throw null', limits: LIMITS });
    assert.equal(result.outcome, 'error');
    assert.equal(result.error, 'Uncaught null');
    assert.ok(result.memoryUsedBytes < MiB);
  });

  it('lets the code use most of its limit without reporting memory', async () => {
    const result = await sandbox.execute({ code: 'const a = []; for (let i = 0; i < 16; i++) a.push(new Uint8Array(1e6)); return a.length', limits: LIMITS });
    assert.equal(result.outcome, 'ok', result.error);
    assert.equal(result.value, 16);
  });
});
