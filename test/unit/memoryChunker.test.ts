import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFile } from '../../host/memory/workspaceIndex/chunking/chunker';
import { CHUNK_LIMITS } from '../../host/memory/workspaceIndex/chunking/lineWindows';
import { defaultWasmDir, sharedSyntaxParsers, SyntaxParsers } from '../../host/memory/workspaceIndex/chunking/treeSitter';
import { sourceFile } from '../memory/sourceTree';

const parsers = new SyntaxParsers();

async function chunks(path: string, text: string) {
  return (await chunkFile(path, text, parsers)).chunks.map(({ startLine, endLine, symbol }) => [startLine, endLine, symbol ?? '-']);
}

describe('memory chunker', function () {
  this.timeout(20_000);

  it('gives each TypeScript declaration a chunk with its doc comment, and leaves imports out', async () => {
    const text = [
      "import { a } from './a';", //                        1
      "import type { B } from './b';",
      '',
      '/** Parses the config. */', //                         4
      'export function parseConfig(text: string): B {',
      '  return JSON.parse(text);',
      '}',
      '',
      'export const load = async () => {', //                 9
      '  return 1;',
      '};',
      '',
      '// Plain statement, not a declaration.', //            13
      'console.log(a);',
      '',
      'export default class {', //                            16
      '  run() {',
      '  }',
      '}',
      'interface Options {', //                               20
      '  depth: number;',
      '  width: number;',
      '}',
    ].join('\n');
    assert.deepEqual(await chunks('src/config.ts', text), [
      [4, 7, 'parseConfig'],
      [9, 11, 'load'],
      [13, 14, '-'],
      [16, 19, 'default'],
      [20, 23, 'Options'],
    ]);
  });

  it('splits a class too big for one chunk into its methods, and groups short declarations', async () => {
    const method = (name: string, body: number) => [`  ${name}() {`, ...Array.from({ length: body }, (_, i) => `    step${i}();`), '  }'];
    const lines = [
      'export class Engine {', //                                 1
      '  private speed = 0;', //                                  2
      ...method('start', 70), //                                  3–74
      '  /** Stops. */', //                                       75
      ...method('stop', 70), //                                   76–147
      '}', //                                                     148
      'type A = string;', //                                      149
      'type B = number;', //                                      150
      'export const c = 3;', //                                   151
    ];
    assert.deepEqual(await chunks('engine.ts', lines.join('\n')), [
      [1, 2, 'Engine'],
      [3, 74, 'Engine.start'],
      [75, 147, 'Engine.stop'],
      [149, 151, 'A, B, c'],
    ]);
  });

  it('splits a function too long for one chunk into overlapping windows that keep its name', async () => {
    const lines = ['function long() {', ...Array.from({ length: 150 }, (_, i) => `  work(${i});`), '}'];
    const { windowLines, overlapLines } = CHUNK_LIMITS;
    const step = windowLines - overlapLines;
    assert.deepEqual(await chunks('long.js', lines.join('\n')), [
      [1, windowLines, 'long'],
      [1 + step, step + windowLines, 'long'],
      [1 + 2 * step, 152, 'long'],
    ]);
  });

  it('chunks JavaScript declared the CommonJS way', async () => {
    const text = ["const fs = require('fs');", '', 'module.exports.read = function (p) {', '  return fs.readFileSync(p);', '};', 'Reader.prototype.next = () => 1;'].join('\n');
    assert.deepEqual(await chunks('lib/read.js', text), [[3, 6, 'module.exports.read, Reader.prototype.next']]);
  });

  it('gives Python functions and classes their chunks, decorators and comments included', async () => {
    const text = [
      'import os', //                 1
      'from typing import List',
      '',
      '# Adds numbers.', //           4
      '@cache',
      'def add(a, b):',
      '    """Sum."""',
      '    return a + b',
      '',
      'class Store(Base):', //        10
      '    """Keeps things."""',
      '    limit = 3',
      '',
      '    @property',
      '    def size(self):',
      '        return 0',
      '',
      "if __name__ == '__main__':", // 18
      '    add(1, 2)',
    ].join('\n');
    assert.deepEqual(await chunks('pkg/store.py', text), [
      [4, 8, 'add'],
      [10, 16, 'Store'],
      [18, 19, '-'],
    ]);
  });

  it('finds the same boundaries in real sources as their indentation and braces do', async () => {
    // Python: a top-level def ends at the last non-blank line before the next unindented line.
    const python = await readFile(sourceFile('flatted/python/flatted.py'), 'utf8');
    const pyChunks = await chunks('flatted.py', python);
    for (const name of ['parse', 'stringify', '_transform']) {
      const lines = python.split('\n');
      const start = lines.findIndex((l) => l.startsWith(`def ${name}(`));
      let end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
      if (end === -1) end = lines.length;
      while (!lines[end - 1]!.trim()) end--;
      assert.deepEqual(pyChunks.find((c) => c[2] === name), [start + 1, end, name], name);
    }
    // TypeScript: an exported function ends at the next line that is just `}`.
    const ts = await readFile(sourceFile('zod/src/v4/core/util.ts'), 'utf8');
    const tsChunks = await chunks('util.ts', ts);
    for (const name of ['joinValues', 'getEnumValues', 'cached']) {
      const lines = ts.split('\n');
      const start = lines.findIndex((l) => l.startsWith(`export function ${name}`));
      const end = lines.findIndex((l, i) => i > start && l === '}');
      const chunk = tsChunks.find((c) => String(c[2]).split(', ').includes(name));
      assert.ok(chunk, name);
      assert.ok(chunk[0] as number <= start + 1 && chunk[1] as number >= end + 1, `${name}: ${chunk} should cover ${start + 1}-${end + 1}`);
      if (chunk[2] === name) assert.deepEqual(chunk.slice(0, 2), [start + 1, end + 1], name);
    }
  });

  it('covers other files with overlapping line windows', async () => {
    const text = Array.from({ length: 130 }, (_, i) => `line ${i + 1}`).join('\n');
    const { windowLines, overlapLines } = CHUNK_LIMITS;
    assert.deepEqual(await chunks('notes/big.md', text), [
      [1, windowLines, '-'],
      [windowLines - overlapLines + 1, 2 * windowLines - overlapLines, '-'],
      [2 * (windowLines - overlapLines) + 1, 130, '-'],
    ]);
  });

  it('cuts very long lines and keeps chunks within the character cap', async () => {
    const minified = `var a=${'x'.repeat(50_000)};`;
    const [chunk] = (await chunkFile('dist/app.js', minified, parsers)).chunks;
    assert.ok(chunk!.text.length <= 1001, `chunk of ${chunk!.text.length} characters`);
    const wide = Array.from({ length: 60 }, () => 'y'.repeat(900)).join('\n');
    for (const c of (await chunkFile('wide.txt', wide, parsers)).chunks) assert.ok(c.text.length <= CHUNK_LIMITS.maxChars, `${c.startLine}-${c.endLine}`);
  });

  it('redacts secrets before chunking, keeping line numbers', async () => {
    const text = [
      'const openai = "sk-proj-Abcdefghijklmnopqrstuvwx1234";',
      'const github = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";',
      'const aws = "AKIAIOSFODNN7EXAMPLE";',
      "const config = { apiKey: 'a1b2c3d4e5f6g7h8i9j0' };",
      'const key = `-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEA7',
      '-----END RSA PRIVATE KEY-----`;',
      'export function after() { return "sk-" + name; }',
    ].join('\n');
    const result = await chunkFile('src/keys.ts', text, parsers);
    const all = result.chunks.map((c) => c.text).join('\n');
    for (const secret of ['sk-proj-Abc', 'ghp_0123', 'AKIAIOSFODNN7EXAMPLE', 'a1b2c3d4e5f6g7h8i9j0', 'MIIEowIBAAKCAQEA7']) assert.ok(!all.includes(secret), secret);
    assert.equal(result.redactions, 5);
    assert.match(all, /\[REDACTED openai key\]/);
    assert.match(all, /apiKey: '\[REDACTED secret assignment\]'/);
    const after = result.chunks.find((c) => c.text.includes('function after'));
    assert.equal(after?.endLine, 8);
    assert.match(after!.text, /return "sk-" \+ name/);
  });

  it('falls back to line windows when a grammar cannot be loaded, and says why', async () => {
    const broken = new SyntaxParsers(join(__dirname, 'no-such-dir'));
    const result = await chunkFile('a.ts', 'export function a() {}\n', broken);
    assert.deepEqual(result.chunks.map((c) => [c.startLine, c.endLine, c.symbol]), [[1, 1, undefined]]);
    assert.match(result.syntaxError ?? '', /Could not load the tree-sitter typescript grammar .*Reinstall Keel/);
  });

  it('gives every index in the process the same parsers per grammar folder, since a loaded grammar is never freed', () => {
    const dir = defaultWasmDir();
    assert.equal(sharedSyntaxParsers(dir), sharedSyntaxParsers(dir));
    assert.notEqual(sharedSyntaxParsers(join(__dirname, 'no-such-dir')), sharedSyntaxParsers(dir));
  });
});
