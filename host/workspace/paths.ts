import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Resolves a workspace-relative path and checks, after following symlinks, that it stays inside the root.
 * Throws a message the model can act on.
 */
export async function resolveInside(root: string, path: string): Promise<string> {
  if (typeof path !== 'string' || path.trim() === '') throw new Error('The path is empty; give a path relative to the workspace root.');
  const realRoot = await realpath(root);
  const candidate = resolve(realRoot, path);
  assertInside(realRoot, candidate, path);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new Error(`No such file: ${path}. Paths are relative to the workspace root.`);
  }
  assertInside(realRoot, real, path);
  return real;
}

/**
 * Resolves a path for a file that does not exist yet: inside the root lexically and, through its nearest existing
 * folder, after following symlinks. Throws if the file exists.
 */
export async function resolveNewFileInside(root: string, path: string): Promise<string> {
  if (typeof path !== 'string' || path.trim() === '') throw new Error('The path is empty; give a path relative to the workspace root.');
  const realRoot = await realpath(root);
  const candidate = resolve(realRoot, path);
  assertInside(realRoot, candidate, path);
  if (await exists(candidate)) throw new Error(`${path} already exists; change it with propose_edit instead.`);
  let existing = dirname(candidate);
  while (!(await exists(existing))) existing = dirname(existing);
  assertInside(realRoot, await realpath(existing), path);
  return candidate;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

function assertInside(root: string, absolute: string, shown: string): void {
  const rel = relative(root, absolute);
  if (rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))) return;
  throw new Error(`${shown} is outside the workspace; only files inside the workspace can be used.`);
}
