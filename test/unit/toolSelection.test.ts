import assert from 'node:assert/strict';
import { selectTools } from '../../host/tools/selection';

const spec = (name: string, description: string) => ({ name, description, parameters: { type: 'object' } });
const core = new Set(['read_file', 'propose_edit']);
const builtins = [spec('read_file', 'Read a file'), spec('propose_edit', 'Edit a file')];
const mcp = [
  spec('mcp__github__create_issue', 'Create a new issue in a GitHub repository'),
  spec('mcp__github__list_pull_requests', 'List pull requests of a repository'),
  spec('mcp__slack__post_message', 'Post a message to a Slack channel'),
  spec('mcp__jira__createTicket', 'Open a ticket in Jira'),
  ...Array.from({ length: 60 }, (_, i) => spec(`mcp__misc__tool_${i}`, `Does unrelated thing number ${i}`)),
];

describe('tool selection', () => {
  it('offers everything when under the limit', async () => {
    const { offered, reason } = await selectTools([...builtins, ...mcp.slice(0, 3)], 'anything', { max: 40, core });
    assert.equal(offered.length, 5);
    assert.equal(reason, 'all 5 tools');
  });

  it('keeps the core tools and ranks the rest against the goal', async () => {
    const { offered, reason } = await selectTools([...builtins, ...mcp], 'open a GitHub issue about the failing pull request', { max: 5, core });
    const names = offered.map((t) => t.name);
    assert.equal(names.length, 5);
    assert.deepEqual(names.slice(0, 2), ['read_file', 'propose_edit']);
    assert.ok(names.includes('mcp__github__create_issue'), names.join(', '));
    assert.ok(names.includes('mcp__github__list_pull_requests'), names.join(', '));
    assert.match(reason, /2 core \+ 3 of 64 other tools/);
  });

  it('matches words inside camelCase and snake_case names', async () => {
    const { offered } = await selectTools([...builtins, ...mcp], 'create a ticket', { max: 3, core });
    assert.equal(offered[2]!.name, 'mcp__jira__createTicket');
  });

  it('fills up to the limit when few tools match', async () => {
    const { offered } = await selectTools([...builtins, ...mcp], 'zzz qqq', { max: 10, core });
    assert.equal(offered.length, 10);
  });
});
