/**
 * Keel's own secret rules, for what secretlint's recommended preset does not catch: values assigned to names that say
 * they are secret (unquoted `.env` lines included), passwords in connection strings, private key blocks however short,
 * JWTs, bearer tokens, and the token shapes of the common issuers whatever surrounds them.
 */

/** A span of text to redact, `[start, end)`, and what it is. */
export interface SecretFinding {
  readonly start: number;
  readonly end: number;
  readonly kind: string;
}

/**
 * Shapes found anywhere, each run only on text that holds one of its `triggers` (lower case), literal text without
 * which it cannot match. A `secret` group, when present, is the part redacted; the rest of the match is context that
 * stays readable (the user name and host of a connection string, the word `Bearer`).
 */
const SHAPES: readonly { readonly kind: string; readonly triggers: readonly string[]; readonly pattern: RegExp }[] = [
  { kind: 'private key', triggers: ['private key'], pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g },
  { kind: 'openai key', triggers: ['sk-'], pattern: /\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'github token', triggers: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { kind: 'aws access key', triggers: ['akia', 'asia'], pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'slack token', triggers: ['xox'], pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google api key', triggers: ['aiza'], pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'gitlab token', triggers: ['glpat-'], pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'npm token', triggers: ['npm_'], pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'jwt', triggers: ['eyj'], pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  // scheme://user:password@host; a `${VAR}` or `$VAR` password is a reference, not a secret.
  { kind: 'password in url', triggers: ['://'], pattern: /(?<=[a-z0-9+.-]):\/\/[^\s:/@'"`<>]*:(?<secret>(?![$<{])[^\s@/'"`<>]+)@[^\s@'"`<>]/dgi },
  { kind: 'bearer token', triggers: ['bearer'], pattern: /\bBearer[ \t]+(?<secret>(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*)/dg },
  // <password>…</password>, <apiToken>…</apiToken>: XML configuration (Maven, .NET, Tomcat).
  { kind: 'secret in xml', triggers: ['password', 'passwd', 'secret', 'token', 'apikey', 'api_key'], pattern: /<([\w:.-]*(?:password|passwd|secret|token|apikey|api_key)[\w:.-]*)>(?<secret>[^<>\s]{4,})<\/\1>/dgi },
  // Server=db;User Id=sa;Password=…; and Azure's AccountKey=…; in connection strings.
  // The key is matched, not looked behind for: a lookbehind is tried at every position of the text, which made this
  // the costliest rule on any text holding `password=`.
  { kind: 'password in connection string', triggers: ['password=', 'pwd=', 'accountkey=', 'sharedaccesskey='], pattern: /(?:(?:^|[;"'\s])(?:password|accountkey|sharedaccesskey)[ \t]*=[ \t]*|;[ \t]*pwd[ \t]*=[ \t]*)(?<secret>[^;"'\s<>]{4,})/dgi },
  // .netrc: machine host login me password …
  { kind: 'netrc password', triggers: ['machine'], pattern: /\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?<secret>\S+)/dgi },
  // curl -u user:password, mysql -p<password> on a command line.
  { kind: 'password on a command line', triggers: ['curl', 'mysql'], pattern: /\b(?:curl\b[^\n]{0,200}?\s(?:-u|--user)[ \t]+['"]?[^:\s'"]+:(?<secret>[^\s'"]{4,})|mysql\b[^\n]{0,200}?\s-p(?<secret2>[^\s'"]{4,}))/dgi },
];

/** Every literal the shapes are triggered by. */
export const SHAPE_TRIGGERS: readonly string[] = [...new Set(SHAPES.flatMap((shape) => shape.triggers))];

/**
 * Every secret of the shapes above and every value assigned to a secret-sounding name, in no particular order.
 * `lower` is `text.toLowerCase()`; `present`, which of SHAPE_TRIGGERS it holds.
 */
export function keelFindings(text: string, lower: string, present: ReadonlySet<string>): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { kind, triggers, pattern } of SHAPES) {
    if (!triggers.some((trigger) => present.has(trigger))) continue;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const [start, end] = match.indices?.groups?.secret ?? match.indices?.groups?.secret2 ?? [match.index, match.index + match[0].length];
      findings.push({ start, end, kind });
      if (match[0].length === 0) pattern.lastIndex++;
    }
  }
  // Positions in `lower` are positions in `text` only while lower-casing kept every character's length (`İ` does not).
  assignmentFindings(text, lower.length === text.length ? lower : text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()), findings);
  return findings;
}

// --- Values assigned to secret names -------------------------------------------------------------------------------

/** The words a secret's name contains (lower case). `key` counts only as the name's last word (`API_KEY`, not `key_count`). */
const SECRET_WORDS = ['key', 'secret', 'token', 'pass', 'pwd', 'credential'];
const PASSWORD_WORDS = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'pw']);
const STRONG_WORDS = new Set(['secret', 'secrets', 'token', 'credential', 'credentials', 'apikey', 'secretkey', 'privatekey', 'accesskey', 'authtoken']);
/** A name ending in one of these describes a secret rather than holding one: `PASSWORD_MIN_LENGTH`, `token_count`. */
const METADATA_WORDS = new Set([
  'length', 'len', 'min', 'max', 'count', 'size', 'type', 'types', 'name', 'names', 'id', 'ids', 'file', 'path', 'dir', 'url', 'uri',
  'endpoint', 'env', 'var', 'header', 'prefix', 'suffix', 'field', 'label', 'hint', 'format', 'regex', 'pattern', 'policy',
  'enabled', 'enable', 'disabled', 'required', 'expiry', 'expires', 'expiration', 'ttl', 'timeout', 'lifetime', 'age', 'limit',
  'version', 'rotation', 'algorithm', 'alg', 'mode', 'kind', 'source', 'provider', 'location', 'ref', 'placeholder',
  'message', 'error', 'description', 'help', 'title', 'text', 'prompt', 'validation', 'strength', 'reset', 'input', 'usage',
  'index', 'offset', 'position', 'start', 'end', 'stream', 'counter', 'budget', 'estimate', 'rate', 'cost', 'price',
]);
/** `primary_key = "user_id_12345678901"` names a column, not a credential. */
const NOT_SECRET_KEYS = new Set(['public', 'primary', 'foreign', 'sort', 'partition', 'cache', 'idempotency', 'row', 'map', 'hash', 'range', 'unique', 'object', 'lookup', 'storage', 'translation', 'i18n', 'react', 'dict', 'group']);
/** Values that say what a secret would be, not what it is. */
const NOT_SECRET_VALUES = new Set([
  'null', 'none', 'nil', 'true', 'false', 'undefined', 'yes', 'no', 'on', 'off', 'required', 'optional', 'string', 'str',
  'number', 'int', 'integer', 'boolean', 'bool', 'bytes', 'any', 'unknown', 'object', 'never', 'void', 'secret', 'password',
  'token', 'redacted', 'hidden', 'env', 'environment',
]);

type NameClass = 'password' | 'token' | 'key';

/** Whether a variable or field name says its value is a secret, and which kind: `DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN`. */
export function secretNameClass(name: string): NameClass | undefined {
  // The shell's working directory, not a password.
  if (/^(?:OLD)?PWD$/.test(name)) return undefined;
  const words = nameWords(name);
  const last = words.at(-1);
  if (last === undefined || METADATA_WORDS.has(last)) return undefined;
  // `PGPASSWORD`, `MYSQL_ROOTPASSWORD`: one word that ends like a password's name.
  if (words.some((w) => PASSWORD_WORDS.has(w) || /(?:password|passwd)$/.test(w))) return 'password';
  if (words.some((w) => STRONG_WORDS.has(w))) return 'token';
  if (last === 'key' && !words.some((w) => NOT_SECRET_KEYS.has(w))) return 'key';
  return undefined;
}

/** `AWS_SECRET_ACCESS_KEY`, `awsSecretAccessKey` and `aws-secret.access_key` → aws, secret, access, key. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isNameChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45 || code === 46;
}

/**
 * `NAME = value` and `NAME: value` where NAME says the value is secret. Quoted values count anywhere (code, JSON, YAML);
 * unquoted ones only where nothing but the assignment is on the line (`.env`, shell `export`, YAML, INI), after a
 * command-line flag (`--password=…`) or in a URL's query (`?api_key=…`), since in code an unquoted value is a reference.
 */
function assignmentFindings(text: string, lower: string, findings: SecretFinding[]): void {
  // In the lower-cased text the words are found by indexOf, many times faster than a case-insensitive regex.
  const seen = new Set<number>();
  for (const word of SECRET_WORDS) {
    // An occurrence inside a value already scanned is part of that value: skipping it keeps `token:token:…` linear.
    const scanned = { to: 0 };
    for (let at = lower.indexOf(word); at !== -1; at = lower.indexOf(word, at + word.length)) {
      if (at < scanned.to) continue;
      // Names are short: walking further would make a long run of name characters (`keykeykey…`) quadratic.
      let start = at;
      while (start > 0 && at - start <= MAX_NAME_CHARS && isNameChar(text.charCodeAt(start - 1))) start--;
      if (at - start > MAX_NAME_CHARS || seen.has(start)) continue;
      seen.add(start);
      let end = at + word.length;
      while (end < text.length && end - start <= MAX_NAME_CHARS && isNameChar(text.charCodeAt(end))) end++;
      if (end - start > MAX_NAME_CHARS) continue;
      OPERATOR.lastIndex = end;
      const operator = OPERATOR.exec(text);
      if (!operator) continue;
      const name = text.slice(start, end);
      const kind = secretNameClass(name);
      if (!kind) continue;
      const value = assignedValue(text, start, operator, name, scanned);
      if (value && acceptable(value, kind, name)) findings.push({ start: value.start, end: value.start + value.text.length, kind: 'secret assignment' });
    }
  }
}

interface Assigned {
  readonly start: number;
  readonly text: string;
  readonly quoted: boolean;
  /** In a URL's query, where `api_key=…` is always a credential. */
  readonly inQuery?: boolean;
}

/** Longer runs of name characters are not a variable's name (minified code, data, an attack on the scan). */
const MAX_NAME_CHARS = 128;
const OPERATOR = /["']?[ \t]*\??[ \t]*(:=|=>|=(?![=~])|:(?![:/]))[ \t]*/y;
/** A type annotation between the name and `=`: `password: string = "…"`. */
const ANNOTATED = /[ \t]*[A-Za-z_][\w.<>[\]|]*[ \t]*=(?![=>~])[ \t]*/y;
const QUOTES = new Set(['"', "'", '`']);
/** Longer values are not credentials (or are caught by their shape); bounds the scan on minified code. */
const MAX_VALUE_CHARS = 1000;
const CONTEXT_CHARS = 200;

/** The value assigned to `name`, if any; `scanned.to` is moved past the unquoted text scanned for it. */
function assignedValue(text: string, nameStart: number, operator: RegExpExecArray, name: string, scanned: { to: number }): Assigned | undefined {
  let at = operator.index + operator[0].length;
  if (operator[1] === ':' && !QUOTES.has(text[at]!)) {
    ANNOTATED.lastIndex = at;
    if (ANNOTATED.exec(text) && QUOTES.has(text[ANNOTATED.lastIndex]!)) at = ANNOTATED.lastIndex;
  }
  const quote = text[at]!;
  if (QUOTES.has(quote)) {
    const limit = Math.min(text.length, at + MAX_VALUE_CHARS);
    let close = at + 1;
    while (close < limit && text[close] !== quote && text[close] !== '\n') close += text[close] === '\\' ? 2 : 1;
    return text[close] === quote ? { start: at + 1, text: text.slice(at + 1, close), quoted: true } : undefined;
  }
  if (operator[1] === '=>') return undefined;
  // What precedes the name on its line, looking back no further than CONTEXT_CHARS (minified code has long lines).
  let lineStart = nameStart;
  while (lineStart > 0 && nameStart - lineStart < CONTEXT_CHARS && text[lineStart - 1] !== '\n') lineStart--;
  const atLineStart = lineStart === 0 || text[lineStart - 1] === '\n';
  const before = text.slice(lineStart, nameStart);
  const inQuery = /[?&]$/.test(before);
  // `--password=…`, and `.npmrc`'s `//registry.example.com/:_authToken=…`.
  const flag = name.startsWith('--') || before.endsWith(':');
  // `DB_PASSWORD=… cmd`, `-e DB_PASSWORD=…`, `"DB_PASSWORD=…"`: a shell word, which ends at a space, a quote or a semicolon.
  const shell = operator[0] === '=' && /^[A-Z][A-Z0-9_]*$/.test(name) && /(?:^|[\s"'`(,;])$/.test(before);
  // Neither a URL's query (`?api_key=…`), a flag (`--password=…`) nor a shell word: the assignment must be all there
  // is on its line, bar a comment (`.env`, YAML, INI, `export`). Checked before the value is scanned, so text full of
  // names that are not at a line's start (`token:token:…`) costs no scan at all.
  const wholeLine = !inQuery && !flag && !shell;
  if (wholeLine && (!atLineStart || !/^[ \t]*(?:export[ \t]+|set[ \t]+|-[ \t]+)?["']?$/.test(before))) return undefined;
  const stop = inQuery ? /[\s&#"'<>]/ : shell || flag ? /[\s"'`;]/ : /\s/;
  let end = at;
  while (end < text.length && end - at <= MAX_VALUE_CHARS && !stop.test(text[end]!)) end++;
  scanned.to = end;
  if (end === at || end - at > MAX_VALUE_CHARS) return undefined;
  if (wholeLine) {
    let lineEnd = end;
    while (lineEnd < text.length && lineEnd - end < CONTEXT_CHARS && text[lineEnd] !== '\n') lineEnd++;
    const rest = text.slice(end, lineEnd).trim();
    if (rest && !/^(?:#|\/\/|;)/.test(rest)) return undefined;
  }
  return { start: at, text: text.slice(at, end), quoted: false, inQuery };
}

function acceptable({ text: value, quoted, inQuery }: Assigned, kind: NameClass, name: string): boolean {
  // `DB_PASSWORD` and `API_KEY` are configuration, where a value is what it says; `cacheKey` in code often is not.
  const constant = /^[A-Z][A-Z0-9_]*$/.test(name);
  if (value.startsWith('[REDACTED') || (/\s/.test(value) && !(quoted && constant && kind === 'password'))) return false;
  // References and templates: `$VAR`, `${VAR}`, `{{ secrets.X }}`, `%(x)s`, `<your-key>`, `#{x}`.
  if (/^(?:\$|%[({]|#\{|<.*>$)/.test(value) || value.includes('${') || value.includes('{{')) return false;
  const lower = value.toLowerCase();
  if (NOT_SECRET_VALUES.has(lower) || nameWords(name).includes(lower) || lower === name.replace(/^-+/, '').toLowerCase() || /^(?:x+|\*+|\.+|-+|_+)$/i.test(value)) return false;
  if (!quoted) {
    // In code an unquoted value is an expression: `process.env.KEY`, `getToken()`, `settings[KEY]`, `api_key_value,`.
    if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+[,;]?$/.test(value) || /^[A-Za-z_$][\w$.]*[([]/.test(value) || /[,;]$/.test(value)) return false;
    if (/^[a-z]+(?:_[a-z]+)+$/.test(value) || /^[a-z]+(?:[A-Z][a-z]+)+$/.test(value)) return false;
  }
  if (kind === 'password') return value.length >= 4 && !/^\d{1,5}$/.test(value);
  const mixes = /\d/.test(value) && /[A-Za-z]/.test(value);
  const cased = /[a-z]/.test(value) && /[A-Z]/.test(value);
  if (kind === 'token' || constant || inQuery) return (value.length >= 8 && mixes) || (value.length >= 16 && cased) || value.length >= 32;
  return (value.length >= 16 && mixes) || (value.length >= 24 && cased);
}
