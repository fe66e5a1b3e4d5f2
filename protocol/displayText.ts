/**
 * Text from a model, a tool or a workspace file, made safe to show a person who decides on it (a terminal, an approval
 * card, a notification). Control characters other than newline and tab (escape sequences, carriage returns,
 * backspaces) could clear a terminal, move its cursor or print over a line, so that a question shows something other
 * than what is approved; bidirectional overrides could reorder what is read (Trojan Source), anywhere. Each is shown
 * as an escape instead, so the text reads as it is. `\uXXXX` is also JSON's escape: arguments shown as JSON and edited
 * parse back to the same characters.
 */
// C0 controls but \t and \n, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function visibleControls(text: string): string {
  return text.replace(UNSAFE, (char) => (char === '\r' ? '\\r' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
