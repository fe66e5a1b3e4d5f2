import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { McpCredentialStore } from './credentialStore';

/**
 * The CLI's credential store: one file per server in a folder only the user can read (0700, files 0600), written
 * whole to a temporary file and renamed, so a kill leaves the old credentials or the new ones, never half of them.
 */
export class FileCredentialStore implements McpCredentialStore {
  constructor(private readonly dir: string) {}

  async load(server: string): Promise<string | undefined> {
    return readFile(this.file(server), 'utf8').catch(() => undefined);
  }

  async save(server: string, credentials: string | undefined): Promise<void> {
    if (credentials === undefined) {
      await rm(this.file(server), { force: true });
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; one created looser by hand is tightened.
    await chmod(this.dir, 0o700);
    const temporary = `${this.file(server)}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, credentials, { mode: 0o600, flush: true });
    await rename(temporary, this.file(server));
  }

  /** Server names are the user's; hashed, no name can reach outside the folder. */
  private file(server: string): string {
    return join(this.dir, `${createHash('sha256').update(server).digest('hex').slice(0, 32)}.json`);
  }
}
