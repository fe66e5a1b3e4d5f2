import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../../host/governance/auditLog';
import { ApprovalBroker } from '../../host/governance/approvals';
import { Hooks, type HookAt } from '../../host/governance/hooks';
import { builtinTools, type ToolContext } from '../../host/tools';
import type { ReviewToolCallParams } from '../../protocol/rpc';
import { Sandbox } from '../../host/sandbox';
import { headlessWorkspace, recordingTrace, tempDir } from './helpers';

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
    hooks = new Hooks(() => sandbox);
  });

  const hook = (file: string, source: string) => writeFile(join(root, '.keel', 'hooks', file), source);
  function at(): HookAt & { spans: ReturnType<typeof recordingTrace>['spans'] } {
    const { spans, root: parent } = recordingTrace();
    return { runId: 'run-1', parent, signal: new AbortController().signal, audit: { append: async (event) => void audit.push(event) }, spans };
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

  it('records each hook file in the audit log when first loaded and again only when it changes', async () => {
    const changes: AuditEvent[] = [];
    const audited = new Hooks(() => sandbox, () => undefined, { append: async (event) => void changes.push(event) });
    await hook('h.js', `hook({ name: 'h', events: ['runStart'], run() {} });`);
    await audited.load(root);
    await audited.load(root);
    await hook('h.js', `hook({ name: 'h', events: ['runStart'], run() { return { decision: 'deny' }; } });`);
    await utimes(join(root, '.keel', 'hooks', 'h.js'), new Date(), new Date(Date.now() + 5000));
    await audited.load(root);
    assert.deepEqual(changes.map((e) => e.kind === 'hook_change' && e.file), ['.keel/hooks/h.js', '.keel/hooks/h.js']);
    assert.notEqual((changes[0] as { sha256: string }).sha256, (changes[1] as { sha256: string }).sha256);
  });

  it('redacts secrets a hook puts in its reason', async () => {
    const secret = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    await hook('leak.js', `hook({ name: 'leak', events: ['beforeToolCall'], run() { return { decision: 'deny', reason: 'token ${secret}' }; } });`);
    const where = at();
    const verdict = await (await hooks.load(root)).ask('beforeToolCall', command('ls'), where);
    assert.ok(!verdict.reason!.includes(secret));
    assert.ok(![...where.spans.values()].some((s) => JSON.stringify(s).includes(secret)));
  });

  describe('in front of the tools', () => {
    async function registryWithHooks() {
      const registry = builtinTools();
      registry.hooks = await hooks.load(root);
      const asked: ReviewToolCallParams[] = [];
      const edits: string[] = [];
      const workspace = headlessWorkspace(root, {
        edit: async (review) => (edits.push(review.edit.path), { decision: 'approved' }),
        toolCall: async (review) => (asked.push(review), { decision: 'approved' }),
      });
      const { spans, root: span } = recordingTrace();
      const context: ToolContext = { runId: 'r', policy: { allowHosts: [], commandSandbox: 'off' }, workspace, approvals: new ApprovalBroker(workspace, 5000), span, signal: new AbortController().signal };
      return { registry, context, asked, edits, spans };
    }

    it('a denied call never runs, and the model is told why', async () => {
      await hook('deny.js', `hook({ name: 'no-rm', events: ['beforeToolCall'], tools: ['run_command'], run(e) { if (e.arguments.command.includes('rm ')) return { decision: 'deny', reason: 'use git clean' }; } });`);
      await writeFile(join(root, 'keep.txt'), 'x');
      const { registry, context, asked } = await registryWithHooks();
      const outcome = await registry.call({ id: '1', name: 'run_command', arguments: { command: 'rm keep.txt' } }, context);
      assert.equal(outcome.ok, false);
      assert.match(outcome.content, /refused: hook no-rm .*use git clean/);
      assert.equal(asked.length, 0, 'the user is not asked about a call a hook denied');
      assert.equal(await import('node:fs/promises').then((fs) => fs.readFile(join(root, 'keep.txt'), 'utf8')), 'x');
    });

    it('a hook that asks puts even a read to the user, with its reason', async () => {
      await writeFile(join(root, 'a.txt'), 'hello');
      await hook('ask.js', `hook({ name: 'ask-reads', events: ['beforeToolCall'], tools: ['read_*'], run() { return { decision: 'ask', reason: 'reads are reviewed here' }; } });`);
      const { registry, context, asked } = await registryWithHooks();
      const outcome = await registry.call({ id: '1', name: 'read_file', arguments: { path: 'a.txt' } }, context);
      assert.equal(outcome.ok, true);
      assert.equal(asked.length, 1);
      assert.match(asked[0]!.title, /reads are reviewed here/);
    });

    it('a rewrite the schema refuses is refused; a valid rewrite is what runs and what the user sees', async () => {
      await writeFile(join(root, 'a.txt'), 'A');
      await writeFile(join(root, 'b.txt'), 'B');
      await hook('rw.js', `hook({ name: 'redirect', events: ['beforeToolCall'], tools: ['read_file'], run(e) { return { decision: 'allow', arguments: e.arguments.path === 'a.txt' ? { path: 'b.txt' } : { path: 42 } }; } });`);
      const { registry, context } = await registryWithHooks();
      const good = await registry.call({ id: '1', name: 'read_file', arguments: { path: 'a.txt' } }, context);
      assert.match(good.content, /B/);
      const bad = await registry.call({ id: '2', name: 'read_file', arguments: { path: 'c.txt' } }, context);
      assert.equal(bad.ok, false);
      assert.match(bad.content, /rewrote its arguments into ones the tool does not accept/);
    });

    it('a beforeEdit deny stops an edit before the user sees it; afterToolCall can withhold a result', async () => {
      await writeFile(join(root, 'locked.ts'), 'const a = 1;\n');
      await writeFile(join(root, 'secret-plan.txt'), 'PROJECT-X ships in May');
      await hook('edits.js', `hook({ name: 'frozen', events: ['beforeEdit'], run(e) { if (e.path === 'locked.ts') return { decision: 'deny', reason: 'locked.ts is frozen' }; } });`);
      await hook('dlp.js', `hook({ name: 'dlp', events: ['afterToolCall'], run(e) { if (e.result.includes('PROJECT-X')) return { decision: 'deny', reason: 'confidential' }; } });`);
      const { registry, context, edits } = await registryWithHooks();
      const edit = await registry.call({ id: '1', name: 'propose_edit', arguments: { path: 'locked.ts', old_text: 'const a = 1;', new_text: 'const a = 2;' } }, context);
      assert.match(edit.content, /locked\.ts is frozen/);
      assert.deepEqual(edits, []);
      const read = await registry.call({ id: '2', name: 'read_file', arguments: { path: 'secret-plan.txt' } }, context);
      assert.ok(!read.content.includes('PROJECT-X'));
      assert.match(read.content, /withheld: hook dlp .*confidential/);
    });
  });
});
