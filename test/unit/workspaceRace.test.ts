import assert from 'node:assert/strict';
import { link, readdir, realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ApprovalBroker } from '../../host/governance/approvals';
import type { ToolContext } from '../../host/tools';
import { searchFilesTool } from '../../host/tools/searchFiles';
import { headlessWorkspace, putFile, recordingTrace, tempDir } from './helpers';

/**
 * Swaps each symlink between its two targets as fast as the thread can, each swap atomic (a new link renamed over
 * the old one); swaps a plain file with a symlink to the outside the same way (a hard link keeps the file); and swaps
 * a real folder with a symlink to the outside (two renames, so that path is briefly missing). A folder that
 * createFile makes in that moment is moved aside as a stray. Plain JavaScript, so the worker needs no TypeScript
 * loader.
 */
const SWAPPER = `
const { linkSync, symlinkSync, renameSync, rmSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const stop = new Int32Array(workerData.stop);
const { path, outside } = workerData.folder;
let strays = 0;
const place = (from, to) => {
  for (;;) {
    try {
      return renameSync(from, to);
    } catch {
      try { renameSync(to, to + '.stray-' + strays++); } catch {}
    }
  }
};
symlinkSync(outside, path + '.link');
let swaps = 0;
while (Atomics.load(stop, 0) === 0) {
  for (const { link, targets } of workerData.links) {
    const spare = link + '.swap';
    rmSync(spare, { force: true });
    symlinkSync(targets[swaps % 2], spare);
    renameSync(spare, link);
  }
  const spare = workerData.plain.path + '.swap';
  rmSync(spare, { force: true });
  if (swaps % 2 === 0) symlinkSync(workerData.plain.outside, spare);
  else linkSync(workerData.plain.path + '.keep', spare);
  renameSync(spare, workerData.plain.path);
  if (swaps % 2 === 0) {
    renameSync(path, path + '.real');
    place(path + '.link', path);
  } else {
    renameSync(path, path + '.link');
    place(path + '.real', path);
  }
  swaps++;
}
if (swaps % 2 === 1) {
  renameSync(path, path + '.link');
  place(path + '.real', path);
}
Atomics.store(stop, 1, swaps);
`;

const ATTEMPTS = 10_000;
/** Each search walks the whole workspace and reads every file in it, so fewer of them keep the test short. */
const SEARCHES = 2_000;

/** How many files under `folder` (symlinks not followed) a create made. */
async function createdUnder(folder: string): Promise<number> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.startsWith('new')).length;
}

/**
 * What an attempt came to: its result, "refused" for a path seen leaving the workspace, "changed" for a file moved
 * while it was being opened, "missing" for a path caught between the swapper's two renames (or a folder it replaced), or else its error.
 */
async function outcomeOf(attempt: Promise<string>): Promise<string> {
  return attempt.then(
    (result) => result,
    (error: Error) => {
      if (/resolves outside the workspace|is outside the workspace/.test(error.message)) return 'refused';
      if (/changed while Keel was opening it/.test(error.message)) return 'changed';
      if (/^No such file|a folder on its way was removed meanwhile/.test(error.message)) return 'missing';
      return error.message.replace(/\d+/g, 'N').replace(/\/tmp\/\S+/g, '<path>');
    },
  );
}

