/**
 * `text` made safe inside a double-quoted HTML attribute or as element text, for the pages Keel writes (webviews, the
 * sign-in page). What goes through here may come from a language pack, a setting or a server: it must stay text,
 * never close the attribute or open a tag.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
