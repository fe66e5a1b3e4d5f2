import * as l10n from '@vscode/l10n';
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readlink, realpath, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { IgnoreRules, toIgnorePath } from './ignoreRules';
import { assertResolvesInside, confine, isInside } from './paths';

/*
 * Reading and creating workspace files when the workspace may be hostile: a symlink, or a folder on the way, can be
 * swapped between checking a path and using it. So what is checked is what was opened. On Linux the kernel names an
 * open file under /proc/self/fd, and a folder held open there can be written into without its path being looked up
 * again, so these checks cannot be raced. Elsewhere the path is resolved again after opening and must lead to the
 * same file, which narrows the race to a swap of a folder on the way between two system calls.
 */

/** The largest file read whole; larger ones are refused with a hint. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Opening a FIFO for reading would wait for a writer; with O_NONBLOCK it opens at once and is refused as no file. */
const READ = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const READ_WRITE = constants.O_RDWR | (constants.O_NONBLOCK ?? 0);
/** O_EXCL with O_CREAT fails on any existing name, a symlink included, so a new file is never made through a link. */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const FOLDER = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);

let procFds: Promise<boolean> | undefined;
/** Whether the kernel names open descriptors under /proc/self/fd: on Linux, unless /proc is not mounted. */
function hasProcFds(): Promise<boolean> {
  procFds ??= process.platform === 'linux' ? access('/proc/self/fd').then(() => true, () => false) : Promise.resolve(false);
  return procFds;
}

/**
 * Reads a workspace file as text. Refuses paths outside the workspace, files that resolve outside it, and files
 * that .gitignore or .keelignore exclude, however they are named (`./.env`, `a/../.env`, a symlink to `.env`).
 */
export function readWorkspaceText(root: string, path: string, maxBytes = MAX_READ_BYTES): Promise<string> {
  return withReadableFile(root, path, READ, async (handle) => {
    // A workspace can hold a multi-gigabyte log or dump; reading it whole would exhaust the host's memory.
    const { size } = await handle.stat();
    if (size > maxBytes) throw new Error(l10n.t('{0} is {1}, over the {2} Keel reads at once. Look inside it with {3}, or a command such as head or grep.', path, formatBytes(size), formatBytes(maxBytes), 'search_files'));
    return handle.readFile('utf8');
  });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Replaces a readable workspace file's text with `change(text)`, in place, on the file that was checked. */
export function rewriteWorkspaceText(root: string, path: string, change: (text: string) => string): Promise<void> {
  return withReadableFile(root, path, READ_WRITE, async (handle) => {
    const text = change(await handle.readFile('utf8'));
    await handle.truncate(0);
    await handle.write(text, 0, 'utf8');
  });
}

/** Deletes a workspace file that `readWorkspaceText` would read, only while its path still leads to the file checked. */
export function deleteWorkspaceText(root: string, path: string): Promise<void> {
  return withReadableFile(root, path, READ, async (handle, real) => {
    const [held, found] = await Promise.all([handle.stat({ bigint: true }), lstat(real, { bigint: true }).catch(() => undefined)]);
    if (!found || held.dev !== found.dev || held.ino !== found.ino) throw changed(path);
    await unlink(real);
  });
}

/**
 * The real path of a workspace file that `readWorkspaceText` would read, for callers that hold its text elsewhere
 * (an editor's unsaved changes). Checked by path, so read the disk with `readWorkspaceText`, never with this path.
 */
export async function readableFile(root: string, path: string): Promise<string> {
  const { realRoot, candidate } = await confine(root, path);
  const rules = new IgnoreRules(realRoot);
  await refuseIgnored(rules, realRoot, candidate, path);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw noSuchFile(path);
  }
  assertResolvesInside(realRoot, real, path);
  await refuseIgnored(rules, realRoot, real, path);
  return real;
}

/**
 * Creates a new workspace file with `content`, and the folders missing on its way. Each folder is opened and
 * checked before the next is entered, and the file is created in the last one without following any link.
 * Throws if the file exists or anything on the way resolves outside the workspace.
 */
export async function createWorkspaceText(root: string, path: string, content: string): Promise<void> {
  const { folder, name, realRoot } = await enterParent(root, path);
  try {
    const handle = await createIn(folder, name, realRoot, path);
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  } finally {
    await folder.close();
  }
}

/**
 * Makes the folders a new file needs (checked as `createWorkspaceText` does) and returns the file's path through
 * its parent's real path, for a caller that creates the file itself. Throws if the file exists. The caller's own
 * writing is not checked: confirm it with `confirmCreated`.
 */
