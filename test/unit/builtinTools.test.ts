import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, type ToolContext } from '../../host/tools';
import type { ReviewToolCallParams } from '../../protocol/rpc';
import { headlessWorkspace, recordingTrace, tempDir } from './helpers';

describe('built-in tools', function () {
  this.timeout(10_000);
  let root: string;
  let asked: ReviewToolCallParams[];
  let allow: boolean;
  let signal: AbortSignal;

  beforeEach(async () => {
    root = await tempDir();
    asked = [];
    allow = true;
    signal = new AbortController().signal;
    await mkdir(join(root, 'src', 'deep'), { recursive: true });
    await mkdir(join(root, 'build'));
    await mkdir(join(root, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(root, '.gitignore'), 'build/\n*.log\n');
    await writeFile(join(root, 'src', '.keelignore'), 'secret.ts\n');
    await writeFile(join(root, 'src', 'a.ts'), 'export function parseConfig() {}\n// TODO: tidy\n');
    await writeFile(join(root, 'src', 'deep', 'b.ts'), 'const parseconfig = 1;\n');
    await writeFile(join(root, 'src', 'secret.ts'), 'parseConfig');
    await writeFile(join(root, 'build', 'out.js'), 'parseConfig');
    await writeFile(join(root, 'debug.log'), 'parseConfig');
    await writeFile(join(root, 'node_modules', 'x', 'i.js'), 'parseConfig');
    await writeFile(join(root, 'image.bin'), Buffer.from([0x89, 0x50, 0, 0, 0x70, 0x61, 0x72, 0x73, 0x65]));
    await writeFile(join(root, 'README.md'), '# parseConfig docs\n');
  });

  function call(name: string, args: unknown) {
    const workspace = headlessWorkspace(root, {
      edit: async () => ({ decision: 'denied', reason: 'not here' }),
      toolCall: async (review) => {
        asked.push(review);
        return allow ? { decision: 'approved' } : { decision: 'denied', reason: 'no' };
      },
    });
    const { root: span } = recordingTrace();
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [], commandSandbox: 'off' }, workspace, approvals: new ApprovalBroker(workspace, 5000), span, signal };
    return builtinTools().call({ id: 'c', name, arguments: args }, context);
  }

  it('list_files honours .gitignore, nested .keelignore and skips node_modules', async () => {
    const all = await call('list_files', {});
    assert.deepEqual(all.content.split('\n'), ['.gitignore', 'image.bin', 'README.md', 'src/.keelignore', 'src/a.ts', 'src/deep/b.ts']);
    assert.deepEqual((await call('list_files', { glob: 'src/**/*.ts' })).content.split('\n'), ['src/a.ts', 'src/deep/b.ts']);
    assert.deepEqual((await call('list_files', { glob: '*.md' })).content.split('\n'), ['README.md']);
    assert.equal((await call('list_files', { glob: '*.py' })).content, 'No files match *.py.');
  });

  it('search_files finds literal and regex matches, skipping ignored and binary files', async () => {
    const literal = await call('search_files', { query: 'parseConfig' });
    assert.deepEqual(literal.content.split('\n'), ['README.md:1: # parseConfig docs', 'src/a.ts:1: export function parseConfig() {}', 'src/deep/b.ts:1: const parseconfig = 1;']);
    const sensitive = await call('search_files', { query: 'parseConfig', case_sensitive: true, glob: '**/*.ts' });
    assert.deepEqual(sensitive.content.split('\n'), ['src/a.ts:1: export function parseConfig() {}']);
    const regex = await call('search_files', { query: 'TODO:\\s+\\w+', regex: true });
    assert.equal(regex.content, 'src/a.ts:2: // TODO: tidy');
    const bad = await call('search_files', { query: '(unclosed', regex: true });
    assert.equal(bad.ok, false);
    assert.match(bad.content, /regular expression is invalid.*regex: false/);
  });

  it('create_file asks first, creates folders, and refuses existing files and escapes', async () => {
    const created = await call('create_file', { path: 'docs/new/guide.md', content: '# Guide\n' });
    assert.deepEqual(created, { ok: true, content: 'Created docs/new/guide.md.' });
    assert.equal(await readFile(join(root, 'docs', 'new', 'guide.md'), 'utf8'), '# Guide\n');
    assert.equal(asked[0]!.title, 'Create docs/new/guide.md (2 lines)?');
    assert.match((await call('create_file', { path: 'src/a.ts', content: 'x' })).content, /already exists; change it with propose_edit/);
    assert.match((await call('create_file', { path: '../outside.txt', content: 'x' })).content, /outside the workspace/);
    const outside = await tempDir('keel-outside-');
    await symlink(outside, join(root, 'link'));
    assert.match((await call('create_file', { path: 'link/escape.txt', content: 'x' })).content, /outside the workspace/);
    allow = false;
    assert.match((await call('create_file', { path: 'denied.txt', content: 'x' })).content, /The user denied create_file: no/);
    await assert.rejects(readFile(join(root, 'denied.txt')));
  });

  it('run_command asks with a plain warning, then returns exit code and output', async () => {
    const result = await call('run_command', { command: 'echo out; echo err >&2; exit 3' });
    assert.equal(asked[0]!.risk, 'execute');
    assert.match(asked[0]!.title, /Run `echo out; echo err >&2; exit 3` in the workspace\? Commands are not sandboxed/);
    assert.match(result.content, /^Exit code 3\.\nout\nerr\n$/);
  });

  it('run_command runs in the workspace, stops at the timeout, and caps output', async () => {
    assert.match((await call('run_command', { command: 'pwd' })).content, new RegExp(root.replace(/[/\\]/g, '.')));
    const slow = await call('run_command', { command: 'sleep 5; echo never', timeout_seconds: 1 });
    assert.match(slow.content, /stopped: timed out after 1 s/);
    assert.doesNotMatch(slow.content, /never/);
    const loud = await call('run_command', { command: 'yes keel | head -c 200000' });
    assert.match(loud.content, /\[\d+ more characters of output were cut\]/);
    assert.ok(loud.content.length < 70_000);
  });

  it('run_command never runs when the user denies it', async () => {
    allow = false;
    const result = await call('run_command', { command: `touch ${join(root, 'ran')}` });
    assert.match(result.content, /denied run_command/);
    await assert.rejects(readFile(join(root, 'ran')));
  });
});
