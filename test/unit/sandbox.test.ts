import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, Sandbox, type SandboxCapabilities } from '../../host/sandbox';

describe('sandbox: normal executions', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = new Sandbox();
    await sandbox.execute({ code: 'return 0' });
  });
  after(() => sandbox.dispose());

  it('returns the awaited value as a plain JSON copy, with the limits it ran under', async () => {
    const result = await sandbox.execute({ code: 'await null; return { sum: 1 + 2, list: [true, null, "x"], when: new Date(0) }' });
    assert.equal(result.outcome, 'ok');
    assert.deepEqual(result.value, { sum: 3, list: [true, null, 'x'], when: '1970-01-01T00:00:00.000Z' });
    assert.equal(Object.getPrototypeOf(result.value), Object.prototype);
    assert.deepEqual(result.limits, DEFAULT_LIMITS);
    assert.equal(result.error, undefined);
    assert.ok(result.durationMs > 0 && result.memoryUsedBytes > 0);
  });

  it('returns undefined when the code returns nothing', async () => {
    const result = await sandbox.execute({ code: 'const x = 1;' });
    assert.equal(result.outcome, 'ok');
    assert.equal('value' in result, false);
  });

  it('passes input in as a JSON copy, visible as the global `input`', async () => {
    const input = { files: ['a.ts', 'b.ts'], depth: 2 };
    const result = await sandbox.execute({ code: 'input.files.push("c.ts"); return { n: input.files.length, depth: input.depth }', input });
    assert.deepEqual(result.value, { n: 3, depth: 2 });
    assert.deepEqual(input.files, ['a.ts', 'b.ts']);
  });

  it('captures console output by level, formatting non-strings as JSON', async () => {
    const result = await sandbox.execute({
      code: 'console.log("a", 1, { b: [2] }); console.info("i"); console.warn("w"); console.error(new TypeError("e")); console.log(undefined, () => 1)',
    });
    assert.deepEqual(result.logs, [
      { level: 'log', text: 'a 1 {"b":[2]}' },
      { level: 'info', text: 'i' },
      { level: 'warn', text: 'w' },
      { level: 'error', text: 'TypeError: e' },
      { level: 'log', text: 'undefined () => 1' },
    ]);
  });

  it('reports what the code threw, with its line in the agent code', async () => {
    const result = await sandbox.execute({ code: 'const a = 1;\nthrow new RangeError(`bad ${a}`);' });
    assert.equal(result.outcome, 'error');
    assert.match(result.error!, /^RangeError: bad 1\n\s+at .*agent\.js:2/);
    const syntax = await sandbox.execute({ code: 'return (' });
    assert.equal(syntax.outcome, 'error');
    assert.match(syntax.error!, /^SyntaxError/);
  });

  it('applies per-request limits and reports them', async () => {
    const result = await sandbox.execute({ code: 'return 1', limits: { timeoutMs: 1234, memoryBytes: 8 * 1024 * 1024 } });
    assert.deepEqual(result.limits, { ...DEFAULT_LIMITS, timeoutMs: 1234, memoryBytes: 8 * 1024 * 1024 });
  });

  it('refuses invalid requests with a message naming the problem', async () => {
    await assert.rejects(sandbox.execute({ code: 'return 1', limits: { stackBytes: 64 * 1024 * 1024 } }), /limits\.stackBytes must be an integer from 64 KiB to 1 MiB; got 67108864/);
    await assert.rejects(sandbox.execute({ code: 'return 1', limits: { timeoutMs: 1.5 } }), /limits\.timeoutMs must be an integer/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(sandbox.execute({ code: 'return 1', input: cyclic }), /request\.input must be JSON-serializable/);
    await assert.rejects(sandbox.execute({ code: 42 as unknown as string }), /request\.code must be a string/);
    assert.throws(() => new Sandbox({ poolSize: 0 }), /poolSize must be an integer from 1 to 16/);
  });

  it('gives the guest only the capabilities granted, as async functions returning copies', async () => {
    const calls: unknown[] = [];
    const capabilities: SandboxCapabilities = {
      readFile: async (path) => `contents of ${path}`,
      listFiles: async (glob) => [`${glob}-match`],
      fetch: async (url, init) => {
        calls.push({ url, init });
        return { status: 201, headers: { 'content-type': 'text/plain' }, body: 'made' };
      },
    };
    const result = await sandbox.execute({
      code: `
        const text = await readFile('src/a.ts');
        const files = await listFiles('*.md');
        const response = await fetch('https://api.example.com/x', { method: 'POST', headers: { 'x-a': '1' }, body: 'hi' });
        return { text, files, response };`,
      capabilities,
    });
    assert.equal(result.outcome, 'ok', result.error);
    assert.deepEqual(result.value, {
      text: 'contents of src/a.ts',
      files: ['*.md-match'],
      response: { status: 201, headers: { 'content-type': 'text/plain' }, body: 'made' },
    });
    assert.deepEqual(calls, [{ url: 'https://api.example.com/x', init: { method: 'POST', headers: { 'x-a': '1' }, body: 'hi' } }]);
    const ungranted = await sandbox.execute({ code: 'return [typeof readFile, typeof listFiles, typeof fetch]', capabilities: { readFile: capabilities.readFile } });
    assert.deepEqual(ungranted.value, ['function', 'undefined', 'undefined']);
  });

  it('turns a capability failure into a guest Error carrying only its message', async () => {
    const result = await sandbox.execute({
      code: `try { await readFile('x') } catch (e) { return { isError: e instanceof Error, message: e.message, stack: e.stack } }`,
      capabilities: { readFile: async () => Promise.reject(new Error(`disk on fire at ${__filename}`)) },
    });
    const value = result.value as { isError: boolean; message: string; stack: string };
    assert.equal(value.isError, true);
    assert.equal(value.message, `disk on fire at ${__filename}`);
    assert.doesNotMatch(value.stack, /node:internal|\.ts:\d/);
  });

  it('validates capability arguments before the capability runs', async () => {
    let called = false;
    const result = await sandbox.execute({
      code: `return await readFile(42)`,
      capabilities: { readFile: async () => { called = true; return ''; } },
    });
    assert.equal(result.outcome, 'error');
    assert.match(result.error!, /Invalid arguments: readFile\(path\) takes one string/);
    assert.equal(called, false);
  });

  it('counts only the guest\'s own running time against computeMs, not its waits on capabilities', async () => {
    const slow: SandboxCapabilities = { ask: () => new Promise((resolve) => setTimeout(() => resolve('later'), 400)) };
    const waited = await sandbox.execute({ code: 'return (await ask("q")) + (await ask("q"))', capabilities: slow, limits: { computeMs: 200 } });
    assert.equal(waited.outcome, 'ok', waited.error);
    assert.equal(waited.value, 'laterlater');
    const spun = await sandbox.execute({ code: 'await ask("q"); for (;;) {}', capabilities: slow, limits: { computeMs: 200, timeoutMs: 60_000 } });
    assert.equal(spun.outcome, 'timeout');
    assert.match(spun.error!, /limits\.computeMs = 200 ms of its own time/);
    assert.ok(spun.durationMs < 5_000, `stopped by computeMs, not the wall clock: ${spun.durationMs} ms`);
  });

  it('lets orchestration calls wait side by side, past the turns file and network calls take', async () => {
    let waiting = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const agents: SandboxCapabilities = {
      agent: () => new Promise((resolve) => {
        most = Math.max(most, ++waiting);
        release.push(() => resolve('done'));
        if (waiting === 12) for (const done of release) done();
      }),
    };
    const result = await sandbox.execute({ code: 'return (await Promise.all(Array.from({ length: 12 }, (_, i) => agent(i)))).length', capabilities: agents });
    assert.equal(result.value, 12, result.error);
    assert.equal(most, 12);
  });

  it('runs several executions in parallel through the pool', async () => {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        sandbox.execute({ code: 'const t = Date.now(); while (Date.now() - t < 150) {} return input * 2', input: i }),
      ),
    );
    assert.deepEqual(results.map((r) => r.value), [0, 2, 4, 6, 8, 10]);
    // Two workers at 150 ms each: about 450 ms, well under the 900 ms of running one at a time.
    assert.ok(performance.now() - started < 800, `took ${performance.now() - started} ms`);
  });

  it('keeps capability calls of parallel executions apart', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        sandbox.execute({
          code: 'const out = []; for (let i = 0; i < 5; i++) out.push(await readFile(String(i))); return out.join(",")',
          capabilities: { readFile: async (path) => `${name}${path}` },
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.value), ['a0,a1,a2,a3,a4', 'b0,b1,b2,b3,b4', 'c0,c1,c2,c3,c4']);
  });
});