export async function prepareNewFile(root: string, path: string): Promise<string> {
  const { folder, name } = await enterParent(root, path);
  try {
    if (await lstat(join(folder.path, name)).then(() => true, () => false)) throw alreadyExists(path);
    return join(folder.real, name);
  } finally {
    await folder.close();
  }
}

/**
 * Checks that the file another writer created at `file` (from `prepareNewFile`) really is inside the workspace. If
 * it is not, it stays where it is: Keel does not remove files outside the workspace, so the error names it.
 */
export async function confirmCreated(root: string, file: string, path: string): Promise<void> {
  const realRoot = await realpath(root);
  const handle = await openOrExplain(file, READ, path);
  try {
    const real = await whereIs(handle, file).catch(() => {
      throw changed(path);
    });
    if (!isInside(realRoot, real)) {
      throw new Error(l10n.t('{0} was written at {1}, which resolves outside the workspace: a folder on its way was swapped for a symlink while it was created. Check that file.', path, real));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Opens for reading a file that a walk of the workspace listed (a plain file, not ignored, `path` relative to the real
 * root), or answers undefined when what opens now is not that file: swapped since the walk for a symlink, it could
 * lead outside the workspace or to an ignored file.
 */
export async function openListedFile(realRoot: string, path: string): Promise<FileHandle | undefined> {
  const file = join(realRoot, ...path.split('/'));
  const handle = await open(file, READ).catch(() => undefined);
  if (!handle) return undefined;
  const real = await locate(handle, file, realRoot, path).catch(() => undefined);
  if (real === file && (await handle.stat()).isFile()) return handle;
  await handle.close();
  return undefined;
}

/** Opens a workspace file, checks what was opened (inside, not ignored, a regular file), and uses it. */
async function withReadableFile<T>(root: string, path: string, flags: number, use: (handle: FileHandle, real: string) => Promise<T>): Promise<T> {
  const { realRoot, candidate } = await confine(root, path);
  const rules = new IgnoreRules(realRoot);
  await refuseIgnored(rules, realRoot, candidate, path);
  const handle = await openOrExplain(candidate, flags, path);
  try {
    const real = await locate(handle, candidate, realRoot, path);
    await refuseIgnored(rules, realRoot, real, path);
    if (!(await handle.stat()).isFile()) throw new Error(l10n.t('{0} is not a file; use {1} to see what a folder holds.', path, 'list_files'));
    return await use(handle, real);
  } finally {
    await handle.close();
  }
}

/**
 * The real path of what `handle` holds open (opened as `opened`), refused unless it is inside `realRoot`. The path is
 * then looked up once more and must reach the same file: elsewhere than Linux that is the check itself, and on
 * Linux it refuses a file deleted since it was opened, whose /proc name is no path.
 */
async function locate(handle: FileHandle, opened: string, realRoot: string, shown: string): Promise<string> {
  const real = await whereIs(handle, opened).catch(() => {
    throw changed(shown);
  });
  assertResolvesInside(realRoot, real, shown);
  const [held, found] = await Promise.all([handle.stat({ bigint: true }), lstat(real, { bigint: true }).catch(() => undefined)]);
  if (!found || held.dev !== found.dev || held.ino !== found.ino) throw changed(shown);
  return real;
}

/** Where the kernel says an open file is, on Linux; elsewhere, where the path it was opened by leads now. */
async function whereIs(handle: FileHandle, opened: string): Promise<string> {
  return (await hasProcFds()) ? readlink(`/proc/self/fd/${handle.fd}`) : realpath(opened);
}

/** Refuses a path (absolute, below `realRoot`) that the ignore files exclude, saying how to allow it. */
async function refuseIgnored(rules: IgnoreRules, realRoot: string, absolute: string, shown: string): Promise<void> {
  const inside = toIgnorePath(relative(realRoot, absolute), false);
  if (inside === '.') return;
  const excluded = await rules.excludedBy(inside);
  if (!excluded) return;
  if (excluded.always) throw new Error(l10n.t('{0} is inside .git, which Keel never reads: it can hold credentials.', shown));
  const asked = toIgnorePath(shown, false);
  const where = excluded.folder === '' ? l10n.t('{0} at the workspace root', '.keelignore') : `${excluded.folder}/.keelignore`;
  const line = `"!${escapeForIgnore(excluded.pattern)}"`;
  throw new Error(inside === asked
    ? l10n.t('{0} is excluded by .gitignore or .keelignore, so Keel does not read it. To allow it, add the line {1} to {2}.', shown, line, where)
    : l10n.t('{0} is excluded by .gitignore or .keelignore (it is {1} in the workspace), so Keel does not read it. To allow it, add the line {2} to {3}.', shown, inside, line, where));
}

/** Escapes what an ignore file would read as a comment, a negation or a glob. */
function escapeForIgnore(pattern: string): string {
  return pattern.replace(/[*?[\\]/g, '\\$&').replace(/^[#!]/, '\\$&');
}

/** A folder checked to be inside the workspace, and a name for it that cannot be redirected by a later swap. */
interface Folder {
  /** Where to find its entries: on Linux its open descriptor under /proc, elsewhere its real path. */
  readonly path: string;
  readonly real: string;
  close(): Promise<void>;
}

/** Opens the folders on the way to a new file, making the missing ones, and returns the last with the file's name. */
async function enterParent(root: string, path: string): Promise<{ folder: Folder; name: string; realRoot: string }> {
  const { realRoot, candidate } = await confine(root, path);
  const segments = relative(realRoot, candidate).split(sep);
  const name = segments.pop();
  if (!name) throw new Error(l10n.t('{0} names the workspace folder itself; give the path of a new file.', path));
  let folder = await openFolder(realRoot, realRoot, path);
  try {
    for (const segment of segments) {
      const next = await enterFolder(folder, segment, realRoot, path);
      await folder.close();
      folder = next;
    }
  } catch (error) {
    await folder.close();
    throw error;
  }
  return { folder, name, realRoot };
}

async function enterFolder(parent: Folder, segment: string, realRoot: string, shown: string): Promise<Folder> {
  const path = join(parent.path, segment);
  try {
    return await openFolder(path, realRoot, shown);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Not there: make it inside the checked parent. Another writer may make it first; the open checks what is there.
  const made = await mkdir(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw folderGone(shown);
      if (error.code !== 'EEXIST') throw error;
      return false;
    },
  );
  return openFolder(path, realRoot, shown).catch(async (error: NodeJS.ErrnoException) => {
    // The parent can have moved out of the workspace since it was checked; then the empty folder made in it goes.
    if (made) await rmdir(path).catch(() => undefined);
    throw error.code === 'ENOENT' ? folderGone(shown) : error;
  });
}

async function openFolder(path: string, realRoot: string, shown: string): Promise<Folder> {
  if (await hasProcFds()) {
    const handle = await open(path, FOLDER).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOTDIR' ? notAFolder(shown) : error;
    });
    try {
      const real = await locate(handle, path, realRoot, shown);
      return { path: `/proc/self/fd/${handle.fd}`, real, close: () => handle.close() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  const real = await realpath(path);
  assertResolvesInside(realRoot, real, shown);
  const found = await lstat(real);
  if (found.isSymbolicLink()) throw changed(shown);
  if (!found.isDirectory()) throw notAFolder(shown);
  return { path: real, real, close: async () => {} };
}

/** Creates `name` in `folder`, checks where it was made, and removes it again if that is outside the workspace. */
async function createIn(folder: Folder, name: string, realRoot: string, shown: string): Promise<FileHandle> {
  const file = join(folder.path, name);
  const handle = await open(file, CREATE, 0o666).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw alreadyExists(shown);
    throw error.code === 'ENOENT' ? folderGone(shown) : error;
  });
  try {
    await locate(handle, file, realRoot, shown);
    return handle;
  } catch (error) {
    await removeIfSame(file, handle);
    await handle.close();
    throw error;
  }
}

/** Unlinks `file` only if it still names the file `handle` holds, so a swap cannot make this remove something else. */
async function removeIfSame(file: string, handle: FileHandle): Promise<void> {
  const [held, found] = await Promise.all([handle.stat({ bigint: true }), lstat(file, { bigint: true }).catch(() => undefined)]);
  if (found && held.dev === found.dev && held.ino === found.ino) await unlink(file).catch(() => undefined);
}

async function openOrExplain(file: string, flags: number, shown: string): Promise<FileHandle> {
  return open(file, flags).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw noSuchFile(shown);
    if (error.code === 'EISDIR') throw new Error(l10n.t('{0} is a folder, not a file; use {1} to see what it holds.', shown, 'list_files'));
    throw error;
  });
}

function changed(path: string): Error {
  return new Error(l10n.t('{0} changed while Keel was opening it; try again.', path));
}

function noSuchFile(path: string): Error {
  return new Error(l10n.t('No such file: {0}. Paths are relative to the workspace root.', path));
}

function alreadyExists(path: string): Error {
  return new Error(l10n.t('{0} already exists; change it with {1} instead.', path, 'propose_edit'));
}

/** A folder held open was removed, or a name on the way is a symlink to nothing. */
function folderGone(path: string): Error {
  return new Error(l10n.t('{0} cannot be created: a folder on its way was removed meanwhile, or is a broken symlink.', path));
}

function notAFolder(path: string): Error {
  return new Error(l10n.t('A part of {0} is a file, not a folder, so nothing can be created there.', path));
}
