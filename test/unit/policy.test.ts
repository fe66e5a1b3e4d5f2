import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { checkPolicyValue, parsePolicyText, type PolicyDocument } from '../../host/governance/policy/policyDocument';
import { readPolicyLevels, type LevelName, type PolicyLevel } from '../../host/governance/policy/policyLevels';
import { PolicyLoader, withinPolicy } from '../../host/governance/policy/policyLoader';
import { RunPolicy, type CallFacts } from '../../host/governance/policy/runPolicy';
import type { StartRunParams } from '../../protocol/rpc';
import { tempDir } from './helpers';

function level(name: LevelName, document: PolicyDocument): PolicyLevel {
  return { level: name, source: name, document, hash: name };
}

function policy(levels: readonly PolicyLevel[], restricted = false, agent = 'keel'): RunPolicy {
  return new RunPolicy(levels, { agent, restricted });
}

const command = (line: string): CallFacts => ({ tool: 'run_command', risk: 'execute', command: line });

describe('policy: precedence, scopes and autonomy', () => {
  it('keeps Keel’s default where no level has a rule: reads run, everything else asks', async () => {
    const none = policy([level('workspace', { default: { commands: { allow: ['ls *'] } } })]);
    assert.deepEqual(await none.decide({ tool: 'read_file', risk: 'read', reads: ['a.ts'] }), { verdict: 'allow', level: 'default', reason: 'read-only calls run without asking' });
    const write = await none.decide({ tool: 'create_file', risk: 'write', writes: ['a.ts'] });
    assert.equal(write.verdict, 'ask');
    assert.equal(write.level, 'default');
  });

  it('lets a lower level tighten but never loosen: the precedence matrix', async () => {
    const allow: PolicyDocument = { default: { autonomy: 'autopilot', tools: { allow: ['run_command'] }, commands: { allow: ['git *'] } } };
    const autopilot = level('user', { default: { autonomy: 'autopilot' } });
    const ask: PolicyDocument = { default: { commands: { ask: ['git push *'] } } };
    const deny: PolicyDocument = { default: { commands: { deny: ['git push *'] } } };
    // [levels, expected verdict for `git push origin`, level that decided]
    const cases: [PolicyLevel[], string, string][] = [
      [[level('managed', allow)], 'allow', 'managed'],
      [[level('managed', allow), level('user', ask)], 'ask', 'user'],
      [[level('managed', allow), level('workspace', deny)], 'deny', 'workspace'],
      [[level('managed', deny), level('user', allow), level('workspace', allow)], 'deny', 'managed'],
      [[level('managed', ask), level('workspace', allow)], 'ask', 'managed'],
      [[level('user', deny), level('workspace', allow)], 'deny', 'user'],
      [[level('user', allow), level('workspace', ask)], 'ask', 'workspace'],
      [[autopilot, level('workspace', allow)], 'allow', 'workspace'],
      // Alone, a workspace cannot switch autopilot on: its allow rules then only stop nothing.
      [[level('workspace', allow)], 'ask', 'workspace'],
    ];
    for (const [levels, verdict, decidedBy] of cases) {
      const decision = await policy(levels).decide(command('git push origin'));
      assert.equal(decision.verdict, verdict, levels.map((l) => l.level).join('+'));
      assert.equal(decision.level, decidedBy, levels.map((l) => l.level).join('+'));
    }
  });

  it('ignores the workspace’s allow rules and autopilot in Restricted Mode, but keeps its denials', async () => {
    const workspace = level('workspace', { default: { autonomy: 'autopilot', tools: { allow: ['*'], deny: ['search_files'] } } });
    const restricted = policy([workspace], true);
    assert.equal(restricted.autonomy, 'supervised');
    assert.equal((await restricted.decide({ tool: 'search_files', risk: 'read' })).verdict, 'deny');
    // Without the workspace's allow, a call is back to Keel's default.
    assert.equal((await restricted.decide({ tool: 'create_file', risk: 'write' })).level, 'default');
    const user = policy([level('user', { default: { autonomy: 'autopilot', tools: { allow: ['create_file'] } } }), workspace], true);
    assert.equal(user.autonomy, 'supervised');
    assert.equal((await user.decide({ tool: 'create_file', risk: 'write' })).verdict, 'ask');
    const trusted = policy([level('user', { default: { autonomy: 'autopilot' } }), workspace]);
    assert.equal(trusted.autonomy, 'autopilot');
    assert.equal((await trusted.decide({ tool: 'create_file', risk: 'write' })).verdict, 'allow');
  });

  it('runs allowed side effects unasked only on autopilot, which the user or administrator grants and any level refuses', async () => {
    const allowed: PolicyDocument = { default: { tools: { allow: ['create_file'] } } };
    const supervised = await policy([level('workspace', allowed)]).decide({ tool: 'create_file', risk: 'write' });
    assert.equal(supervised.verdict, 'ask');
    assert.match(supervised.reason, /autonomy is supervised/);
    const requested: PolicyDocument = { default: { ...allowed.default, autonomy: 'autopilot' } };
    const alone = await policy([level('workspace', requested)]).decide({ tool: 'create_file', risk: 'write' });
    assert.equal(alone.verdict, 'ask');
    assert.match(alone.reason, /the workspace policy asks for autopilot, which only the keel\.policy setting or the managed policy can grant/);
    for (const grantor of ['user', 'managed'] as const) {
      const granted = policy([level(grantor, { default: { autonomy: 'autopilot' } }), level('workspace', allowed)]);
      assert.equal(granted.autonomy, 'autopilot');
      assert.equal((await granted.decide({ tool: 'create_file', risk: 'write' })).verdict, 'allow');
    }
    const vetoed = policy([level('user', { default: { autonomy: 'autopilot' } }), level('workspace', { default: { ...allowed.default, autonomy: 'supervised' } })]);
    assert.equal(vetoed.autonomy, 'supervised');
    assert.equal((await vetoed.decide({ tool: 'create_file', risk: 'write' })).verdict, 'ask');
  });

  it('matches tool globs, MCP tools included, and lets an agent’s section replace the default’s fields', async () => {
    const document: PolicyDocument = {
      default: { autonomy: 'autopilot', tools: { deny: ['mcp__github__delete_*'], allow: ['mcp__github__*', 'create_file'] } },
      agents: { reviewer: { tools: { deny: ['create_file'] } } },
    };
    const keel = policy([level('user', { default: { autonomy: 'autopilot' } }), level('workspace', document)]);
    assert.equal((await keel.decide({ tool: 'mcp__github__list_issues', risk: 'network' })).verdict, 'allow');
    const denied = await keel.decide({ tool: 'mcp__github__delete_repo', risk: 'destructive' });
    assert.equal(denied.verdict, 'deny');
    assert.equal(denied.rule, 'tools.deny "mcp__github__delete_*"');
    assert.equal((await keel.decide({ tool: 'mcp__other__x', risk: 'write' })).level, 'default');
    const reviewer = policy([level('user', { default: { autonomy: 'autopilot' } }), level('workspace', document)], false, 'reviewer');
    assert.equal((await reviewer.decide({ tool: 'create_file', risk: 'write' })).verdict, 'deny');
    // The agent's `tools` replaced the default's entirely; autonomy is still the default's.
    assert.equal((await reviewer.decide({ tool: 'mcp__github__list_issues', risk: 'network' })).level, 'default');
    assert.equal(reviewer.autonomy, 'autopilot');
  });

  it('intersects path scopes across levels, for files, folders and command redirects', async () => {
    const scoped = policy([
      level('managed', { default: { paths: { write: ['src/**', 'docs/**'], read: ['src/**', 'docs/**', 'README.md'] } } }),
      level('workspace', { default: { paths: { write: ['src/**'] } } }),
    ]);
    assert.equal((await scoped.decide({ tool: 'create_file', risk: 'write', writes: ['src/a.ts'] })).verdict, 'ask');
    const docs = await scoped.decide({ tool: 'create_file', risk: 'write', writes: ['docs/a.md'] });
    assert.equal(docs.verdict, 'deny');
    assert.equal(docs.level, 'workspace');
    for (const outside of ['../x', '/etc/passwd', '~/.ssh/id_rsa', 'src/../../x']) {
      assert.equal((await scoped.decide({ tool: 'read_file', risk: 'read', reads: [outside] })).verdict, 'deny', outside);
    }
    assert.equal((await scoped.decide({ tool: 'read_file', risk: 'read', reads: ['./src/a.ts'] })).verdict, 'allow');
    assert.equal((await scoped.decide({ tool: 'read_file', risk: 'read', reads: ['.env'] })).verdict, 'deny');
    assert.equal((await scoped.decide({ tool: 'search_files', risk: 'read', folders: ['.'] })).verdict, 'ask');
    assert.equal((await scoped.decide(command('echo x > docs/a.md'))).verdict, 'deny');
    assert.equal((await scoped.decide(command('echo x 2>/dev/null'))).verdict, 'ask');
  });

  it('narrows hosts, steps and the run budget to the strictest level, and denies an unlisted host', async () => {
    const narrow = policy([level('managed', { default: { network: { hosts: ['*.github.com', 'registry.npmjs.org'] }, maxSteps: 30, budgets: { usdPerRun: 2 } } }), level('workspace', { default: { maxSteps: 50, budgets: { usdPerRun: 0.5 } } })]);
    assert.deepEqual(narrow.allowHosts(['api.github.com', 'evil.example', 'registry.npmjs.org:443', 'localhost:8080']), ['api.github.com', 'registry.npmjs.org:443']);
    assert.equal((await narrow.decide({ tool: 'fetch_url', risk: 'network', hosts: ['evil.example'] })).verdict, 'deny');
    const params = { goal: 'g', models: { router: { budget: { perRunUsd: 1 } }, defaultModel: { provider: 'ollama', baseUrl: 'http://localhost:11434', model: 'm' }, apiKeys: {} }, limits: { maxSteps: 40, approvalTimeoutMs: 1000 }, allowHosts: ['api.github.com', 'evil.example'] } as StartRunParams;
    const within = withinPolicy(params, narrow);
    assert.equal(within.limits.maxSteps, 30);
    assert.deepEqual(within.models.router.budget, { perRunUsd: 0.5 });
    assert.deepEqual(within.allowHosts, ['api.github.com']);
    // A policy with no budget leaves the settings' own.
    assert.equal(withinPolicy(params, policy([level('user', {})])).models, params.models);
  });

  it('runs a command outside the sandbox or with the network only when every command’s rule says so, and asks when the workspace says so', async () => {
    const user = policy([level('user', { default: { autonomy: 'autopilot', commands: { allow: [{ pattern: 'npm install *', sandbox: false, network: true }, 'ls *'] } } })]);
    const install = await user.decide(command('npm install left-pad'));
    assert.deepEqual([install.verdict, install.unsandboxed, install.network], ['allow', true, true]);
    const mixed = await user.decide(command('npm install x && ls'));
    assert.deepEqual([mixed.verdict, mixed.unsandboxed, mixed.network], ['allow', false, false]);
    const workspace = await policy([level('user', { default: { autonomy: 'autopilot' } }), level('workspace', { default: { commands: { allow: [{ pattern: 'npm install *', sandbox: false }] } } })]).decide(command('npm install x'));
    assert.deepEqual([workspace.verdict, workspace.unsandboxed], ['ask', true]);
    assert.match(workspace.reason, /outside the OS sandbox/);
    const networked = await policy([level('user', { default: { autonomy: 'autopilot' } }), level('workspace', { default: { commands: { allow: [{ pattern: 'curl *', network: true }] } } })]).decide(command('curl https://example.com'));
    assert.deepEqual([networked.verdict, networked.network], ['ask', true]);
    assert.match(networked.reason, /gives this command the network/);
  });
});

