/**
 * Text from a model, a tool or a workspace file, made safe to print on a terminal. Control characters other than
 * newline and tab (escape sequences, carriage returns, backspaces) could clear the screen, move the cursor or print
 * over a line, so that an approval question shows something other than what is approved; bidirectional overrides
 * could reorder what is read (Trojan Source). Each is shown as an escape instead, so the text reads as it is.
 */
// C0 controls but \t and \n, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\r') return '\\r';
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
