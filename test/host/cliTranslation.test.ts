import assert from 'node:assert/strict';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../unit/helpers';
import { CLI, runCli } from './cliProcess';

/** Pseudo-translations of three CLI messages, as a translator's bundle would give them. */
const PSEUDO: Record<string, string> = {
  'Usage:': 'Ûšåĝé:',
  'Options:': 'Öþţîöñš:',
  'Use either --yes or --no, not both.': 'Ûšé éîţĥéŕ --yes öŕ --no, ñöţ ƀöţĥ.',
};

/**
 * The built CLI copied into a package-like folder, `<dir>/dist/cli.js` beside `<dir>/l10n/`, where it looks for
 * `bundle.l10n.<locale>.json` as VS Code does.
 */
async function installedCli(bundle?: string): Promise<string> {
  const dir = await tempDir('keel-cli-l10n-');
  await mkdir(join(dir, 'dist'));
  await copyFile(CLI, join(dir, 'dist', 'cli.js'));
  if (bundle !== undefined) {
    await mkdir(join(dir, 'l10n'));
    await writeFile(join(dir, 'l10n', 'bundle.l10n.qps-ploc.json'), bundle);
  }
  return dir;
}

describe('keel CLI in another language (dist/cli.js with a bundle beside it)', function () {
  this.timeout(20_000);
  const dirs: string[] = [];
  const cliIn = async (bundle?: string) => {
    const dir = await installedCli(bundle);
    dirs.push(dir);
    return join(dir, 'dist', 'cli.js');
  };
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('speaks the bundle of KEEL_LOCALE and of LANG: the help heading lines up its forms, a usage error is translated, untranslated text stays English', async () => {
    const cli = await cliIn(JSON.stringify(PSEUDO));
    for (const env of [{ KEEL_LOCALE: 'qps-ploc' }, { LANG: 'qps_PLOC.UTF-8' }]) {
      const help = await runCli(['--help'], env, cli);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stderr, '');
      const lines = help.stdout.split('\n');
      assert.equal(lines[0], 'Ûšåĝé: keel run "<goal>" [options]');
      assert.equal(lines[1], `${' '.repeat('Ûšåĝé: '.length)}keel workflow <file.js> [--input <json>] [options]`, 'the other forms sit under the first');
      assert.ok(lines.includes('Öþţîöñš:'), help.stdout);
      assert.ok(lines.includes('  --workspace <dir>     the folder the agent works in (default: current directory)'), 'a message the bundle lacks stays English');
      assert.doesNotMatch(help.stdout, /^(Usage|Options):/m);

      const wrong = await runCli(['run', 'x', '--yes', '--no'], env, cli);
      assert.deepEqual(wrong, { code: 2, stdout: '', stderr: 'Ûšé éîţĥéŕ --yes öŕ --no, ñöţ ƀöţĥ.\n' });
    }
  });

  it('stays English with LANG=C, with no locale, and with no bundle for the locale', async () => {
    const translated = await cliIn(JSON.stringify(PSEUDO));
    const bare = await cliIn();
    for (const [env, cli] of [[{ LANG: 'C', LC_ALL: 'C' }, translated], [{}, translated], [{ KEEL_LOCALE: 'qps-ploc' }, bare]] as const) {
      const help = await runCli(['--help'], env, cli);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: keel run "<goal>" \[options\]\n {7}keel workflow/);
      assert.match(help.stdout, /^Options:$/m);
      assert.deepEqual(await runCli(['run', 'x', '--yes', '--no'], env, cli), { code: 2, stdout: '', stderr: 'Use either --yes or --no, not both.\n' });
    }
  });

  it('says in one line that a broken bundle could not be loaded, then goes on in English with the same exit code', async () => {
    const cli = await cliIn('{ "Usage:": "Ûšåĝé:", ');
    const help = await runCli(['--help'], { KEEL_LOCALE: 'qps-ploc' }, cli);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: keel run/);
    assert.match(help.stderr, /^Keel's translation \S+bundle\.l10n\.qps-ploc\.json could not be loaded \(.+\); messages stay in English\.\n$/);

    const wrong = await runCli(['run', 'x', '--yes', '--no'], { LANG: 'qps_PLOC.UTF-8' }, cli);
    assert.equal(wrong.code, 2);
    assert.equal(wrong.stdout, '');
    const [warning, error, ...rest] = wrong.stderr.split('\n');
    assert.match(warning!, /could not be loaded .*messages stay in English\.$/);
    assert.deepEqual([error, ...rest], ['Use either --yes or --no, not both.', '']);
  });
});
