import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemoryIndexProgress } from '../../protocol/rpc';
import { workspaceStorage } from '../../host/memory/workspaceIndex/openWorkspaceIndex';
import { readRecords } from '../../host/memory/workspaceIndex/recordLog';
import { WorkspaceMemory } from '../../host/memory/workspaceIndex/workspaceMemory';
import { rejection, tempDir } from './helpers';

const FILES = 1500;

describe('memory over the host\'s lifetime', function () {
  this.timeout(60_000);
  let root: string;
  let storage: string;

  before(async () => {
    root = await tempDir('keel-workspace-memory-');
    for (let i = 0; i < FILES; i++) {
      const folder = join(root, i % 2 ? 'src' : 'generated');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `module${i}.ts`), `export function handler${i}(input: string) {\n  return input.repeat(${i});\n}\n`);
    }
  });
  beforeEach(async () => {
    storage = await tempDir('keel-workspace-memory-store-');
  });

  function memory(hidden: string[] = []) {
    const progress: MemoryIndexProgress[] = [];
    const logged: string[] = [];
    const workspace = new WorkspaceMemory({ root: () => root, storageDir: () => storage, hidden: () => hidden, log: (m) => void logged.push(m) });
    workspace.onProgress((p) => void progress.push(p));
    const indexing = () => new Promise<void>((resolve) => workspace.onProgress((p) => p.phase === 'indexing' && resolve()));
    return { workspace, progress, logged, indexing, hidden };
  }

  const recorded = async () => (await readRecords(workspaceStorage(storage, root))).size;

  it('stops indexing when the host shuts down, keeping what it recorded for the next start to resume', async () => {
    const first = memory();
    const stopped = rejection(first.workspace.reindex());
    await first.indexing();
    await first.workspace.dispose();
    assert.match((await stopped).message, /Indexing stopped: the agent host is shutting down/);
    assert.ok(!first.progress.some((p) => p.phase === 'failed'), 'a stop on purpose is not reported as a failure');
    const kept = await recorded();
    assert.ok(kept > 0 && kept < FILES, `${kept} of ${FILES} files recorded`);

    const second = memory();
    const resumed = await second.workspace.reindex();
    assert.deepEqual([resumed.indexed, resumed.unchanged, resumed.files], [FILES - kept, kept, FILES]);
    await second.workspace.dispose();
  });

  it('reopens without waiting for the update in progress when hidden files change', async () => {
    const opened = memory();
    const stopped = rejection(opened.workspace.reindex());
    await opened.indexing();
    opened.hidden.push('**/generated');
    await opened.workspace.refresh();
    assert.match((await stopped).message, /hidden files or the embedding model changed/);
    const stats = await opened.workspace.reindex();
    assert.deepEqual([stats.files, stats.removed], [FILES / 2, 0]);
    assert.deepEqual((await opened.workspace.search('handler7 input repeat', 5)).map((h) => h.path.split('/')[0]), ['src', 'src', 'src', 'src', 'src']);
    await opened.workspace.dispose();
  });
});
