import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** package.json with its `%key%` strings replaced from package.nls.json, as VS Code shows it in English. */
export function localizedManifest(): Record<string, unknown> {
  const strings = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'), (_, value: unknown) => {
    const key = typeof value === 'string' ? /^%(.+)%$/.exec(value)?.[1] : undefined;
    return key !== undefined && key in strings ? strings[key] : value;
  }) as Record<string, unknown>;
}
