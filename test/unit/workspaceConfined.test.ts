import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile, realpath, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  confirmCreated, createWorkspaceText, openListedFile, prepareNewFile, readableFile, readWorkspaceText, rewriteWorkspaceText,
} from '../../protocol/node/confinedFiles';
import { putFile, rejection, tempDir } from './helpers';

describe('confined workspace files', () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = await realpath(await tempDir('keel-confined-'));
    outside = await realpath(await tempDir('keel-confined-outside-'));
    await putFile(root, '.gitignore', '.env\n');
    await putFile(root, '.env', 'TOKEN=1\n');
    await putFile(root, 'src/a.ts', 'export const a = 1;\n');
    await putFile(outside, 'secret.txt', 'secret');
    await symlink(outside, join(root, 'out'));
    await symlink(join(outside, 'secret.txt'), join(root, 'secret-link'));
  });

  it('creates missing folders and the file, and refuses existing names, dangling links and escapes', async () => {
    await createWorkspaceText(root, 'docs/new/guide.md', '# Guide\n');
    assert.equal(await readFile(join(root, 'docs', 'new', 'guide.md'), 'utf8'), '# Guide\n');
    assert.match((await rejection(createWorkspaceText(root, 'src/a.ts', 'x'))).message, /already exists; change it with propose_edit/);
    await symlink(join(outside, 'planted.txt'), join(root, 'dangling'));
    assert.match((await rejection(createWorkspaceText(root, 'dangling', 'x'))).message, /already exists/);
    assert.match((await rejection(createWorkspaceText(root, 'out/escape.txt', 'x'))).message, /resolves outside the workspace/);
    assert.match((await rejection(createWorkspaceText(root, 'out/deeper/escape.txt', 'x'))).message, /resolves outside the workspace/);
    assert.match((await rejection(createWorkspaceText(root, 'src/a.ts/x', 'x'))).message, /is a file, not a folder/);
    assert.deepEqual((await readdir(outside)).sort(), ['secret.txt']);
  });

  it('rewrites a file in place and refuses one that resolves outside or is ignored', async () => {
    await rewriteWorkspaceText(root, 'src/a.ts', (text) => text.replace('1', '2'));
    assert.equal(await readFile(join(root, 'src', 'a.ts'), 'utf8'), 'export const a = 2;\n');
    assert.match((await rejection(rewriteWorkspaceText(root, 'secret-link', () => 'x'))).message, /resolves outside the workspace/);
    assert.match((await rejection(rewriteWorkspaceText(root, '.env', () => 'x'))).message, /excluded by \.gitignore/);
    assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  it('names missing files and folders, and refuses a FIFO without waiting for a writer', async function () {
    if (process.platform === 'win32') this.skip();
    assert.match((await rejection(readWorkspaceText(root, 'nope.ts'))).message, /No such file: nope\.ts/);
    assert.match((await rejection(readWorkspaceText(root, 'src'))).message, /is not a file|is a folder/);
    execFileSync('mkfifo', [join(root, 'pipe')]);
    assert.match((await rejection(readWorkspaceText(root, 'pipe'))).message, /pipe is not a file/);
  });

  it('checks a path for an editor lookup by the same rules as a read', async () => {
    assert.equal(await readableFile(root, './src/../src/a.ts'), join(root, 'src', 'a.ts'));
    assert.match((await rejection(readableFile(root, 'sub/../.env'))).message, /add the line "!\.env"/);
    assert.match((await rejection(readableFile(root, 'secret-link'))).message, /resolves outside the workspace/);
  });

  it('prepares a new file for another writer through real folders, then confirms where it landed', async () => {
    await symlink(join(root, 'src'), join(root, 'src-link'));
    const file = await prepareNewFile(root, 'src-link/made/new.ts');
    assert.equal(file, join(root, 'src', 'made', 'new.ts'));
    assert.ok((await lstat(join(root, 'src', 'made'))).isDirectory());
    await writeFile(file, 'x');
    await confirmCreated(root, file, 'src-link/made/new.ts');
    assert.match((await rejection(prepareNewFile(root, 'src/a.ts'))).message, /already exists/);
    assert.match((await rejection(prepareNewFile(root, 'out/x.ts'))).message, /resolves outside the workspace/);

    // A folder swapped for a symlink after the preparation sends the other writer outside: that is reported.
    const late = await prepareNewFile(root, 'late/new.ts');
    await rename(join(root, 'late'), join(root, 'late-real'));
    await symlink(outside, join(root, 'late'));
    await writeFile(late, 'x');
    const error = await rejection(confirmCreated(root, late, 'late/new.ts'));
    assert.match(error.message, /late\/new\.ts was written at .*new\.ts, which resolves outside the workspace/);
  });

  it('opens a listed file only while it is still the plain file the walk saw', async () => {
    const handle = await openListedFile(root, 'src/a.ts');
    assert.ok(handle);
    await handle.close();
    await rename(join(root, 'src', 'a.ts'), join(root, 'src', 'a.bak'));
    await symlink(join(outside, 'secret.txt'), join(root, 'src', 'a.ts'));
    assert.equal(await openListedFile(root, 'src/a.ts'), undefined);
    await symlink(join(root, '.env'), join(root, 'env-link'));
    assert.equal(await openListedFile(root, 'env-link'), undefined);
  });
});
