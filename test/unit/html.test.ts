import assert from 'node:assert/strict';
import { escapeHtml } from '../../protocol/html';

/** What an HTML parser gives back for a double-quoted attribute's value. */
function parsedAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe('webview page attributes', () => {
  it('keep a hostile translation bundle as data: it cannot close the attribute or open a tag, and reads back whole', () => {
    const bundle = JSON.stringify({ Resume: '"><script>alert(1)</script>', Retry: "' onload='x' &amp; &#34;", Runs: '\u2028</body>' });
    const escaped = escapeHtml(bundle);
    assert.doesNotMatch(escaped, /["<>]/);
    assert.equal(parsedAttribute(escaped), bundle);
    assert.deepEqual(JSON.parse(parsedAttribute(escaped)), JSON.parse(bundle));
  });
});
