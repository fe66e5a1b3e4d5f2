/** A Markdown file's front matter (the `---` block at the top) and the text after it. */
export interface FrontMatter {
  readonly fields: ReadonlyMap<string, string[]>;
  readonly body: string;
}

const BLOCK = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Reads the simple YAML that playbooks use: `key: value`, `key: [a, b]`, or `key:` followed by `- item` lines.
 * Values are lists of unquoted strings (a scalar is a list of one); nesting and multi-line strings are ignored.
 */
export function parseFrontMatter(text: string): FrontMatter {
  const block = BLOCK.exec(text);
  if (!block) return { fields: new Map(), body: text };
  const fields = new Map<string, string[]>();
  let listKey: string | undefined;
  for (const line of block[1]!.split(/\r?\n/)) {
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (item && listKey) {
      fields.get(listKey)!.push(unquote(item[1]!));
      continue;
    }
    const field = /^([A-Za-z][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (!field) {
      listKey = undefined;
      continue;
    }
    const [, key, raw] = field as unknown as [string, string, string];
    const value = raw.trim();
    const values = value.startsWith('[') && value.endsWith(']') ? splitList(value.slice(1, -1)) : value ? [value] : [];
    fields.set(key.toLowerCase(), values.map(unquote).filter(Boolean));
    listKey = value ? undefined : key.toLowerCase();
  }
  return { fields, body: text.slice(block[0].length) };
}

function unquote(value: string): string {
  return value.trim().replace(/^(["'])(.*)\1$/, '$2');
}

/** Splits at commas outside braces, so globs such as `*.{ts,tsx}` stay whole. */
export function splitList(value: string): string[] {
  return value.split(/,(?![^{]*\})/).map((part) => part.trim()).filter(Boolean);
}