describe('sandbox: one worker over time (cancellation, memory, the watchdog)', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = new Sandbox({ poolSize: 1 });
    await sandbox.execute({ code: 'return 0' });
  });
  after(() => sandbox.dispose());

  it('does not start an execution whose signal is already aborted', async () => {
    const result = await sandbox.execute({ code: 'return 1' }, AbortSignal.abort());
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.error!, /cancelled before it started/);
  });

  it('cancels code spinning in a loop, and the worker runs the next execution', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const result = await sandbox.execute({ code: 'for (;;) {}' }, controller.signal);
    assert.equal(result.outcome, 'cancelled');
    assert.ok(performance.now() - started < 1000);
    assert.equal((await sandbox.execute({ code: 'return 7' })).value, 7);
  });

  it('cancels code waiting on a capability that never answers', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await sandbox.execute(
      { code: 'return await readFile("slow")', capabilities: { readFile: () => new Promise<string>(() => undefined) } },
      controller.signal,
    );
    assert.equal(result.outcome, 'cancelled');
  });

  it('cancels an execution still waiting for a free worker', async () => {
    const busy = sandbox.execute({ code: 'const t = Date.now(); while (Date.now() - t < 300) {} return 1' });
    const controller = new AbortController();
    const queued = sandbox.execute({ code: 'return 2' }, controller.signal);
    controller.abort();
    assert.equal((await queued).outcome, 'cancelled');
    assert.equal((await busy).value, 1);
  });

  it('holds a small memory limit on a worker that an earlier, larger execution grew', async () => {
    const fill = 'const kept = []; for (let i = 0; i < input; i++) kept.push(new Uint8Array(1e6)); return kept.length';
    const large = await sandbox.execute({ code: fill, input: 150, limits: { memoryBytes: 256 * 1024 * 1024 } });
    assert.equal(large.value, 150);
    const small = await sandbox.execute({ code: fill, input: 40, limits: { memoryBytes: 16 * 1024 * 1024 } });
    assert.equal(small.outcome, 'memory');
    assert.match(small.error!, /limits\.memoryBytes = 16777216 \(16 MiB\)/);
  });

  it('terminates a worker stuck in a long native operation and replaces it', async () => {
    // QuickJS polls no interrupt while it builds this string (quickjs-emscripten issue #219).
    const stuck = await sandbox.execute({ code: 'return new Array(1_000_000_000) + ""', limits: { timeoutMs: 200 } });
    assert.equal(stuck.outcome, 'timeout');
    assert.match(stuck.error!, /limits\.timeoutMs = 200 ms; .*worker was terminated and replaced/);
    const next = await sandbox.execute({ code: 'return "replaced"' });
    assert.equal(next.value, 'replaced');
  });

  it('ends executions that are running when the sandbox is disposed', async () => {
    const own = new Sandbox({ poolSize: 1 });
    // The worker is up before the loop starts, so on a loaded machine the loop is running, not waiting, at dispose.
    await own.execute({ code: 'return 1' });
    const running = own.execute({ code: 'for (;;) {}' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await own.dispose();
    assert.equal((await running).outcome, 'cancelled');
    await assert.rejects(own.execute({ code: 'return 1' }), /disposed/);
  });
});
