import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWalkable, walkWorkspace } from '../../host/workspace/fileWalk';
import { IgnoreRules } from '../../protocol/node/ignoreRules';
import { tempDir } from './helpers';

describe('workspace ignore rules', () => {
  let root: string;
  const files: Record<string, string> = {
    '.gitignore': 'build/\n*.log\n!keep.log\n',
    '.keelignore': 'private/\n',
    'a.ts': '',
    'keep.log': '',
    'debug.log': '',
    'build/out.js': '',
    'private/notes.md': '',
    'src/nested/.gitignore': 'generated.ts\n/local.ts\n',
    'src/nested/generated.ts': '',
    'src/nested/local.ts': '',
    'src/nested/deeper/generated.ts': '',
    'src/nested/deeper/local.ts': '',
    'src/generated.ts': '',
    'node_modules/dep/index.js': '',
    '.git/config': '',
  };

  before(async () => {
    root = await tempDir('keel-ignore-');
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
  });

  it('walks with every level of .gitignore and .keelignore applied below its own folder, as git does', async () => {
    const { files: listed, truncated } = await walkWorkspace(root, { limit: 100 });
    assert.deepEqual(listed, ['.gitignore', '.keelignore', 'a.ts', 'keep.log', 'src/generated.ts', 'src/nested/.gitignore', 'src/nested/deeper/local.ts']);
    assert.equal(truncated, false);
  });

  it('answers for single paths what the walk would list, without walking', async () => {
    const rules = new IgnoreRules(root);
    const { files: listed } = await walkWorkspace(root, { limit: 100 });
    for (const path of Object.keys(files)) assert.equal(await isWalkable(rules, path), listed.includes(path), path);
    assert.equal(await rules.ignores('build/'), true);
    assert.equal(await rules.ignores('.git/config'), true);
  });
});
