import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside } from '../../protocol/node/paths';
import { applyEditToText, offsetAt, positionAt } from '../../host/workspace/textRange';
import { locateEdit } from '../../host/tools/proposeEdit';
import { headlessWorkspace, tempDir } from './helpers';

describe('workspace confinement', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await tempDir();
    outside = await tempDir('keel-outside-');
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(join(outside, 'secret.txt'), join(root, 'link.txt'));
    await symlink(outside, join(root, 'linkdir'));
  });

  it('resolves relative paths inside the root', async () => {
    assert.equal(await resolveInside(root, 'src/a.ts'), join(await import('node:fs/promises').then((f) => f.realpath(root)), 'src', 'a.ts'));
    assert.ok((await resolveInside(root, './src/../src/a.ts')).endsWith('a.ts'));
  });

  for (const escape of ['../x', '/etc/passwd', 'src/../../x', 'link.txt', 'linkdir/secret.txt']) {
    it(`refuses ${escape}`, async () => {
      await assert.rejects(resolveInside(root, escape), /outside the workspace|No such file/);
    });
  }

  it('refuses an empty path and names a missing file', async () => {
    await assert.rejects(resolveInside(root, ''), /empty/);
    await assert.rejects(resolveInside(root, 'nope.ts'), /No such file: nope.ts/);
  });
});

describe('text edits', () => {
  const text = 'line one\nline two\nline three\n';

  it('maps offsets and positions both ways', () => {
    for (const offset of [0, 5, 9, 14, text.length]) assert.equal(offsetAt(text, positionAt(text, offset)), offset);
    assert.deepEqual(positionAt(text, text.indexOf('two')), { line: 1, character: 5 });
  });

  it('locates a unique replacement and applies it', () => {
    const edit = locateEdit('f.txt', text, 'two\nline', '2\nLINE');
    assert.deepEqual(edit.range, { start: { line: 1, character: 5 }, end: { line: 2, character: 4 } });
    assert.equal(applyEditToText(text, edit), 'line one\nline 2\nLINE three\n');
  });

  it('refuses missing, ambiguous and no-op replacements with a next step', () => {
    assert.throws(() => locateEdit('f.txt', text, 'four', 'x'), /not found in f.txt.*Read the file again/);
    assert.throws(() => locateEdit('f.txt', text, 'line', 'x'), /occurs 3 times.*more surrounding lines/);
    assert.throws(() => locateEdit('f.txt', text, 'one', 'one'), /change nothing/);
  });

  it('refuses to apply an edit to text that changed', () => {
    const edit = locateEdit('f.txt', text, 'two', '2');
    assert.throws(() => applyEditToText(text.replace('two', 'TWO'), edit), /changed since the edit was proposed/);
  });
});

describe('a headless workspace and its consent', () => {
  it('writes an approved edit and leaves a denied one unwritten', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'a.txt'), 'hello world\n');
    const edit = locateEdit('a.txt', 'hello world\n', 'world', 'keel');
    const review = { runId: 'r', approvalId: 'x', edit };
    const denying = headlessWorkspace(root, { edit: async () => ({ decision: 'denied', reason: 'no' }), toolCall: async () => ({ decision: 'approved' }) });
    assert.deepEqual(await denying.reviewEdit(review, new AbortController().signal), { decision: 'denied', reason: 'no' });
    assert.equal(await readFile(join(root, 'a.txt'), 'utf8'), 'hello world\n');
    const approving = headlessWorkspace(root, { edit: async () => ({ decision: 'approved' }), toolCall: async () => ({ decision: 'approved' }) });
    await approving.reviewEdit(review, new AbortController().signal);
    assert.equal(await approving.readFile('a.txt'), 'hello keel\n');
  });
});
