import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = join(ROOT, 'l10n', 'bundle.l10n.json');

describe('the l10n bundle', function () {
  // The export parses every source file with tree-sitter: a few seconds on a busy machine.
  this.timeout(120_000);

  it('is what `npm run l10n` makes of the sources today (run it after adding or changing an l10n.t string)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const args = scripts.l10n!.split(' ');
    assert.equal(args[0], 'vscode-l10n-dev');
    const outDir = mkdtempSync(join(tmpdir(), 'keel-l10n-'));
    try {
      // The npm script's own arguments, with the output sent to a scratch folder.
      const at = args.indexOf('--outDir');
      args.splice(at, 2, '--outDir', outDir);
      execFileSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js'), ...args.slice(1)], { cwd: ROOT, stdio: 'pipe' });
      const fresh: unknown = JSON.parse(readFileSync(join(outDir, 'bundle.l10n.json'), 'utf8'));
      const committed: unknown = JSON.parse(readFileSync(BUNDLE, 'utf8'));
      assert.deepEqual(committed, fresh);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('is what package.json points VS Code at, and goes into the package', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { l10n?: string };
    assert.equal(manifest.l10n, './l10n');
    assert.match(readFileSync(join(ROOT, '.vscodeignore'), 'utf8'), /^!l10n\/\*\.json$/m);
  });
});
