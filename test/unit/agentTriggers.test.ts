import assert from 'node:assert/strict';
import { parseAgentDefinition } from '../../host/orchestration/agents/agentDefinitions';
import { parseAgentTriggers } from '../../extension/triggers/agentTriggers';

const DEFINITION = [
  '---',
  'description: Fixes lint errors',
  'tools: [read_file, propose_edit]',
  'triggers:',
  '  - name: lint on save',
  '    on: { fileSaved: ["src/**/*.ts"] }',
  '    goal: fix the lint errors in ${file}',
  '  - name: nightly',
  '    on:',
  '      schedule: "0 3 * * *"',
  '    goal: tidy up',
  '    maxRunsPerHour: 1',
  '---',
  'Fix what the linter says.',
].join('\n');

describe('triggers in agent definitions', () => {
  it('reads each trigger of a definition as a run of that agent, with the trigger file\'s defaults', () => {
    const { triggers, problems } = parseAgentTriggers('.keel/agents/linter.md', DEFINITION, '.md');
    assert.deepEqual(problems, []);
    assert.deepEqual(triggers, [
      { name: 'lint on save', on: { fileSaved: ['src/**/*.ts'] }, goal: 'fix the lint errors in ${file}', debounceMs: 1500, maxRunsPerHour: 6, paused: false, agent: 'linter', source: '.keel/agents/linter.md' },
      { name: 'nightly', on: { schedule: '0 3 * * *' }, goal: 'tidy up', debounceMs: 1500, maxRunsPerHour: 1, paused: false, agent: 'linter', source: '.keel/agents/linter.md' },
    ]);
    // The host runs the same file as an agent, leaving the triggers to the extension.
    const parsed = parseAgentDefinition('.keel/agents/linter.md', DEFINITION);
    assert.ok(parsed.ok && parsed.agent.name === 'linter' && parsed.agent.tools?.length === 2);
  });

  it('takes the agent\'s name from "name:", or the file name without its suffix', () => {
    const named = parseAgentTriggers('.github/agents/x.agent.md', '---\nname: reviewer\ntriggers:\n  - { name: t, on: { command: true }, goal: review }\n---\n', '.agent.md');
    assert.equal(named.triggers[0]!.agent, 'reviewer');
    const byFile = parseAgentTriggers('.github/agents/docs-bot.agent.md', '---\ntriggers:\n  - { name: t, on: { command: true }, goal: g }\n---\n', '.agent.md');
    assert.equal(byFile.triggers[0]!.agent, 'docs-bot');
  });

  it('names the file and line of a wrong entry, and still loads the definition\'s other triggers', () => {
    const text = DEFINITION.replace('      schedule: "0 3 * * *"', '      schedule: "every night"');
    const { triggers, problems } = parseAgentTriggers('.keel/agents/linter.md', text, '.md');
    assert.deepEqual(triggers.map((t) => t.name), ['lint on save']);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.line, 10);
    assert.match(problems[0]!.message, /^\.keel\/agents\/linter\.md: triggers\[1\]\.on\.schedule: must be a cron expression/);
  });

  it('reports broken YAML, a triggers field that is not a list, and unknown fields, at their line', () => {
    const yaml = parseAgentTriggers('.keel/agents/a.md', '---\ndescription: x\ntriggers: [\n---\n', '.md');
    assert.deepEqual(yaml.triggers, []);
    assert.match(yaml.problems[0]!.message, /front matter is not valid YAML .* triggers are off/);
    const scalar = parseAgentTriggers('.keel/agents/a.md', '---\ndescription: x\ntriggers: on save\n---\n', '.md');
    assert.deepEqual(scalar.problems.map((p) => [p.line, p.message]), [[3, '.keel/agents/a.md: triggers: must be a list of triggers, each like an entry of .keel/triggers.json ({ name, on, goal }).']]);
    const extra = parseAgentTriggers('.keel/agents/a.md', '---\ntriggers:\n  - name: t\n    on: { command: true }\n    goal: g\n    sudo: true\n---\n', '.md');
    assert.equal(extra.problems[0]!.line, 3);
    assert.match(extra.problems[0]!.message, /triggers\[0\]: Unrecognized key: "sudo"/);
  });

  it('ignores definitions without triggers and refuses alias bombs', () => {
    assert.deepEqual(parseAgentTriggers('.keel/agents/a.md', '---\ndescription: plain\n---\nbody', '.md'), { triggers: [], problems: [] });
    assert.deepEqual(parseAgentTriggers('.keel/agents/a.md', 'no front matter\ntriggers: []', '.md'), { triggers: [], problems: [] });
    const bomb = ['---', 'a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'triggers: [*d]', '---'].join('\n');
    const result = parseAgentTriggers('.keel/agents/bomb.md', bomb, '.md');
    assert.deepEqual(result.triggers, []);
    assert.match(result.problems[0]!.message, /could not be read .* triggers are off/);
  });
});
