import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../unit/helpers';

const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');

/** Real sources from the project's own dependencies, copied into `<root>/<folder>`. */
const SOURCES: readonly { from: string; to: string; ext: string }[] = [
  { from: 'zod/src/v4/core', to: 'zod', ext: '.ts' },
  { from: 'minimatch/dist/commonjs', to: 'minimatch', ext: '.js' },
  { from: 'flatted/python', to: 'flatted', ext: '.py' },
];

/** A temporary workspace of real TypeScript, JavaScript and Python files (no tests, no nested folders). */
export async function realSourceTree(): Promise<string> {
  const root = await tempDir('keel-memory-');
  for (const { from, to, ext } of SOURCES) {
    await mkdir(join(root, to), { recursive: true });
    for (const entry of await readdir(join(NODE_MODULES, from), { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(ext)) await cp(join(NODE_MODULES, from, entry.name), join(root, to, entry.name));
    }
  }
  await writeFile(join(root, 'README.md'), '# Fixture\n\nReal sources copied from node_modules for memory tests.\n');
  return root;
}

/** The path of a copied source file, for reading it in assertions. */
export function sourceFile(path: string): string {
  return join(NODE_MODULES, path);
}
