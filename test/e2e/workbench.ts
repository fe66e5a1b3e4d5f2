/**
 * The workbench driven as a user does, for the UI tests: the command palette and the webviews' frames. Anything may
 * take the focus while the palette is open (the walkthrough's page, a view revealing itself on first use, a webview)
 * and close it, so each step is tried again.
 */
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { until } from '../until';
import { repoRoot } from '../vscode/codeServer';

/** Where the UI tests save their screenshots. */
export const SHOTS = join(repoRoot, 'test-results');

/** For the tests of the `describe` it is called in: a screenshot of the page when one fails, `<name>-failed-<time>.png`. */
export function screenshotWhenFailed(name: string, page: () => Page | undefined): void {
  afterEach(async function () {
    const shown = page();
    if (this.currentTest?.state === 'failed' && shown) await shown.screenshot({ path: join(SHOTS, `${name}-failed-${Date.now()}.png`) });
  });
}

/**
 * Runs the command titled `title`. With `shows`, tries again until that appears, the proof the command ran; without,
 * until the palette took the command.
 */
export async function runFromPalette(page: Page, title: string, shows?: Locator): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const command = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  const ran = (done: Promise<unknown>) => done.then(() => true, () => false);
  // The palette lists contributed commands only once the extension host has scanned the extension.
  await until(`"${title}" to run from the palette`, async () => {
    // Keys pressed while a webview has focus stay in its frame: take focus back to the workbench first.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    if (!(await ran(input.fill(`>${title}`, { timeout: 5000 })))) return false;
    if (!(await ran(command.waitFor({ timeout: 5000 })))) return false;
    // A page re-rendering under the palette may never let the row hold still for a click: Enter runs the focused match.
    const picked = (await command.getAttribute('class'))?.includes('focused') ? input.press('Enter') : command.click({ timeout: 3000 });
    if (!(await ran(picked))) return false;
    return shows ? ran(shows.first().waitFor({ timeout: 5000 })) : true;
  }, 60_000);
}

/** Runs a command that asks one question (`prompt`), and answers it. */
export async function answerFromPalette(page: Page, title: string, prompt: string, answer: string): Promise<void> {
  await runFromPalette(page, title, page.locator('.quick-input-widget', { hasText: prompt }));
  const input = page.locator('.quick-input-widget input');
  await input.fill(answer);
  await input.press('Enter');
}

/** The webview frame that holds `selector`; when none does yet, `reveal` (a command's title) brings its view up. */
export async function webviewFrame(page: Page, selector: string, reveal?: string): Promise<Frame> {
  const find = async (): Promise<Frame | undefined> => {
    for (const frame of page.frames()) if (await frame.locator(selector).count().catch(() => 0)) return frame;
    return undefined;
  };
  if (reveal && !(await find())) await runFromPalette(page, reveal);
  return until(`a webview with ${selector}`, find, 60_000);
}
