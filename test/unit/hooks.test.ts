import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../../host/governance/auditLog';
import { Hooks, type HookAt } from '../../host/governance/hooks';
import { Sandbox } from '../../host/sandbox';
import { recordingTrace, tempDir } from './helpers';

describe('hooks: .keel/hooks/*.js in the sandbox', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let root: string;
  let audit: AuditEvent[];
  let hooks: Hooks;

  before(() => {
    sandbox = new Sandbox({ poolSize: 1 });
  });
  after(() => sandbox.dispose());
  beforeEach(async () => {
    root = await tempDir();
    await mkdir(join(root, '.keel', 'hooks'), { recursive: true });
    audit = [];
    hooks = new Hooks(() => sandbox, { append: async (event) => void audit.push(event) });
  });

  const hook = (file: string, source: string) => writeFile(join(root, '.keel', 'hooks', file), source);
  function at(): HookAt & { spans: ReturnType<typeof recordingTrace>['spans'] } {
    const { spans, root: parent } = recordingTrace();
    return { runId: 'run-1', parent, signal: new AbortController().signal, spans };
  }
  const command = (text: string) => ({ tool: 'run_command', source: 'builtin', risk: 'execute', arguments: { command: text } });

  it('denies with the hook\'s reason, records a span and an audit record, and lets other calls through', async () => {
    await hook('no-force.js', `hook({ name: 'no-force-push', events: ['beforeToolCall'], tools: ['run_command'],
      run(e) { if (/push .*--force/.test(e.arguments.command)) return { decision: 'deny', reason: 'push a new branch instead' }; } });`);
    const gate = await hooks.load(root);
    const where = at();
    const denied = await gate.ask('beforeToolCall', command('git push origin main --force'), where);
    assert.equal(denied.decision, 'deny');
    assert.match(denied.reason!, /no-force-push.*push a new branch instead/);
    const allowed = await gate.ask('beforeToolCall', command('git status'), where);
    assert.deepEqual(allowed, { decision: 'allow' });
    // A tool the hook does not name is never shown to it.
    assert.equal((await gate.ask('beforeToolCall', { tool: 'read_file', source: 'builtin', risk: 'read', arguments: { path: 'x' } }, where)).decision, 'allow');
    const spans = [...where.spans.values()].filter((s) => s.operation === 'hook');
    assert.deepEqual(spans.map((s) => s.attributes['keel.hook.decision']), ['deny', 'allow']);
    assert.equal(spans[0]!.status, 'error');
    assert.deepEqual(audit.map((e) => e.kind === 'hook' && `${e.hook}:${e.decision}:${e.subject}`), ['no-force-push:deny:run_command', 'no-force-push:allow:run_command']);
  });

  it('rewrites arguments, and later hooks see the rewritten ones', async () => {
    await hook('1-quiet.js', `hook({ name: 'quiet', events: ['beforeToolCall'], run(e) { return { decision: 'allow', arguments: { ...e.arguments, command: e.arguments.command + ' --quiet' } }; } });`);
    await hook('2-check.js', `hook({ name: 'check', events: ['beforeToolCall'], run(e) { if (!e.arguments.command.endsWith('--quiet')) return { decision: 'deny', reason: 'not rewritten' }; } });`);
    const verdict = await (await hooks.load(root)).ask('beforeToolCall', command('npm test'), at());
    assert.deepEqual(verdict, { decision: 'allow', arguments: { command: 'npm test --quiet' } });
  });

  it('asks, naming the hook, and deny beats ask', async () => {
    await hook('a.js', `hook({ name: 'asker', events: ['beforeEdit'], run(e) { return { decision: 'ask', reason: 'edits under ' + e.path.split('/')[0] + ' are reviewed' }; } });`);
    const gate = await hooks.load(root);
    const edit = { path: 'src/a.ts', startLine: 1, endLine: 2, newText: 'x' };
    assert.deepEqual(await gate.ask('beforeEdit', edit, at()), { decision: 'ask', reason: 'hook asker (.keel/hooks/a.js) asks: edits under src are reviewed' });
    await hook('b.js', `hook({ name: 'denier', events: ['beforeEdit'], run() { return { decision: 'deny', reason: 'frozen' }; } });`);
    assert.equal((await (await hooks.load(root)).ask('beforeEdit', edit, at())).decision, 'deny');
  });

  for (const [kind, body, outcome] of [
    ['loops forever', 'for (;;) {}', /timeout/],
    ['throws', 'throw new Error("boom")', /boom/],
    ['exceeds its memory', 'const a = []; for (;;) a.push("x".repeat(1e5));', /memory/],
    ['answers nonsense', 'return { decision: "maybe" }', /answered/],
  ] as const) {
    it(`fails closed when the hook ${kind}, and the next call still works`, async () => {
      await hook('bad.js', `hook({ name: 'bad', events: ['beforeToolCall'], timeoutMs: 200, run(e) { if (e.arguments.command === 'bad') { ${body} } } });`);
      const gate = await hooks.load(root);
      const verdict = await gate.ask('beforeToolCall', command('bad'), at());
      assert.equal(verdict.decision, 'deny');
      assert.match(verdict.reason!, outcome);
      assert.match(verdict.reason!, /fails closed/);
      assert.equal((await gate.ask('beforeToolCall', command('fine'), at())).decision, 'allow');
    });
  }

  it('fails open only when the hook declares onError: allow', async () => {
    await hook('open.js', `hook({ name: 'lenient', events: ['beforeToolCall'], onError: 'allow', run() { throw new Error('flaky'); } });`);
    const verdict = await (await hooks.load(root)).ask('beforeToolCall', command('ls'), at());
    assert.equal(verdict.decision, 'allow');
    assert.equal(audit[0]!.kind === 'hook' && audit[0]!.reason?.includes('fails open'), true);
  });

  it('a hook file that does not load denies every gated event, saying which file', async () => {
    await hook('broken.js', 'hook({ name: ');
    const gate = await hooks.load(root);
    assert.equal(gate.problems.length, 1);
    const verdict = await gate.ask('runStart', { goal: 'g', agent: 'keel' }, at());
    assert.equal(verdict.decision, 'deny');
    assert.match(verdict.reason!, /broken\.js/);
    // Observing events are not gated by it.
    assert.equal((await gate.ask('runEnd', { outcome: 'succeeded', answer: '' }, at())).decision, 'allow');
  });

  it('refuses a manifest with unknown events or a timeout over the cap', async () => {
    await hook('x.js', `hook({ name: 'x', events: ['onEverything'], run() {} });`);
    await hook('y.js', `hook({ name: 'y', events: ['runStart'], timeoutMs: 60000, run() {} });`);
    const { problems } = await hooks.load(root);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /x\.js.*events/s);
    assert.match(problems[1]!, /y\.js.*timeoutMs/s);
  });

  it('has no I/O but the read capabilities it declares, confined to the workspace', async () => {
    await writeFile(join(root, 'OWNERS'), 'alice\n');
    await hook('reads.js', `hook({ name: 'owners', events: ['beforeEdit'], capabilities: ['readFile'],
      async run(e) {
        const owners = await readFile('OWNERS');
        let escaped = 'no';
        try { await readFile('../../etc/passwd'); escaped = 'yes'; } catch {}
        const net = typeof fetch;
        return { decision: 'ask', reason: owners.trim() + ' escaped=' + escaped + ' fetch=' + net };
      } });`);
    const verdict = await (await hooks.load(root)).ask('beforeEdit', { path: 'a', startLine: 1, endLine: 1, newText: '' }, at());
    assert.match(verdict.reason!, /alice escaped=no fetch=undefined/);
  });

  it('withholds a tool result after the call when a hook denies it, and picks up a changed file at the next load', async () => {
    const source = (word: string) => `hook({ name: 'dlp', events: ['afterToolCall'], run(e) { if (e.result.includes('${word}')) return { decision: 'deny', reason: 'confidential' }; } });`;
    await hook('dlp.js', source('PROJECT-X'));
    const result = { tool: 'read_file', source: 'builtin', arguments: { path: 'a' }, ok: true, result: 'about PROJECT-X' };
    assert.equal((await (await hooks.load(root)).ask('afterToolCall', result, at())).decision, 'deny');
    await hook('dlp.js', source('PROJECT-Y'));
    await utimes(join(root, '.keel', 'hooks', 'dlp.js'), new Date(), new Date(Date.now() + 5000));
    assert.equal((await (await hooks.load(root)).ask('afterToolCall', result, at())).decision, 'allow');
  });

  it('redacts secrets a hook puts in its reason', async () => {
    const secret = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    await hook('leak.js', `hook({ name: 'leak', events: ['beforeToolCall'], run() { return { decision: 'deny', reason: 'token ${secret}' }; } });`);
    const where = at();
    const verdict = await (await hooks.load(root)).ask('beforeToolCall', command('ls'), where);
    assert.ok(!verdict.reason!.includes(secret));
    assert.ok(![...where.spans.values()].some((s) => JSON.stringify(s).includes(secret)));
  });
});
