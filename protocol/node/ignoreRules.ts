import ignore, { type Ignore } from 'ignore';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** What git would not commit, plus what the user keeps from Keel. */
const IGNORE_FILES = ['.gitignore', '.keelignore'];
/** Never readable or listed, whatever the ignore files say: git's internals can hold credentials. */
const ALWAYS_IGNORED = ['.git/'];
const alwaysIgnored = ignore().add(ALWAYS_IGNORED);

/**
 * The .gitignore and .keelignore rules of a workspace, including those in subdirectories, each applied to the
 * paths below its own directory as git does. The one reader of ignore files: the workspace walk (listing, search,
 * the memory index), read_file (`confinedFiles.ts`) and the sandbox's per-path checks all ask it. Each instance
 * reads every ignore file at most once, so build a new one per operation to see edits.
 */
export class IgnoreRules {
  private readonly byDirectory = new Map<string, Promise<Ignore | undefined>>();
  /** The same rules once read: a walk asks about every entry, and awaiting a settled promise per level adds up. */
  private readonly loaded = new Map<string, Ignore | undefined>();
  /** Per directory listed by a walk, the ignore files it holds: the others need no read that would fail. */
  private readonly present = new Map<string, string[]>();

  constructor(private readonly root: string) {}

  /** Tells the rules what a directory holds, from a listing the caller has anyway, so missing ignore files are not read. */
  listed(directory: string, names: readonly string[]): void {
    this.present.set(directory, IGNORE_FILES.filter((name) => names.includes(name)));
  }

  /** `path` is relative to the root with `/` separators; directories are tested with a trailing `/`. */
  async ignores(path: string): Promise<boolean> {
    return (await this.level(path)) !== undefined;
  }

  /**
   * Why `path` is ignored: the folder whose ignore files exclude it, and the shortest part of it, seen from that
   * folder, that they exclude (a file below an excluded folder can only come back with the folder). `always` marks
   * what no ignore file can bring back. Undefined when the path is not ignored.
   */
  async excludedBy(path: string): Promise<{ folder: string; pattern: string; always: boolean } | undefined> {
    const found = await this.level(path);
    if (!found) return undefined;
    const segments = found.below.split('/');
    let pattern = found.below;
    for (let depth = 1; depth < segments.length; depth++) {
      const folder = `${segments.slice(0, depth).join('/')}/`;
      if (found.rules.ignores(folder)) {
        pattern = folder;
        break;
      }
    }
    return { folder: found.folder, pattern, always: alwaysIgnored.ignores(path) };
  }

  /** The first level, from the root down, whose rules ignore `path`, with the part of the path below that level. */
  private async level(path: string): Promise<{ folder: string; below: string; rules: Ignore } | undefined> {
    const segments = path.split('/');
    let directory = '';
    for (let depth = 0; depth < segments.length; depth++) {
      if (depth > 0) directory = depth === 1 ? segments[0]! : `${directory}/${segments[depth - 1]}`;
      const below = depth === 0 ? path : segments.slice(depth).join('/');
      // A folder's own ignore files say nothing about the folder itself (`a/b/` reaches depth 2 with nothing below).
      if (below === '') break;
      const rules = this.loaded.has(directory) ? this.loaded.get(directory) : await this.rulesOf(directory);
      if (rules?.ignores(below)) return { folder: directory, below, rules };
    }
    return undefined;
  }

  private rulesOf(directory: string): Promise<Ignore | undefined> {
    let rules = this.byDirectory.get(directory);
    if (!rules) {
      rules = this.load(directory).then((loaded) => {
        this.loaded.set(directory, loaded);
        return loaded;
      });
      this.byDirectory.set(directory, rules);
    }
    return rules;
  }

  private async load(directory: string): Promise<Ignore | undefined> {
    const texts = await Promise.all(
      (this.present.get(directory) ?? IGNORE_FILES).map((name) => readFile(join(this.root, ...directory.split('/'), name), 'utf8').catch(() => '')),
    );
    const extra = directory === '' ? ALWAYS_IGNORED : [];
    if (!texts.some((text) => text.trim() !== '') && extra.length === 0) return undefined;
    // The fixed rules come last, so that a negation such as `!.git/` in an ignore file cannot bring them back.
    return ignore().add(texts.join('\n')).add(extra);
  }
}

/** Normalizes a workspace-relative path to the form the `ignore` package expects. */
export function toIgnorePath(relativePath: string, isDirectory: boolean): string {
  const path = posix.normalize(relativePath.split('\\').join('/')).replace(/^\.\//, '');
  return isDirectory && !path.endsWith('/') ? `${path}/` : path;
}
