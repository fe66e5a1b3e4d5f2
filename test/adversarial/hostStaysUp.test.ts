/**
 * Adversarial tier: whatever a hostile model, its tools or a bad client do, one run fails at most, and the host goes
 * on answering `keel/ping` and cancel.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartRunRequest } from '../../protocol/rpc';
import { startModelServer, type ModelServer } from '../fixtures/modelServer';
import { tempDir } from '../unit/helpers';
import { HostileHost, p99 } from './hostileHost';
import { answer, callTool, HostileModel } from './hostileModel';

/** The last answer of a measured run comes after a pause, so that most of the pings fall inside the run. */
const slowAnswer = { ...answer('done'), delayMs: 2000 };

describe('adversarial: the host stays up and responsive', function () {
  this.timeout(60_000);
  const model = new HostileModel();
  let server: ModelServer;
  let host: HostileHost;

  before(async () => {
    server = await startModelServer(model.script);
  });
  after(() => server.close());
  beforeEach(async () => {
    const workspace = await tempDir();
    await writeFile(join(workspace, 'notes.txt'), 'hello\n');
    host = await HostileHost.start(workspace, server.url);
    host.decideTool = () => ({ decision: 'approved' });
  });
  afterEach(async () => {
    assert.ok(host.alive, 'the host died');
    assert.equal(await host.stop(), 0);
  });

  it('takes a hostile translation (wrong types, markup, a placeholder flood, a huge entry) as text, and keeps answering', async () => {
    assert.equal(await host.stop(), 0);
    const dir = await tempDir();
    const bundle = join(dir, 'bundle.l10n.qps-ploc.json');
    const goalIsEmpty = 'The goal is empty. Describe what the agent should do, e.g. "Rename the function foo to bar in src/a.ts".';
    await writeFile(bundle, JSON.stringify({
      // Each {0} repeats the reason: the translator, not the model, decides how long the message gets.
      'The run was refused: {0}.': '{0}'.repeat(5000),
      [goalIsEmpty]: `<img src=x onerror=alert(1)>${'x'.repeat(1_000_000)}`,
      'no agent is named {0}; list them with {1} or {2}': { comment: ['no message'] },
      'Cancelled': ['not', 'text'],
      'Unknown sandbox limit "{0}"; known limits: {1}.': null,
    }));
    host = await HostileHost.start(await tempDir(), server.url, { l10nBundle: bundle });
    const models = host.models();
    const refused = await host.connection.sendRequest(StartRunRequest.type, { goal: '  ', models, limits: { maxSteps: 2, approvalTimeoutMs: 1000 } }).then(() => '', (error: Error) => error.message);
    assert.ok(refused.startsWith('<img src=x onerror=alert(1)>x') && refused.length > 1_000_000, 'the translation arrives as the text it is');
    // An entry that is not text reads as English, inside a flooded frame.
    const { runId } = await host.connection.sendRequest(StartRunRequest.type, { goal: 'go', agent: 'nobody', models, limits: { maxSteps: 2, approvalTimeoutMs: 1000 } });
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.message.split('no agent is named nobody').length - 1, 5000);
    assert.ok((await host.ping()) < 1000);
    // And runs go on as before.
    const goal = model.plan('after a hostile translation', [answer('done')]);
    assert.equal((await host.run(goal)).outcome, 'succeeded');
  });

  it('survives a command whose detached child outlives the timeout (kill ESRCH), and the run reports it', async () => {
    const goal = model.plan('detached child', [callTool('run_command', { command: 'setsid sleep 7 & echo started', timeout_seconds: 2 }), callTool('run_command', { command: 'setsid sleep 7; echo never', timeout_seconds: 1 })]);
    const result = await host.run(goal);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.match(result.message, /Exit code 0\.\nstarted/);
    assert.match(result.message, /stopped: timed out after 1 s/);
    assert.ok((await host.ping()) < 1000);
  });

  it('cancels a run in a command whose shell left a detached child, and keeps answering', async () => {
    const goal = model.plan('cancel detached', [callTool('run_command', { command: 'setsid sleep 9 & sleep 8' })]);
    const runId = await host.start(goal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const asked = performance.now();
    assert.deepEqual(await host.cancel(runId), { cancelled: true });
    assert.equal((await host.finished(runId)).outcome, 'cancelled');
    assert.ok(performance.now() - asked < 1000, 'cancel took over 1 s');
    assert.ok((await host.ping()) < 1000);
  });

  for (const megabytes of [0.1, 0.5, 2, 10]) {
    it(`answers ping within 100 ms p99 while the model sends ${megabytes} MB of arguments without a space, and refuses them`, async () => {
      const blob = 'x'.repeat(megabytes * 1024 * 1024);
      // A server that under-reports usage gets past the output limit, as a hostile or broken one would.
      const lying = { usage: { input: 10, output: 10 } };
      const goal = model.plan(`huge arguments ${megabytes}`, [{ ...callTool('create_file', { path: 'big.txt', content: blob }), ...lying }, { ...callTool('read_file', { path: blob.slice(0, 100_000) }), ...lying }, slowAnswer]);
      const runId = await host.start(goal);
      const rtts = await host.pingWhile(host.finished(runId));
      const result = await host.finished(runId);
      assert.ok(rtts.length >= 100, `only ${rtts.length} pings: a p99 needs more`);
      assert.ok(p99(rtts) < 100, `ping p99 ${p99(rtts).toFixed(1)} ms over ${rtts.length} pings`);
      if (megabytes > 1) {
        // Past 256 KiB on one streamed line Keel stops reading the answer, before the client parses it.
        assert.equal(result.outcome, 'failed');
        assert.match(result.message, /streamed a line of over 256 KiB/);
        return;
      }
      assert.equal(result.outcome, 'succeeded', result.message);
      const tools = host.spansOf(runId).filter((s) => s.operation === 'execute_tool');
      if (megabytes > 0.25) assert.match(tools[0]!.statusMessage ?? '', /one call may send at most 256 KiB/);
    });
  }

  it('keeps answering ping while workspace hooks loop, throw and exhaust memory; each fails closed and the run goes on', async () => {
    const hooks = join(host.workspace, '.keel', 'hooks');
    await mkdir(hooks, { recursive: true });
    await writeFile(join(hooks, 'loop.js'), `hook({ name: 'loop', events: ['beforeToolCall'], tools: ['run_command'], timeoutMs: 1500, run() { for (;;) {} } });`);
    await writeFile(join(hooks, 'hog.js'), `hook({ name: 'hog', events: ['beforeToolCall'], tools: ['create_file'], run() { const a = []; for (;;) a.push('x'.repeat(1e6)); } });`);
    await writeFile(join(hooks, 'thrower.js'), `hook({ name: 'thrower', events: ['afterToolCall'], tools: ['read_file'], run() { throw new Error('nope'); } });`);
    const goal = model.plan('hostile hooks', [callTool('run_command', { command: 'echo ran > ran.txt' }), callTool('create_file', { path: 'new.txt', content: 'x' }), callTool('read_file', { path: 'notes.txt' }), slowAnswer]);
    const runId = await host.start(goal);
    const rtts = await host.pingWhile(host.finished(runId));
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.ok(p99(rtts) < 100, `ping p99 ${p99(rtts).toFixed(1)} ms over ${rtts.length} pings`);
    const hookSpans = host.spansOf(runId).filter((s) => s.operation === 'hook');
    assert.deepEqual(hookSpans.map((s) => `${s.attributes['keel.hook.name']}:${s.attributes['keel.hook.decision']}`).sort(), ['hog:deny', 'loop:deny', 'thrower:deny']);
    assert.match(String(hookSpans.find((s) => s.attributes['keel.hook.name'] === 'loop')!.attributes['keel.hook.reason']), /timeout/);
    assert.match(String(hookSpans.find((s) => s.attributes['keel.hook.name'] === 'hog')!.attributes['keel.hook.reason']), /memory/);
    assert.deepEqual(host.asked, [], 'nothing a hook denied reached the user');
    assert.equal(await readFile(join(host.workspace, 'ran.txt'), 'utf8').catch(() => 'absent'), 'absent');
    assert.equal(await readFile(join(host.workspace, 'new.txt'), 'utf8').catch(() => 'absent'), 'absent');
  });

  it('ends a run within 1 s of cancel while the model streams megabytes of arguments', async () => {
    const goal = model.plan('cancel during flood', [{ kind: 'message', content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'y'.repeat(5 * 1024 * 1024) } }], delayMs: 2000, usage: { input: 10, output: 10 } }]);
    const runId = await host.start(goal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const asked = performance.now();
    await host.cancel(runId);
    assert.equal((await host.finished(runId)).outcome, 'cancelled');
    assert.ok(performance.now() - asked < 1000, 'cancel took over 1 s');
  });

  it('caps a flood of command output and stays responsive', async () => {
    const goal = model.plan('output flood', [callTool('run_command', { command: 'yes keel | head -c 1000000000' })]);
    const runId = await host.start(goal);
    const rtts = await host.pingWhile(host.finished(runId));
    assert.equal((await host.finished(runId)).outcome, 'succeeded');
    assert.ok(p99(rtts) < 100, `ping p99 ${p99(rtts).toFixed(1)} ms`);
    const toModel = server.requests.at(-1)!.messages.find((m) => m.role === 'tool')!.content as string;
    assert.ok(toModel.length < 80_000, `the model got ${toModel.length} characters`);
    assert.match(toModel, /more characters of output were cut/);
  });

  it('contains sandbox floods: a memory bomb ends as memory, an endless loop as a timeout, and the next call works', async () => {
    const goal = model.plan('sandbox floods', [
      callTool('run_js', { code: 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });' }),
      callTool('run_js', { code: 'while (true) {}' }),
      callTool('run_js', { code: 'return 6 * 7;' }),
    ]);
    const result = await host.run(goal);
    const [memory, loop, next] = result.message.replace(/^results:\n/, '').split('\n---\n');
    assert.match(memory!, /run_js failed: The code stopped \(memory\)/);
    assert.match(loop!, /run_js failed: The code stopped \(timeout\)/);
    assert.match(next!, /^42\n/);
  });

  for (const fault of [
    { name: '429 without end', reply: { kind: 'error', status: 429, message: 'slow down', headers: { 'retry-after': '1' } }, expect: /rate|429|limit/i },
    { name: '500', reply: { kind: 'error', status: 500, message: 'boom' }, expect: /500|server/i },
    { name: 'a torn stream', reply: { kind: 'tornStream', content: 'half an ans' }, expect: /stream|connection|ended|terminated/i },
    { name: 'a body that is not JSON', reply: { kind: 'raw', status: 200, contentType: 'application/json', body: '{"choices": [' }, expect: /./ },
  ] as const) {
    it(`fails a run cleanly on ${fault.name} from the model and keeps answering`, async () => {
      const result = await host.run(model.plan(`model fault ${fault.name}`, [fault.reply]));
      assert.equal(result.outcome, 'failed');
      assert.match(result.message, fault.expect);
      assert.ok((await host.ping()) < 1000);
    });
  }

  it('cancels a run whose model never answers', async () => {
    const runId = await host.start(model.plan('hanging model', [{ kind: 'hang' }]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const asked = performance.now();
    await host.cancel(runId);
    assert.equal((await host.finished(runId)).outcome, 'cancelled');
    assert.ok(performance.now() - asked < 1000);
  });

  it('stays responsive against catastrophic regular expressions, text built to slow redaction, deep and countless calls', async () => {
    await writeFile(join(host.workspace, 'aaa.txt'), `${'a'.repeat(40)}!\n`.repeat(200));
    await writeFile(join(host.workspace, 'keys.txt'), 'key'.repeat(60_000));
    await mkdir(join(host.workspace, '.keel', 'tools'), { recursive: true });
    await writeFile(join(host.workspace, '.keel', 'tools', 'redos.js'), "tool({ name: 'wc', description: 'count', input: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }, async run() { return 1; } });");
    const deep: Record<string, unknown> = {};
    let at = deep;
    // Deep enough to pass any tool's schema, shallow enough for the fixture's own JSON.stringify.
    for (let i = 0; i < 1_000; i++) at = (at.a = {}) as Record<string, unknown>;
    const lying = { usage: { input: 10, output: 10 } };
    const steps = [
      callTool('search_files', { query: '(a+)+$', regex: true }),
      callTool('read_file', { path: 'keys.txt' }),
      callTool('wc', { s: `${'a'.repeat(34)}!` }),
      { ...callTool('read_file', deep), ...lying },
      { kind: 'message' as const, content: '', toolCalls: Array.from({ length: 5000 }, () => ({ name: 'list_files', arguments: {} })), ...lying },
      { ...answer('key'.repeat(60_000)), ...lying },
    ];
    const goal = model.plan('stalls', steps);
    // 5,000 identical calls are a loop Keel would stop; here every one of them must be refused without stalling.
    const runId = await host.start(goal, { maxSteps: 10, loopDetection: false });
    const rtts = await host.pingWhile(host.finished(runId));
    const result = await host.finished(runId);
    assert.equal(result.outcome, 'succeeded', result.message);
    assert.ok(p99(rtts) < 100, `ping p99 ${p99(rtts).toFixed(1)} ms over ${rtts.length} pings`);
    const results = model.toolResults(goal);
    assert.match(results[0]!, /No matches for \(a\+\)\+\$/);
    assert.match(results[2]!, /must match pattern/);
    assert.match(results[3]!, /nest more than 64 levels deep/);
    const listed = host.spansOf(runId).filter((span) => span.name === 'execute_tool list_files');
    assert.equal(listed.length, 64, 'every call of a 5,000-call answer ran');
  });

  it('refuses garbage requests with a clear error and keeps answering', async () => {
    const nested: Record<string, unknown> = {};
    let at = nested;
    for (let i = 0; i < 5000; i++) at = (at.a = {}) as Record<string, unknown>;
    const bad: [string, unknown][] = [
      ['keel/startRun', null],
      ['keel/startRun', { goal: 'x', models: host.models(), limits: { maxSteps: -5, approvalTimeoutMs: 1000 } }],
      ['keel/startRun', nested],
      ['keel/cancelRun', null],
      ['keel/cancelRun', { runId: { $gt: '' } }],
      ['sandbox/eval', { code: 42 }],
      ['memory/search', { query: 'q'.repeat(1_000_000) }],
      ['trace/get', { traceId: '../../../etc/passwd' }],
      ['trace/spanContent', { traceId: '../../../etc/passwd', spanId: 'ab' }],
      ['trace/spanContent', { traceId: 'ab', spanId: '../index' }],
      ['trace/spanContent', { traceId: 'ab', spanId: 'a'.repeat(1_000_000) }],
      ['trace/spanContent', { traceId: 'ab' }],
      ['trace/listRuns', { model: '' }],
      ['trace/search', { text: 'x'.repeat(1_000_000) }],
      ['trace/listRuns', { limit: -1, outcome: 'everything' }],
      ['audit/verify', { rewrite: true }],
      ['metrics/get', { window: '100y' }],
      ['metrics/get', {}],
      ['alerts/setRules', { rules: { errorRate: { threshold: 2, window: '1h', minRuns: 0 }, costPerDayUsd: -1, stuckRunMinutes: 0, p95Latency: { of: 'everything', seconds: 1e12, window: '1h' }, deadLetters: 'yes' } }],
      ['alerts/setRules', { rules: null }],
      ['no/such/method', {}],
    ];
    for (const [method, params] of bad) {
      const error = await host.connection.sendRequest(method, params).then(() => undefined, (e: Error) => e);
      assert.ok(error, `${method} accepted bad params`);
      assert.ok((await host.ping()) < 1000, `no ping answer after ${method}`);
    }
  });
});
