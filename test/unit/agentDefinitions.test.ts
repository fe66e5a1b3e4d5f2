import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { allowsTool, loadAgentDefinitions, parseAgentDefinition } from '../../host/orchestration/agents/agentDefinitions';
import { putFile, tempDir } from './helpers';

describe('agent definitions', () => {
  it('reads every field of the front matter and takes the body for instructions', () => {
    const parsed = parseAgentDefinition('.keel/agents/reviewer.md', [
      '---', 'name: reviewer', 'description: Reviews a change', 'tools: [read_file, "mcp__github__*"]', 'model: plan',
      'maxSteps: 6', 'budgetUsd: 0.5', 'delegate: true', 'fallback: helper', 'handoffs: [ignored]', '---', '# Reviewer', 'Read the diff first.', '',
    ].join('\n'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.agent, {
      name: 'reviewer', description: 'Reviews a change', path: '.keel/agents/reviewer.md', tools: ['read_file', 'mcp__github__*'], model: 'plan',
      maxSteps: 6, budgetUsd: 0.5, delegate: true, fallback: 'helper', instructions: '# Reviewer\nRead the diff first.',
    });
  });

  it('names the agent after its file, reads VS Code\'s comma-separated tools, and may not delegate by default', () => {
    const parsed = parseAgentDefinition('.github/agents/docs-writer.agent.md', '---\ndescription: Writes docs\ntools: read_file, search_files\n---\nWrite.\n', '.agent.md');
    assert.ok(parsed.ok);
    assert.equal(parsed.agent.name, 'docs-writer');
    assert.deepEqual(parsed.agent.tools, ['read_file', 'search_files']);
    assert.equal(parsed.agent.delegate, false);
  });

  it('names the file and the line of what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['no front matter\n', /^\.keel\/agents\/a\.md:1: an agent definition starts with front matter/],
      ['---\nname: a\ndescription: [unclosed\n---\n', /^\.keel\/agents\/a\.md:\d+: the front matter is not valid YAML/],
      ['---\nname: a\ndescription: ok\nmaxSteps: lots\n---\n', /^\.keel\/agents\/a\.md:4: maxSteps: /],
      ['---\ndescription: ok\ndelegate: "yes"\n---\n', /^\.keel\/agents\/a\.md:3: delegate: /],
      ['---\nname: "bad name!"\n---\n', /^\.keel\/agents\/a\.md:2: name: must be letters/],
      ['---\nname: a\nname: b\n---\n', /^\.keel\/agents\/a\.md:3: the front matter is not valid YAML/],
      ['---\n- a\n- b\n---\n', /^\.keel\/agents\/a\.md:2: the front matter must be "key: value" lines/],
      ['---\nfallback: a\n---\n', /cannot be its own fallback/],
      ['---\nx: &a [1,1,1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nz: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n---\n', /^\.keel\/agents\/a\.md:1: /],
    ];
    for (const [text, problem] of cases) {
      const parsed = parseAgentDefinition('.keel/agents/a.md', text);
      assert.ok(!parsed.ok, text);
      assert.match(parsed.problem, problem, text);
    }
  });

  it('loads the good definitions of a workspace beside the broken ones, first folder first', async () => {
    const root = await tempDir();
    try {
      await putFile(root, '.keel/agents/good.md', '---\ndescription: Good\nfallback: missing\n---\nDo good.\n');
      await putFile(root, '.keel/agents/broken.md', '---\nmaxSteps: -1\n---\n');
      await putFile(root, '.keel/agents/notes.txt', 'not a definition');
      await putFile(root, '.github/agents/good.agent.md', '---\ndescription: Shadowed\n---\n');
      await putFile(root, '.github/agents/vs.agent.md', '---\ndescription: From VS Code\n---\n');
      await putFile(root, '.github/agents/huge.agent.md', `---\ndescription: big\n---\n${'x'.repeat(70_000)}`);
      const { agents, problems } = await loadAgentDefinitions(root);
      assert.deepEqual([...agents.keys()].sort(), ['good', 'vs']);
      assert.equal(agents.get('good')!.path, '.keel/agents/good.md');
      assert.equal(problems.length, 4);
      assert.match(problems.find((p) => p.startsWith('.keel/agents/broken.md'))!, /^\.keel\/agents\/broken\.md:2: maxSteps:/);
      assert.match(problems.find((p) => p.startsWith('.github/agents/good.agent.md'))!, /taken by \.keel\/agents\/good\.md/);
      assert.match(problems.find((p) => p.startsWith('.github/agents/huge.agent.md'))!, /too long for an agent definition/);
      assert.match(problems.find((p) => p.includes('fallback'))!, /^\.keel\/agents\/good\.md:1: fallback: no agent is named missing/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('finds nothing and no problem without a workspace or agent folders', async () => {
    assert.deepEqual(await loadAgentDefinitions(undefined), { agents: new Map(), problems: [] });
    const root = await tempDir();
    try {
      assert.deepEqual(await loadAgentDefinitions(root), { agents: new Map(), problems: [] });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('allows tools by name, glob, and MCP server', () => {
    const builtin = { name: 'read_file', source: 'builtin' };
    const mcp = { name: 'mcp__github__create_issue', source: 'mcp:github' };
    assert.equal(allowsTool(undefined, builtin), true);
    assert.equal(allowsTool([], builtin), false);
    assert.equal(allowsTool(['read_file'], builtin), true);
    assert.equal(allowsTool(['read_file'], mcp), false);
    assert.equal(allowsTool(['mcp__github__*'], mcp), true);
    assert.equal(allowsTool(['github/*'], mcp), true);
    assert.equal(allowsTool(['gitlab/*'], mcp), false);
    assert.equal(allowsTool(['*'], mcp), true);
  });
});
