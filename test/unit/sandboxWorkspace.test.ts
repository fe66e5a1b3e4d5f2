import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workspaceCapabilities } from '../../host/sandbox';
import { tempDir } from './helpers';

/** A workspace with ignored files at several levels, symlinks in and out, and directories listing must skip. */
async function makeWorkspace(): Promise<{ root: string; outside: string }> {
  const root = await tempDir('keel-sandbox-ws-');
  const outside = await tempDir('keel-sandbox-outside-');
  await writeFile(join(outside, 'secret.txt'), 'outside secret');
  const files: Record<string, string> = {
    '.gitignore': '.env\nbuild/\n*.log\n',
    '.keelignore': 'private/\n',
    '.env': 'TOKEN=1',
    'README.md': '# readme',
    'src/a.ts': 'export const a = 1;',
    'src/b.ts': 'export const b = 2;',
    'src/nested/.gitignore': 'generated.ts\n',
    'src/nested/generated.ts': '// generated',
    'src/nested/kept.ts': '// kept',
    'build/out.js': 'built',
    'debug.log': 'log',
    'private/notes.md': 'notes',
    'node_modules/dep/index.js': 'dep',
    '.git/config': '[core]',
    '.github/workflows/ci.yml': 'on: push',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
  await symlink(outside, join(root, 'escape-dir'));
  await symlink(join(root, '.env'), join(root, 'env-alias.txt'));
  await symlink(join(root, 'src', 'a.ts'), join(root, 'a-alias.ts'));
  return { root, outside };
}

describe('sandbox: workspace capabilities', () => {
  let root: string;
  let outside: string;
  let workspace: ReturnType<typeof workspaceCapabilities>;

  before(async () => {
    ({ root, outside } = await makeWorkspace());
    workspace = workspaceCapabilities(root, { maxFileBytes: 64 });
  });

  it('reads files inside the workspace, including through an inside symlink', async () => {
    assert.equal(await workspace.readFile('src/a.ts'), 'export const a = 1;');
    assert.equal(await workspace.readFile('./src/../src/b.ts'), 'export const b = 2;');
    assert.equal(await workspace.readFile('a-alias.ts'), 'export const a = 1;');
  });

  for (const path of ['../secret.txt', '/etc/passwd', 'src/../../x', 'escape.txt', 'escape-dir/secret.txt']) {
    it(`refuses ${path}, which leads outside the workspace`, async () => {
      await assert.rejects(workspace.readFile(path), /is outside the workspace|No such file/);
    });
  }

  it('says so when the path leads outside, rather than that the file is missing', async () => {
    await assert.rejects(workspace.readFile(join(outside, 'secret.txt')), /is outside the workspace; only files inside the workspace can be used/);
  });

  for (const path of ['.env', 'build/out.js', 'debug.log', 'private/notes.md', 'src/nested/generated.ts', '.git/config', 'env-alias.txt']) {
    it(`refuses ${path}, which the ignore files exclude`, async () => {
      await assert.rejects(workspace.readFile(path), /excluded by \.gitignore or \.keelignore( \(it is [^)]*\))?, so Keel does not read it|inside \.git, which Keel never reads/);
    });
  }

  it('refuses directories, missing files and files over the size limit with what to do instead', async () => {
    await assert.rejects(workspace.readFile('src'), /src is not a file; use list_files/);
    await assert.rejects(workspace.readFile('nope.ts'), /No such file: nope\.ts/);
    await writeFile(join(root, 'big.txt'), 'x'.repeat(65));
    await assert.rejects(workspace.readFile('big.txt'), /big\.txt is 65 bytes, over the 64 bytes Keel reads at once/);
  });

  it('lists matching files, skipping ignored ones, node_modules, .git and links leading out', async () => {
    assert.deepEqual(await workspace.listFiles('**/*.ts'), ['a-alias.ts', 'src/a.ts', 'src/b.ts', 'src/nested/kept.ts']);
    const all = await workspace.listFiles('**');
    assert.ok(all.includes('.github/workflows/ci.yml') && all.includes('README.md'));
    for (const hidden of ['.env', 'build/out.js', 'debug.log', 'private/notes.md', 'src/nested/generated.ts', 'node_modules/dep/index.js', '.git/config', 'escape.txt', 'escape-dir/secret.txt']) {
      assert.ok(!all.includes(hidden), `${hidden} should not be listed`);
    }
  });

  it('refuses globs that reach outside the workspace', async () => {
    for (const glob of ['../**', '/etc/*', '', 'src/../../*']) {
      await assert.rejects(workspace.listFiles(glob), /listFiles takes a glob relative to the workspace root/);
    }
  });

  it('refuses to list more files than its cap', async () => {
    const big = await tempDir('keel-sandbox-many-');
    await Promise.all(Array.from({ length: 2001 }, (_, i) => writeFile(join(big, `f${i}.txt`), '')));
    await assert.rejects(workspaceCapabilities(big).listFiles('*.txt'), /More than 2000 files match; use a narrower glob/);
  });
});
