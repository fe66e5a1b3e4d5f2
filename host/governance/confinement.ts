import { homedir } from 'node:os';
import { isAbsolute, relative, sep } from 'node:path';

/**
 * What a process in the OS sandbox may reach, whatever the platform's mechanism: it reads the system, writes only
 * in `writable` and a private temp folder, finds the home folder hidden (all of it, or the folders where credentials
 * usually are), and has the network only when `network` says so.
 */
export interface Confinement {
  /** Folders it may write: the workspace folders, and for a server npx starts Keel's own npm cache. */
  readonly writable: readonly string[];
  /** `hidden`: the home folder is empty but for `readable`; `credentials`: only its credential folders are. */
  readonly home: 'hidden' | 'credentials';
  /** Folders or files under a hidden home or temp folder that it still needs to read: a Node installation, a script. */
  readonly readable: readonly string[];
  readonly network: boolean;
  /** Where it starts; made readable when it would be hidden. */
  readonly cwd: string;
  /** The user's home folder; `homedir()` unless a test says otherwise. */
  readonly homeDir?: string;
}

/** Where credentials usually live in a home folder; a command finds them empty. */
export const CREDENTIAL_PATHS = ['.ssh', '.aws', '.gnupg', '.config/gcloud', '.azure', '.kube', '.docker', '.netrc', '.npmrc', '.pypirc', '.git-credentials', '.config/gh'];

/** The home folder a confinement hides, or undefined when there is none worth hiding (`/`, a relative path). */
export function hiddenHome(confinement: Confinement): string | undefined {
  const home = confinement.homeDir ?? homedir();
  return isAbsolute(home) && home !== sep ? home : undefined;
}

/** Whether `path` is `folder` or inside it. */
export function isWithin(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
