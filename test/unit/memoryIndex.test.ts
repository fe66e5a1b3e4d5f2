import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkspaceIndex, type SearchHit } from '../../host/memory';
import { HashEmbedder } from '../memory/hashEmbedder';
import { realSourceTree } from '../memory/sourceTree';
import { tempDir } from './helpers';

describe('memory workspace index', function () {
  this.timeout(30_000);
  let root: string;
  let storage: string;
  const open: WorkspaceIndex[] = [];

  async function openIndex(options: Parameters<typeof WorkspaceIndex.open>[2] = {}, dir = storage) {
    const index = await WorkspaceIndex.open(root, dir, options);
    open.push(index);
    return index;
  }

  const brief = (hits: readonly SearchHit[]) => hits.map((h) => `${h.path}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ''}`);

  beforeEach(async () => {
    root = await realSourceTree();
    storage = await tempDir('keel-memory-store-');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((index) => index.close()));
  });

  it('indexes a real source tree and finds symbols at their lines', async () => {
    const index = await openIndex();
    const first = await index.update();
    assert.equal(first.indexed, 27);
    assert.equal(first.unchanged, 0);
    const util = (await readFile(join(root, 'zod', 'util.ts'), 'utf8')).split('\n');
    const start = util.findIndex((l) => l.startsWith('export function getEnumValues')) + 1;
    const [top] = await index.search('getEnumValues');
    assert.deepEqual([top!.path, top!.startLine, top!.symbol], ['zod/util.ts', start, 'getEnumValues']);
    assert.match(top!.text, /^export function getEnumValues/);
    const python = await index.search('flatted stringify python value');
    assert.equal(python[0]!.path, 'flatted/flatted.py');
    assert.equal(python[0]!.symbol, 'stringify');
    const { files, chunks } = index.stats();
    assert.equal(files, 27);
    assert.ok(chunks > 500, `${chunks} chunks`);
    assert.deepEqual(await index.update(), { indexed: 0, removed: 0, unchanged: 27, skipped: 0 });
  });

  it('honours ignore files and default excludes, and skips binary and oversized files', async () => {
    await mkdir(join(root, 'build'));
    await writeFile(join(root, '.gitignore'), 'build/\n');
    await writeFile(join(root, 'zod', '.keelignore'), 'regexes.ts\n');
    // One-word markers, so no part of them matches the real sources.
    await writeFile(join(root, 'build', 'out.js'), 'function qqbuilt() {}\n');
    await writeFile(join(root, 'app.min.js'), 'function qqminified(){}\n');
    await writeFile(join(root, 'logo.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), Buffer.from(' qqbinary ')]));
    await writeFile(join(root, 'huge.txt'), `qqoversized ${'x '.repeat(150_000)}`);
    const index = await openIndex({ maxFileBytes: 200 * 1024 });
    const result = await index.update();
    assert.equal(result.skipped, 2);
    assert.equal(index.stats().skippedFiles, 2);
    for (const word of ['qqbuilt', 'qqminified', 'qqbinary', 'qqoversized']) assert.deepEqual(await index.search(word), [], word);
    const paths = new Set((await index.search('regex pattern email uuid', { limit: 100 })).map((h) => h.path));
    assert.ok(!paths.has('zod/regexes.ts'));
    assert.ok(paths.size > 0);
  });

  it('re-chunks only what changed after an edit, a touch, a rename and a delete', async () => {
    const embedder = new HashEmbedder();
    const index = await openIndex({ embedder });
    await index.update();
    const embedded = embedder.texts;
    const file = join(root, 'minimatch', 'escape.js');

    await appendFile(file, '\nfunction brandNewHelper(input) {\n  return input.trim();\n}\n');
    const afterEdit = await index.update();
    assert.deepEqual(afterEdit, { indexed: 1, removed: 0, unchanged: 26, skipped: 0 });
    const escapeChunks = (await index.search('escape path:minimatch/escape.js', { limit: 100, mode: 'bm25' })).length;
    assert.equal(embedder.texts - embedded, escapeChunks, 'only the edited file is embedded again');
    assert.equal((await index.search('brandNewHelper', { mode: 'bm25' }))[0]!.path, 'minimatch/escape.js');

    const touched = new Date(Date.now() + 5000);
    await utimes(file, touched, touched);
    assert.deepEqual(await index.update(), { indexed: 0, removed: 0, unchanged: 27, skipped: 0 });

    const beforeRename = embedder.texts;
    await rename(file, join(root, 'minimatch', 'escaping.js'));
    assert.deepEqual(await index.update(), { indexed: 1, removed: 1, unchanged: 26, skipped: 0 });
    assert.equal(embedder.texts, beforeRename, 'a renamed file reuses its vectors');
    assert.equal((await index.search('brandNewHelper', { mode: 'bm25' }))[0]!.path, 'minimatch/escaping.js');

    await rm(join(root, 'minimatch', 'escaping.js'));
    assert.deepEqual(await index.update(), { indexed: 0, removed: 1, unchanged: 26, skipped: 0 });
    assert.ok((await index.search('brandNewHelper', { mode: 'bm25', limit: 100 })).every((h) => !h.path.startsWith('minimatch/escap')));
    assert.equal(index.stats().files, 26);
  });

  it('updates just the files it is given, adding new ones unless ignored', async () => {
    const index = await openIndex();
    await index.update();
    await writeFile(join(root, '.keelignore'), 'private/\n');
    await mkdir(join(root, 'private'));
    await writeFile(join(root, 'private', 'notes.ts'), 'export function secretPlan() {}\n');
    await writeFile(join(root, 'added.ts'), 'export function freshlyAddedFunction() {}\n');
    await rm(join(root, 'flatted', 'flatted.py'));
    const result = await index.updateFiles([join(root, 'added.ts'), 'private/notes.ts', 'flatted/flatted.py']);
    assert.deepEqual(result, { indexed: 1, removed: 1, unchanged: 0, skipped: 0 });
    assert.equal((await index.search('freshlyAddedFunction'))[0]!.path, 'added.ts');
    assert.deepEqual(await index.search('secretPlan'), []);
    assert.deepEqual(await index.search('stringify lang:python'), []);
    await assert.rejects(index.updateFiles(['../outside.ts']), /outside the workspace .*only workspace files are indexed/);
  });

  it('resumes after a crash mid-index and ends as a clean run does', async () => {
    const crashing = new HashEmbedder();
    // About two thirds of the tree's chunks: past the first batch of files, before the last.
    crashing.failAfterTexts = 1000;
    const first = await openIndex({ embedder: crashing });
    await assert.rejects(first.update(), /The embedder test-hash-256 failed \(embedding server went away\)\. Files indexed before the failure are kept; run the update again to resume\./);
    await first.close();
    open.splice(open.indexOf(first), 1);

    const resumedEmbedder = new HashEmbedder();
    const resumed = await openIndex({ embedder: resumedEmbedder });
    const done = resumed.stats().files;
    assert.ok(done > 0 && done < 27, `${done} files were recorded before the crash`);
    assert.deepEqual(await resumed.update(), { indexed: 27 - done, removed: 0, unchanged: done, skipped: 0 });

    const clean = await openIndex({ embedder: new HashEmbedder() }, await tempDir('keel-memory-clean-'));
    await clean.update();
    assert.deepEqual(resumed.stats(), clean.stats());
    for (const query of ['parse regex', 'getEnumValues', 'minimatch brace expand', 'json schema generator']) {
      for (const mode of ['bm25', 'hybrid'] as const) {
        const [a, b] = [await resumed.search(query, { mode, limit: 20 }), await clean.search(query, { mode, limit: 20 })];
        assert.deepEqual(a.map((h) => [h.path, h.startLine, h.score.toFixed(6)]), b.map((h) => [h.path, h.startLine, h.score.toFixed(6)]), `${mode} ${query}`);
      }
    }
  });

  it('drops a torn last record on open and indexes that file again', async () => {
    const index = await openIndex();
    await index.update();
    await index.close();
    open.pop();
    const log = join(storage, 'records.jsonl');
    await truncate(log, (await stat(log)).size - 40);
    const reopened = await openIndex();
    assert.equal(reopened.stats().files, 26);
    assert.deepEqual(await reopened.update(), { indexed: 1, removed: 0, unchanged: 26, skipped: 0 });
    await reopened.close();
    open.pop();
    const third = await openIndex();
    assert.deepEqual(await third.update(), { indexed: 0, removed: 0, unchanged: 27, skipped: 0 });
  });

  it('ranks by meaning as well as words in hybrid mode, and keeps vectors across restarts', async () => {
    root = await tempDir('keel-memory-hybrid-');
    await writeFile(join(root, 'vehicle.ts'), 'export function startAutomobileEngine(ignition: Ignition) {\n  ignition.turn();\n}\n');
    await writeFile(join(root, 'wash.ts'), 'export function carWash(bucket: Bucket) {\n  bucket.fill();\n}\n');
    await writeFile(join(root, 'other.ts'), 'export function renderTable(rows: Row[]) {\n  return rows.length;\n}\n');
    const embedder = new HashEmbedder('test-synonyms', { automobile: 'car', engine: 'car' });
    const index = await openIndex({ embedder });
    await index.update();
    assert.deepEqual(brief(await index.search('car', { mode: 'bm25' })), ['wash.ts:1-3 carWash']);
    const hybrid = await index.search('car', { mode: 'hybrid' });
    assert.deepEqual(brief(hybrid).slice(0, 2).sort(), ['vehicle.ts:1-3 startAutomobileEngine', 'wash.ts:1-3 carWash']);
    await index.close();
    open.pop();

    const again = new HashEmbedder('test-synonyms', { automobile: 'car', engine: 'car' });
    const reopened = await openIndex({ embedder: again });
    assert.deepEqual(await reopened.update(), { indexed: 0, removed: 0, unchanged: 3, skipped: 0 });
    assert.equal(again.texts, 0);
    assert.deepEqual(brief(await reopened.search('car', { mode: 'hybrid' })), brief(hybrid));
    await reopened.close();
    open.pop();

    const other = await openIndex({ embedder: new HashEmbedder('another-model') });
    assert.match(other.stats().warnings.join('\n'), /rebuilt: embedder changed from test-synonyms\/256 to another-model\/256/);
    assert.equal(other.stats().files, 0);
  });

  it('explains an empty workspace and bad queries', async () => {
    root = await tempDir('keel-memory-empty-');
    const empty = await openIndex();
    assert.deepEqual(await empty.update(), { indexed: 0, removed: 0, unchanged: 0, skipped: 0 });
    await assert.rejects(empty.search('anything'), /The workspace index is empty: run "Keel: Reindex"/);
    await assert.rejects(empty.search('anything', { mode: 'hybrid' }), /Hybrid search needs an embedder.*mode "bm25"/);

    await writeFile(join(root, 'a.ts'), 'export function alpha() {}\n');
    await empty.update();
    const cases: [string, RegExp][] = [
      ['   ', /no words to search for/],
      ['a the of', /no searchable words: one-letter words, punctuation and common English words are ignored/],
      ['alpha path:', /"path:" needs a value, e\.g\. path:src\/\*\*\/\*\.ts/],
      ['alpha lang:cobol', /lang:cobol is not a language Keel indexes\. Use one of: .*typescript/],
      ['alpha lang:ts lang:python', /"lang:" appears twice/],
      ['alpha path:../x', /must be a glob relative to the workspace root/],
      ['alpha path:lib/**', /No indexed file matches path:lib\/\*\*/],
    ];
    for (const [query, message] of cases) await assert.rejects(empty.search(query), message, query);
  });

  it('filters by path: and lang:', async () => {
    const index = await openIndex();
    await index.update();
    const python = await index.search('parse value lang:python', { limit: 50 });
    assert.ok(python.length > 0);
    assert.ok(python.every((h) => h.path === 'flatted/flatted.py'));
    const inMinimatch = await index.search('pattern match path:minimatch/**', { limit: 50 });
    assert.ok(inMinimatch.length > 0);
    assert.ok(inMinimatch.every((h) => h.path.startsWith('minimatch/')));
  });
});
