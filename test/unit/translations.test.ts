import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { bundleForLocales, loadTranslations, localesFromEnv } from '../../host/translations';
import { Sandbox } from '../../host/sandbox';
import { translationsInUse, useTranslations } from '../../protocol/translations';

describe('the host and CLI translations', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keel-l10n-'))));
  afterEach(() => {
    useTranslations({});
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the locale from KEEL_LOCALE first, then LC_ALL, LC_MESSAGES and LANG, most specific first', () => {
    assert.deepEqual(localesFromEnv({ LANG: 'de_DE.UTF-8' }), ['de-de', 'de']);
    assert.deepEqual(localesFromEnv({ KEEL_LOCALE: 'pt-BR', LANG: 'de_DE.UTF-8' }), ['pt-br', 'pt']);
    assert.deepEqual(localesFromEnv({ LC_ALL: 'fr_FR@euro', LANG: 'de_DE.UTF-8' }), ['fr-fr', 'fr']);
    assert.deepEqual(localesFromEnv({ LC_MESSAGES: 'ja' }), ['ja']);
  });

  it('takes C, POSIX, nothing and garbage (paths, quotes) as untranslated', () => {
    for (const LANG of ['C', 'POSIX', 'C.UTF-8', '', '../../etc/passwd', 'de"; rm -rf', 'x'.repeat(300)]) assert.deepEqual(localesFromEnv({ LANG }), [], LANG);
    assert.deepEqual(localesFromEnv({}), []);
  });

  it('finds the most specific bundle that exists, as VS Code names them', () => {
    writeFileSync(join(dir, 'bundle.l10n.de.json'), '{}');
    assert.equal(bundleForLocales(dir, ['de-at', 'de']), join(dir, 'bundle.l10n.de.json'));
    writeFileSync(join(dir, 'bundle.l10n.de-at.json'), '{}');
    assert.equal(bundleForLocales(dir, ['de-at', 'de']), join(dir, 'bundle.l10n.de-at.json'));
    assert.equal(bundleForLocales(dir, ['fr']), undefined);
  });

  it('translates with a loaded bundle, keeps English without one, and a broken bundle only warns', () => {
    const path = join(dir, 'bundle.l10n.qps.json');
    writeFileSync(path, JSON.stringify({ 'No run {0}.': 'Kein Lauf {0}.' }));
    loadTranslations(path, () => assert.fail('no warning for a good bundle'));
    assert.equal(l10n.t('No run {0}.', 'r1'), 'Kein Lauf r1.');
    assert.equal(l10n.t('Not in the bundle'), 'Not in the bundle');
    useTranslations({});
    const warnings: string[] = [];
    writeFileSync(path, '{ not json');
    loadTranslations(path, (message) => warnings.push(message));
    loadTranslations(join(dir, 'missing.json'), (message) => warnings.push(message));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /bundle\.l10n\.qps\.json could not be loaded .*messages stay in English/);
    assert.equal(l10n.t('No run {0}.', 'r1'), 'No run r1.');
  });

  it('drops entries that are not text, which would make l10n.t throw, and refuses a bundle that is not an object', () => {
    const path = join(dir, 'bundle.l10n.qps.json');
    const bundle = { 'Step {0} failed.': { comment: ['only a comment'] }, 'No run {0}.': 'Kein Lauf {0}.', 'Three': 3, 'Usage:': { message: 'Aufruf:', comment: ['kept as the English bundle writes it'] } };
    writeFileSync(path, JSON.stringify(bundle));
    loadTranslations(path, () => assert.fail('no warning: the good entries load'));
    assert.equal(l10n.t('Step {0} failed.', '2'), 'Step 2 failed.');
    assert.equal(l10n.t('Usage:'), 'Aufruf:');
    assert.deepEqual(translationsInUse(), { 'No run {0}.': 'Kein Lauf {0}.', 'Usage:': 'Aufruf:' });
    assert.equal(l10n.t('Three'), 'Three');
    assert.equal(l10n.t('No run {0}.', 'r1'), 'Kein Lauf r1.');
    const warnings: string[] = [];
    writeFileSync(path, '["a list"]');
    loadTranslations(path, (message) => warnings.push(message));
    assert.match(warnings[0] ?? '', /not a JSON object of messages/);
  });

  it('hands the translation to the sandbox worker threads, which do not share it otherwise', async () => {
    useTranslations({
      '…[cut off: console output reached {0}]': '…[abgeschnitten: {0}]',
      'The code ran for more than {0} = {1} ms of its own time (waits for agents and capabilities not counted). Is a loop endless? Make it do less work, or raise {0}.': 'Zu lange gerechnet: {0} = {1} ms.',
    });
    const sandbox = new Sandbox({ poolSize: 1 });
    try {
      const result = await sandbox.execute({ code: 'for (;;) console.log("x".repeat(100));', limits: { maxOutputChars: 1000 } });
      assert.match(result.logs.at(-1)!.text, /…\[abgeschnitten: limits\.maxOutputChars\]$/);
      // A limit's message is worded in the worker thread too.
      const spun = await sandbox.execute({ code: 'for (;;) {}', limits: { computeMs: 100 } });
      assert.equal(spun.error, 'Zu lange gerechnet: limits.computeMs = 100 ms.');
    } finally {
      await sandbox.dispose();
    }
  });
});