describe('policy: files, validation and reloading', () => {
  it('refuses an invalid file with its line and field', () => {
    const text = '{\n  // a comment\n  "default": {\n    "tools": { "allow": ["read_file"], },\n    "commands": {\n      "allow": ["ls *", 42]\n    }\n  }\n}\n';
    const parsed = parsePolicyText(text, '.keel/policy.jsonc');
    assert.deepEqual(parsed, { ok: false, error: '.keel/policy.jsonc line 6: default.commands.allow[1] must be string.' });
    const typo = parsePolicyText('{\n  "default": {\n    "autonomy": "yolo"\n  }\n}', 'p.jsonc');
    assert.deepEqual(typo, { ok: false, error: 'p.jsonc line 3: default.autonomy must be one of "supervised", "autopilot".' });
    const unknown = parsePolicyText('{\n  "default": {\n\n    "tool": {}\n  }\n}', 'p.jsonc');
    assert.match(unknown.ok ? '' : unknown.error, /^p\.jsonc line 4: default\.tool is not a policy field/);
    const syntax = parsePolicyText('{\n  "default": {\n    "maxSteps": 3\n    "autonomy": "autopilot"\n  }\n}', 'p.jsonc');
    assert.match(syntax.ok ? '' : syntax.error, /^p\.jsonc line 4: a comma is expected/);
    assert.deepEqual(checkPolicyValue({ default: { maxSteps: 0 } }, 'setting keel.policy'), { ok: false, error: 'setting keel.policy: default.maxSteps must be >= 1.' });
  });

  it('refuses huge, deeply nested and hostile files without crashing or stalling', async () => {
    const deep = `{"default": ${'['.repeat(100_000)}`;
    assert.match((parsePolicyText(deep, 'p') as { error: string }).error, /nested more than 32 levels/);
    assert.match((parsePolicyText(' '.repeat(300 * 1024), 'p') as { error: string }).error, /at most 262144/);
    assert.equal(parsePolicyText('{"__proto__": {"polluted": true}}', 'p').ok, false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    for (const garbage of ['', 'null', '[]', '"x"', '\0\0\0', '{"default": null}', '{"agents": {"../x": {}}}']) {
      const parsed = parsePolicyText(garbage, 'p');
      assert.ok(garbage === '' ? parsed.ok : !parsed.ok, JSON.stringify(garbage));
    }
    // A FIFO and an oversized file in the workspace are refused without reading them.
    const root = await tempDir();
    await mkdir(join(root, '.keel'));
    execFileSync('mkfifo', [join(root, '.keel', 'policy.jsonc')]);
    const started = Date.now();
    const [fifo] = readPolicyLevels({ managedPath: join(root, 'none'), workspaceRoot: root, user: undefined });
    assert.ok(Date.now() - started < 1000);
    assert.match(fifo!.error ?? '', /not a regular file/);
    assert.deepEqual(fifo!.document, { default: { autonomy: 'supervised', tools: { ask: ['*'] } } });
  });

  it('turns an invalid workspace policy into "ask for everything" under the valid levels, and says why', async () => {
    const root = await tempDir();
    const managed = join(root, 'managed.jsonc');
    await writeFile(managed, '{ "default": { "commands": { "deny": ["rm *"] } } }');
    await mkdir(join(root, '.keel'));
    await writeFile(join(root, '.keel', 'policy.jsonc'), '{ "default": { "autonomy": "autopilot", "tools": { "allow": "*" } } }');
    const loaded = new PolicyLoader({ managedPath: managed, workspaceRoot: root }).forRun({ user: undefined, restricted: false, agent: 'keel' });
    const run = loaded.policy!;
    assert.deepEqual(run.problems, ['.keel/policy.jsonc line 1: default.tools.allow must be array.']);
    assert.equal(run.autonomy, 'supervised');
    const read = await run.decide({ tool: 'read_file', risk: 'read', reads: ['a'] });
    assert.equal(read.verdict, 'ask');
    assert.match(read.reason, /the workspace policy is invalid, so Keel asks about everything until it is fixed: \.keel\/policy\.jsonc line 1: default\.tools\.allow must be array/);
    assert.equal((await run.decide(command('rm -rf x'))).verdict, 'deny');
  });

  it('reads the files again for every run and reports each level that changed, by hash', async () => {
    const root = await tempDir();
    await mkdir(join(root, '.keel'));
    const file = join(root, '.keel', 'policy.jsonc');
    await writeFile(file, '{ "default": { "commands": { "deny": ["rm *"] } } }');
    const loader = new PolicyLoader({ managedPath: join(root, 'no-managed.jsonc'), workspaceRoot: root });
    const first = loader.forRun({ user: { default: { maxSteps: 5 } }, restricted: false, agent: 'keel' });
    assert.deepEqual(first.changes.map((c) => [c.level, c.valid]), [['user', true], ['workspace', true]]);
    assert.equal(first.policy!.maxSteps, 5);
    assert.deepEqual(loader.forRun({ user: { default: { maxSteps: 5 } }, restricted: false, agent: 'keel' }).changes, []);
    await writeFile(file, '{ "default": { "commands": { "deny": ["rm *", "curl *"] } } }');
    const edited = loader.forRun({ user: { default: { maxSteps: 5 } }, restricted: false, agent: 'keel' });
    assert.deepEqual(edited.changes.map((c) => c.level), ['workspace']);
    assert.match(edited.changes[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.notEqual(edited.changes[0]!.sha256, first.changes[1]!.sha256);
    assert.equal((await edited.policy!.decide(command('curl x'))).verdict, 'deny');
    const removed = loader.forRun({ user: undefined, restricted: false, agent: 'keel' });
    assert.deepEqual(removed.changes.map((c) => [c.level, c.source]), [['user', 'removed']]);
    assert.equal(new PolicyLoader({ managedPath: join(root, 'x'), workspaceRoot: undefined }).forRun({ user: {}, restricted: false, agent: 'keel' }).policy, undefined);
    // A managed policy named on purpose that has gone missing asks for everything rather than stop applying.
    const missing = new PolicyLoader({ managedPath: join(root, 'gone.jsonc'), managedRequired: true, workspaceRoot: undefined }).forRun({ user: undefined, restricted: false, agent: 'keel' });
    assert.deepEqual(missing.policy!.problems, [`KEEL_MANAGED_POLICY names ${join(root, 'gone.jsonc')}, which does not exist; restore the file or unset KEEL_MANAGED_POLICY.`]);
    assert.equal((await missing.policy!.decide({ tool: 'read_file', risk: 'read', reads: ['a'] })).verdict, 'ask');
  });

  it('accepts the README’s example, which VS Code checks against the schema package.json contributes', () => {
    const root = join(__dirname, '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /```jsonc\n(\/\/ \.keel\/policy\.jsonc\n[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README has a .keel/policy.jsonc example');
    assert.equal(parsePolicyText(example, 'README').ok, true);
    const contributes = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { fileMatch: string; url: string }[] } }).contributes;
    const validation = contributes.jsonValidation.find((v) => v.fileMatch === '.keel/policy.jsonc');
    assert.ok(validation && existsSync(join(root, validation.url)));
  });
});
