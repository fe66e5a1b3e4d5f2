/**
 * Keel in another display language, on a profile set up as a user's is: a language pack for VS Code, and Keel's
 * translation files beside its installed package (test/vscode/pseudoLanguage.ts). Each part that talks to the user
 * shows the translation: the manifest's titles, the extension's own text, the agent host's reasons, a webview and a
 * walkthrough page.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { until } from '../until';
import { freePort, openWorkbench, repoRoot, type CodeServer } from '../vscode/codeServer';
import { PSEUDO_MARK, pseudoLanguage } from '../vscode/pseudoLanguage';
import { webviewFrame, SHOTS, screenshotWhenFailed } from './workbench';

const PAGE = `# ${PSEUDO_MARK}A model that answers\n\n${PSEUDO_MARK}Keel works with the model you already have.\n`;

describe('Keel in another display language', function () {
  this.timeout(240_000);
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Nothing answers where Ollama is looked for, so the Model view shows the host's reason.
    const settings = { 'keel.ollama.baseUrl': `http://127.0.0.1:${await freePort()}`, 'keel.model.timeoutSeconds': 20 };
    ({ server, browser, page } = await openWorkbench(settings, { width: 1400, height: 850 }, pseudoLanguage({ 'extension/media/walkthrough/model.md': PAGE })));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  screenshotWhenFailed('translation', () => page);

  it('shows the extension’s words and the agent host’s reason in the display language', async () => {
    await page.locator('.activitybar .action-item a[aria-label*="Keel"]').click();
    const message = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Model' }) }).locator('.message');
    await until('the model check to end', async () => /Could not reach/.test((await message.textContent().catch(() => '')) ?? ''), 60_000);
    const text = (await message.textContent())!;
    // The extension's sentence, around the host's reason: both translated.
    assert.ok(text.startsWith(`${PSEUDO_MARK}Keel will use qwen2.5-coder:7b (Ollama)`), text);
    // The host's reason, with the server it names (a phrase of its own), from the bundle the extension handed it.
    assert.match(text, /does not answer: \[qps\] Could not reach \[qps\] Ollama at http:\/\/127\.0\.0\.1:\d+\.$/);
    // A webview's text comes from the same bundle.
    const traces = await webviewFrame(page, 'body[data-mode="sidebar"] #app .toolbar');
    assert.match(await traces.locator('body').innerText(), /\[qps\] /);
    await page.screenshot({ path: join(SHOTS, 'translation-sidebar.png') });
  });

  it('shows its commands and its walkthrough page in the display language', async () => {
    await page.keyboard.press('Control+Shift+P');
    await page.locator('.quick-input-widget input').fill('>Get Started');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: `${PSEUDO_MARK}Get Started` }).first().click();
    const walkthrough = page.locator('.gettingStartedSlideDetails', { hasText: `${PSEUDO_MARK}Get Started with Keel` });
    await walkthrough.waitFor({ timeout: 20_000 });
    await page.locator('.getting-started-step[data-step-id$="#chooseModel"]').click();
    // The step's page is markdown: VS Code reads model.nls.<locale>.md beside model.md.
    await webviewFrame(page, `h1:has-text("${PSEUDO_MARK}A model that answers")`);
    await page.screenshot({ path: join(repoRoot, 'docs', 'images', 'translation.png') });
  });
});