describe('workspace confinement under symlink races', function () {
  this.timeout(60_000);
  let root: string;
  let outside: string;
  let workspace: ReturnType<typeof headlessWorkspace>;
  let stop: Int32Array;
  let swapper: Worker;
  let stopped: Promise<unknown> | undefined;

  /** Stops the swapper and waits until it has put the real folder back, so the disk holds still for counting. */
  function stopSwapping(): Promise<unknown> {
    Atomics.store(stop, 0, 1);
    stopped ??= new Promise((resolve) => swapper.once('exit', resolve));
    return stopped;
  }

  before(async () => {
    root = await realpath(await tempDir('keel-race-'));
    outside = await realpath(await tempDir('keel-race-outside-'));
    workspace = headlessWorkspace(root, { edit: async () => ({ decision: 'denied', reason: 'no' }), toolCall: async () => ({ decision: 'approved' }) });
    await putFile(root, 'dir/inner/file', 'INSIDE');
    await putFile(root, 'dir/swapped/file', 'INSIDE');
    await putFile(outside, 'file', 'OUTSIDE');
    await symlink(join(root, 'dir', 'inner'), join(root, 'dir', 'link'));
    await symlink(join(root, 'dir', 'inner', 'file'), join(root, 'flip'));
    await putFile(root, 'dir/plain', 'INSIDE');
    await link(join(root, 'dir', 'plain'), join(root, 'dir', 'plain.keep'));
    const shared = new SharedArrayBuffer(8);
    stop = new Int32Array(shared);
    const links = [
      { link: join(root, 'dir', 'link'), targets: [outside, join(root, 'dir', 'inner')] },
      { link: join(root, 'flip'), targets: [join(outside, 'file'), join(root, 'dir', 'inner', 'file')] },
    ];
    const folder = { path: join(root, 'dir', 'swapped'), outside };
    const plain = { path: join(root, 'dir', 'plain'), outside: join(outside, 'file') };
    swapper = new Worker(SWAPPER, { eval: true, workerData: { links, plain, folder, stop: shared } });
  });

  after(async () => {
    await stopSwapping();
    console.log(`      (${Atomics.load(stop, 1)} swaps of each link)`);
  });

  it(`never reads a file outside the workspace in ${ATTEMPTS} reads through swapped symlinks`, async () => {
    const paths = ['flip', 'dir/link/file', 'dir/swapped/file'];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ATTEMPTS; i++) {
      const outcome = await outcomeOf(workspace.readFile(paths[i % paths.length]!));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.log(`      (reads: ${JSON.stringify(Object.fromEntries(outcomes))})`);
    assert.equal(outcomes.get('OUTSIDE') ?? 0, 0, 'reads that returned the outside file');
    assert.deepEqual([...outcomes.keys()].filter((key) => !['INSIDE', 'refused', 'changed', 'missing'].includes(key)), [], 'unexpected errors');
    assert.ok((outcomes.get('INSIDE') ?? 0) > 0 && (outcomes.get('refused') ?? 0) > 0, 'the race is both won and lost');
  });

  it(`never finds text outside the workspace in ${SEARCHES} searches while files are swapped for symlinks`, async () => {
    const { root: span } = recordingTrace();
    const context: ToolContext = { runId: 'r', policy: { allowHosts: [] }, workspace, approvals: new ApprovalBroker(workspace, 5000), span, signal: new AbortController().signal };
    let escapes = 0;
    let found = 0;
    // The tool is run directly: through the registry, its rate limit would turn most of these searches away.
    for (let i = 0; i < SEARCHES; i++) {
      const content = await searchFilesTool.run({ query: 'SIDE' }, context);
      if (content.includes('OUTSIDE')) escapes++;
      if (content.includes('INSIDE')) found++;
    }
    console.log(`      (searches that found outside text: ${escapes}, inside text: ${found})`);
    assert.equal(escapes, 0);
    assert.equal(found, SEARCHES);
  });

  it(`never creates a file or folder outside the workspace in ${ATTEMPTS} creates through swapped symlinks`, async () => {
    const paths = (i: number) => [`dir/link/new-${i}.txt`, `dir/link/folder-${i}/new.txt`, `dir/swapped/new-${i}.txt`, `dir/swapped/folder-${i}/new.txt`];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ATTEMPTS; i++) {
      const outcome = await outcomeOf(workspace.createFile(paths(i)[i % 4]!, 'created').then(() => 'created'));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.log(`      (creates: ${JSON.stringify(Object.fromEntries(outcomes))})`);
    await stopSwapping();
    const escaped = (await readdir(outside)).filter((name) => name !== 'file');
    console.log(`      (files and folders created outside: ${escaped.length})`);
    assert.deepEqual(escaped, [], 'files and folders created outside the workspace');
    assert.deepEqual([...outcomes.keys()].filter((key) => !['created', 'refused', 'changed', 'missing'].includes(key)), [], 'unexpected errors');
    assert.equal(outcomes.get('created'), await createdUnder(join(root, 'dir')), 'every reported creation is inside');
  });
});
