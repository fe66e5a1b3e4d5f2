import * as l10n from '@vscode/l10n';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A workspace-relative path made absolute against the workspace's real root, checked to stay inside it by name. */
export interface Confined {
  readonly realRoot: string;
  /** The path as asked, resolved lexically (`a/../b` is `b`) and not yet through symlinks. */
  readonly candidate: string;
}

/** Checks the path by name only: whatever it resolves to on disk must still be checked where it is used. */
export async function confine(root: string, path: string): Promise<Confined> {
  if (typeof path !== 'string' || path.trim() === '') throw new Error(l10n.t('The path is empty; give a path relative to the workspace root.'));
  const realRoot = await realpath(root);
  const candidate = resolve(realRoot, path);
  if (!isInside(realRoot, candidate)) throw new Error(l10n.t('{0} is outside the workspace; only files inside the workspace can be used.', path));
  return { realRoot, candidate };
}

/**
 * Resolves a workspace-relative path and checks, after following symlinks, that it stays inside the root.
 * Throws a message the model can act on. The answer can go stale if the disk changes, so reads and creates check
 * what they opened instead (`confinedFiles.ts`).
 */
export async function resolveInside(root: string, path: string): Promise<string> {
  const { realRoot, candidate } = await confine(root, path);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new Error(l10n.t('No such file: {0}. Paths are relative to the workspace root.', path));
  }
  assertResolvesInside(realRoot, real, path);
  return real;
}

/** Whether `absolute` is `root` or below it; both must be resolved the same way. */
export function isInside(root: string, absolute: string): boolean {
  const rel = relative(root, absolute);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** Throws the refusal for a path whose real location, `real`, is not inside `realRoot`. */
export function assertResolvesInside(realRoot: string, real: string, shown: string): void {
  if (!isInside(realRoot, real)) {
    throw new Error(l10n.t('{0} resolves outside the workspace through a symlink, so it is outside the workspace; only files inside the workspace can be used.', shown));
  }
}
