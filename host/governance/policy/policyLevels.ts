import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { checkPolicyValue, MAX_POLICY_BYTES, parsePolicyText, type ParsedPolicy, type PolicyDocument } from './policyDocument';

/** Who wrote a policy, highest first: the machine's administrator, the user, the workspace. */
export type LevelName = 'managed' | 'user' | 'workspace';

/** One level's policy as a run uses it. */
export interface PolicyLevel {
  readonly level: LevelName;
  /** The file, or the setting, it came from. */
  readonly source: string;
  readonly document: PolicyDocument;
  /** SHA-256 of what was read, for the audit log's `policy_change`. */
  readonly hash: string;
  /** Why the level as written was refused; its rules are then "ask for everything". */
  readonly error?: string;
}

/**
 * What stands in for a level whose policy is invalid: every call asks, nothing runs on autopilot. The levels above
 * still apply (deny wins), so a typo in `.keel/policy.jsonc` can neither loosen nor silently drop a rule.
 */
export const ASK_FOR_EVERYTHING: PolicyDocument = { default: { autonomy: 'supervised', tools: { ask: ['*'] } } };

export const WORKSPACE_POLICY = join('.keel', 'policy.jsonc');

/** Where the managed policy is: `KEEL_MANAGED_POLICY`, else the system's place for it. */
export function managedPolicyPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.KEEL_MANAGED_POLICY) return env.KEEL_MANAGED_POLICY;
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Keel', 'policy.jsonc');
  if (platform === 'darwin') return '/Library/Application Support/Keel/policy.jsonc';
  return '/etc/keel/policy.jsonc';
}

export interface PolicySources {
  readonly managedPath: string;
  /**
   * The path was named on purpose (`KEEL_MANAGED_POLICY`): a missing file is then a broken level, not no level, so
   * an administrator's policy cannot silently stop applying.
   */
  readonly managedRequired?: boolean;
  /** The workspace folder; no folder, no workspace policy. */
  readonly workspaceRoot: string | undefined;
  /** The `keel.policy` setting (user scope only), as the extension sent it. */
  readonly user: unknown;
}

/**
 * Reads the three levels, as they are now: the files are read at each run's start, so an edit applies to the next
 * run without restarting anything. A file that is absent is no level; one that cannot be read or parsed is a level
 * that asks for everything, with the reason.
 */
export function readPolicyLevels(sources: PolicySources): PolicyLevel[] {
  const levels: PolicyLevel[] = [];
  const managed = fileLevel('managed', sources.managedPath, sources.managedPath, sources.managedRequired ? 'KEEL_MANAGED_POLICY' : undefined);
  if (managed) levels.push(managed);
  if (sources.user !== undefined && sources.user !== null && !(isObject(sources.user) && Object.keys(sources.user).length === 0)) {
    levels.push(level('user', 'setting keel.policy', JSON.stringify(sources.user), checkPolicyValue(sources.user, 'setting keel.policy')));
  }
  const workspace = sources.workspaceRoot && fileLevel('workspace', join(sources.workspaceRoot, WORKSPACE_POLICY), WORKSPACE_POLICY);
  if (workspace) levels.push(workspace);
  return levels;
}

function fileLevel(name: LevelName, path: string, source: string, namedBy?: string): PolicyLevel | undefined {
  const file = readPolicyFile(path);
  if (!file && namedBy) return level(name, source, '', { ok: false, error: l10n.t('{0} names {1}, which does not exist; restore the file or unset {0}.', namedBy, path) });
  if (!file) return undefined;
  return 'text' in file ? level(name, source, file.text, parsePolicyText(file.text, source)) : level(name, source, '', { ok: false, error: file.error });
}

function level(name: LevelName, source: string, text: string, parsed: ParsedPolicy): PolicyLevel {
  const hash = createHash('sha256').update(text).digest('hex');
  return parsed.ok ? { level: name, source, document: parsed.document, hash } : { level: name, source, document: ASK_FOR_EVERYTHING, hash, error: parsed.error };
}

/**
 * A policy file's text, undefined when there is none, or why it cannot be read. The workspace's file may be hostile:
 * a FIFO would block a plain read forever and `/dev/zero` would never end, so only a regular file of at most
 * {@link MAX_POLICY_BYTES} is read, opened without blocking and checked after opening.
 */
function readPolicyFile(path: string): { text: string } | { error: string } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { error: l10n.t('{0} cannot be read ({1}); fix its permissions or remove it.', path, code ?? (error as Error).message) };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { error: l10n.t('{0} is not a regular file; a policy must be one.', path) };
    if (info.size > MAX_POLICY_BYTES) return { error: l10n.t('{0} is {1} bytes; a policy may have at most {2}.', path, info.size, MAX_POLICY_BYTES) };
    const buffer = Buffer.alloc(info.size);
    const read = readSync(fd, buffer, 0, info.size, 0);
    return { text: buffer.subarray(0, read).toString('utf8') };
  } catch (error) {
    return { error: l10n.t('{0} cannot be read ({1}).', path, (error as Error).message) };
  } finally {
    closeSync(fd);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
