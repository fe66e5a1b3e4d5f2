import ignore, { type Ignore } from 'ignore';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Files the sandbox may not read or list, in the spirit of what git would not commit. */
const IGNORE_FILES = ['.gitignore', '.keelignore'];
/** Never readable, whatever the ignore files say: git's internals can hold credentials. */
const ALWAYS_IGNORED = ['.git/'];

/**
 * The .gitignore and .keelignore rules of a workspace, including those in subdirectories, each applied to the
 * paths below its own directory as git does. Each instance reads every ignore file at most once, so build a
 * new one per operation to see edits.
 */
export class IgnoreRules {
  private readonly byDirectory = new Map<string, Promise<Ignore | undefined>>();

  constructor(private readonly root: string) {}

  /** `path` is relative to the root with `/` separators; directories are tested with a trailing `/`. */
  async ignores(path: string): Promise<boolean> {
    const segments = path.split('/');
    for (let depth = 0; depth < segments.length; depth++) {
      const directory = segments.slice(0, depth).join('/');
      const rules = await this.rulesOf(directory);
      const below = segments.slice(depth).join('/');
      if (rules && below !== '' && rules.ignores(below)) return true;
    }
    return false;
  }

  private rulesOf(directory: string): Promise<Ignore | undefined> {
    let rules = this.byDirectory.get(directory);
    if (!rules) {
      rules = this.load(directory);
      this.byDirectory.set(directory, rules);
    }
    return rules;
  }

  private async load(directory: string): Promise<Ignore | undefined> {
    const texts = await Promise.all(
      IGNORE_FILES.map((name) => readFile(join(this.root, ...directory.split('/'), name), 'utf8').catch(() => '')),
    );
    const extra = directory === '' ? ALWAYS_IGNORED : [];
    if (!texts.some((text) => text.trim() !== '') && extra.length === 0) return undefined;
    return ignore().add(extra).add(texts.join('\n'));
  }
}

/** Normalizes a workspace-relative path to the form the `ignore` package expects. */
export function toIgnorePath(relativePath: string, isDirectory: boolean): string {
  const path = posix.normalize(relativePath.split('\\').join('/')).replace(/^\.\//, '');
  return isDirectory && !path.endsWith('/') ? `${path}/` : path;
}
