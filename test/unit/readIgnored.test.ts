import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApprovalBroker } from '../../host/governance/approvals';
import { builtinTools, type ToolContext } from '../../host/tools';
import { headlessWorkspace, putFile, recordingTrace, rejection, tempDir } from './helpers';

describe('read_file and ignored files', () => {
  let root: string;

  beforeEach(async () => {
    root = await tempDir('keel-read-ignored-');
    await putFile(root, '.gitignore', '.env\nsecrets/\n');
    await putFile(root, '.env', 'TOKEN=hunter2\n');
    await putFile(root, 'secrets/x', 'private key\n');
    await putFile(root, 'sub/readme.md', 'visible\n');
    await putFile(root, 'src/nested/.gitignore', 'generated.ts\n');
    await putFile(root, 'src/nested/generated.ts', 'generated\n');
    await putFile(root, '.git/config', '[remote "origin"]\n\turl = https://user:token@example.com/repo\n');
    await symlink(join(root, '.env'), join(root, 'env-link'));
    await symlink('secrets', join(root, 'hidden'));
  });

  function workspace() {
    return headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
  }

  function readFileTool(path: string) {
    const { root: span } = recordingTrace();
    const files = workspace();
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [] }, workspace: files, approvals: new ApprovalBroker(files, 5000), span, signal: new AbortController().signal };
    return builtinTools().call({ id: 'c', name: 'read_file', arguments: { path } }, context);
  }

  for (const path of ['.env', './.env', 'sub/../.env', 'env-link']) {
    it(`refuses ${path} and says how to allow it with a .keelignore negation`, async () => {
      const outcome = await readFileTool(path);
      assert.equal(outcome.ok, false);
      assert.doesNotMatch(outcome.content, /hunter2/);
      assert.match(outcome.content, /excluded by \.gitignore or \.keelignore/);
      assert.match(outcome.content, /add the line "!\.env" to \.keelignore at the workspace root/);
    });
  }

  for (const path of ['secrets/x', 'hidden/x']) {
    it(`refuses ${path}, inside an ignored folder, naming the folder to negate`, async () => {
      const error = await rejection(workspace().readFile(path));
      assert.match(error.message, /excluded by \.gitignore or \.keelignore/);
      assert.match(error.message, /add the line "!secrets\/" to \.keelignore at the workspace root/);
    });
  }

  it('names the nested folder whose ignore file excludes the path', async () => {
    const error = await rejection(workspace().readFile('src/nested/generated.ts'));
    assert.match(error.message, /add the line "!generated\.ts" to src\/nested\/\.keelignore/);
  });

  it('reads a file that a .keelignore negation lets through, through a symlink too', async () => {
    await writeFile(join(root, '.keelignore'), '!.env\n');
    assert.equal(await workspace().readFile('.env'), 'TOKEN=hunter2\n');
    assert.equal(await workspace().readFile('env-link'), 'TOKEN=hunter2\n');
    assert.deepEqual(await readFileTool('sub/../.env'), { ok: true, content: 'TOKEN=hunter2\n' });
  });

  it('never reads .git, whatever the ignore files say', async () => {
    await writeFile(join(root, '.keelignore'), '!.git/\n!.git/config\n');
    const error = await rejection(workspace().readFile('.git/config'));
    assert.match(error.message, /inside \.git, which Keel never reads/);
    assert.doesNotMatch(error.message, /token/);
  });

  it('still reads files no ignore file excludes', async () => {
    assert.equal(await workspace().readFile('sub/readme.md'), 'visible\n');
    assert.equal(await workspace().readFile('.gitignore'), '.env\nsecrets/\n');
  });
});
