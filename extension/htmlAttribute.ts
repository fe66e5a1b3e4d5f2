/**
 * `text` made safe inside a double-quoted HTML attribute or as element text. What goes through here may come from a
 * language pack or a setting: it must stay text, never close the attribute or open a tag. No `vscode` here, so it is
 * unit-tested.
 */
export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
