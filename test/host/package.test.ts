/**
 * The packaged extension as the Extensions view and the Marketplace show it: `npm run package` builds
 * dist/keel.vsix, and this reads the archive itself, not the files it was made from.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const VSIX = join(__dirname, '..', '..', 'dist', 'keel.vsix');

function files(): string[] {
  return execFileSync('unzip', ['-Z1', VSIX], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function read(name: string): Buffer {
  return execFileSync('unzip', ['-p', VSIX, name], { maxBuffer: 64 * 1024 * 1024 });
}

describe('the packaged extension (dist/keel.vsix)', () => {
  before(function () {
    if (!existsSync(VSIX)) throw new Error('dist/keel.vsix is missing: run `npm run package` first.');
  });

  it('has the user-first README, starting with what Keel does, and every image it shows', () => {
    const readme = read('extension/readme.md').toString('utf8');
    assert.match(readme.split('\n')[0]!, /^# Keel: /);
    assert.ok(!readme.includes('npm ci'), 'the set-up commands for developers stay in the repository README');
    assert.ok(readme.indexOf('## Quick start') < readme.indexOf('## Features'), 'a quick start, then features');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    assert.ok(images.length > 0, 'the README shows a screenshot');
    const listed = new Set(files());
    for (const image of images) {
      assert.ok(!/^[a-z]+:/.test(image), `${image} is packaged, not fetched`);
      assert.ok(listed.has(`extension/${image}`), `${image} is in the package`);
      const png = read(`extension/${image}`);
      assert.equal(png.subarray(1, 4).toString(), 'PNG', `${image} is a PNG`);
      assert.ok(png.readUInt32BE(16) >= 800, `${image} is a screenshot, not a thumbnail`);
    }
  });

  it('has a 128×128 PNG icon, a changelog, and the gallery metadata', () => {
    const manifest = JSON.parse(read('extension/package.json').toString('utf8')) as Record<string, unknown>;
    const icon = read(`extension/${manifest.icon as string}`);
    assert.equal(icon.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
    assert.ok(files().includes('extension/changelog.md'));
    // The manifest's strings live in package.nls.json, so translations can be added beside it.
    assert.ok(files().includes('extension/package.nls.json'));
    assert.equal(manifest.displayName, '%displayName%');
    assert.match(read('extension/changelog.md').toString('utf8'), /^# Changelog/);
    assert.ok((manifest.keywords as string[]).length >= 5);
    assert.ok((manifest.categories as string[]).includes('AI'));
    assert.match((manifest.galleryBanner as { color: string }).color, /^#[0-9a-f]{6}$/i);
  });

  it('has the walkthrough\'s media and nothing from the sources or tests', () => {
    const manifest = JSON.parse(read('extension/package.json').toString('utf8')) as { contributes: { walkthroughs: { steps: { media: { markdown?: string; image?: string } }[] }[] } };
    const listed = new Set(files());
    for (const step of manifest.contributes.walkthroughs[0]!.steps) {
      const media = step.media.markdown ?? step.media.image!;
      assert.ok(listed.has(`extension/${media}`), `${media} is in the package`);
      const markdown = step.media.markdown ? read(`extension/${media}`).toString('utf8') : '';
      for (const [, image] of markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
        assert.ok(listed.has(`extension/extension/media/walkthrough/${image}`), `${image} (shown by ${media}) is in the package`);
      }
    }
    assert.deepEqual([...listed].filter((f) => /\.ts$|^extension\/test\/|node_modules|\.map$/.test(f)), []);
  });
});
