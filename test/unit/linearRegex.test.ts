import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, type ToolContext } from '../../host/tools';
import { jsonSchemaArgs } from '../../host/tools/argsSchema';
import { linearRegex } from '../../host/tools/linearRegex';
import { headlessWorkspace, recordingTrace, tempDir } from './helpers';

// Each of these took JavaScript's backtracking engine minutes, holding the host's thread; the suite's 10 s timeout
// is what fails them if the engine is ever backtracking again.
const EVIL = '(a+)+$';
const NEARLY = `${'a'.repeat(40)}!`;

describe('regular expressions from models, workspaces and MCP servers', () => {
  it('search_files matches a catastrophic pattern in linear time', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'aaa.txt'), `${NEARLY.repeat(1000)}\n${NEARLY}\n`);
    const workspace = headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [] }, workspace, approvals: new ApprovalBroker(workspace, 1000), span: recordingTrace().root, signal: new AbortController().signal };
    const result = await builtinTools().call({ id: 'c', name: 'search_files', arguments: { query: EVIL, regex: true } }, context);
    assert.deepEqual(result, { ok: true, content: 'No matches for (a+)+$ in 1 files.' });
  });

  it('checks a schema pattern from a tool definition in linear time', () => {
    const args = jsonSchemaArgs({ type: 'object', properties: { s: { type: 'string', pattern: `^${EVIL}` } }, patternProperties: { [EVIL]: { type: 'number' } } });
    const parsed = args.parse({ s: NEARLY.repeat(100) });
    assert.equal(parsed.ok, false);
    assert.match((parsed as { error: string }).error, /must match pattern/);
    assert.deepEqual(args.parse({ s: 'aaaa' }), { ok: true, value: { s: 'aaaa' } });
  });

  it('refuses what RE2 cannot match, saying why', () => {
    assert.throws(() => linearRegex('(a)\\1'), /regular expression is invalid .*RE2 syntax, which has no backreferences or lookaround/);
    assert.equal(linearRegex('TODO:\\s+\\w+', { caseInsensitive: true }).test('// todo: tidy'), true);
  });
});
