// Writes dist/README.md, the extension page's README, from README.package.md with each relative image inlined as a
// data: URL: VS Code's extension page loads images only from https: and data: URLs, so a packaged relative path
// shows as broken, and Keel has no public URL to point at.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

const source = readFileSync(join(root, 'README.package.md'), 'utf8');
const packaged = source.replace(/!\[([^\]]*)\]\(([^):]+)\)/g, (_, alt, path) => {
  const type = TYPES[extname(path).toLowerCase()];
  if (!type) throw new Error(`README.package.md shows ${path}; only PNG, JPEG and GIF images can be inlined.`);
  return `![${alt}](data:${type};base64,${readFileSync(join(root, path)).toString('base64')})`;
});
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'README.md'), packaged);
