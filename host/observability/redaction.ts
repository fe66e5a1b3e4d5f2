/**
 * The one redactor: every place that keeps, shows or sends text that could hold a secret (the index, prompts, episodes,
 * spans, logs, CLI output) passes it through here. It applies secretlint's recommended rules, Keel's own rules for what
 * those miss (`secretRules.ts`), and the secret values this process was given (`knownSecrets.ts`).
 */
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import { knownSecrets } from './knownSecrets';
import { keelFindings, SHAPE_TRIGGERS, type SecretFinding } from './secretRules';

export interface Redacted {
  readonly text: string;
  /** How many secrets were replaced; overlapping findings count once. */
  readonly redactions: number;
}

/**
 * The text with every secret replaced by `[REDACTED <kind>]`. Newlines inside a secret are kept, so line numbers in
 * the redacted text still match. `path`, when the text is a file, lets the rules that care (npm tokens in `.npmrc`,
 * GCP service-account JSON) see which file it is. Synchronous, so that it can run wherever text is set.
 */
export function redactSecrets(original: string, path?: string): Redacted {
  if (original.length < MIN_SECRET_CHARS) return { text: original, redactions: 0 };
  if (path !== undefined || original.length > REMEMBERED_MAX_CHARS) return scan(original, path);
  // The same texts come again and again: every agent's and subagent's system prompt, goal, tool names and arguments
  // go into spans, logs and the journal at each step, and each model call's input repeats the run's earlier messages.
  // What is known of them holds until a secret is registered.
  const secrets = knownSecrets();
  if (secrets !== rememberedWith) {
    remembered.clear();
    rememberedChars = 0;
    rememberedWith = secrets;
  }
  const known = remembered.get(original);
  if (known) return known;
  const result = scan(original, undefined);
  remembered.set(original, result);
  rememberedChars += original.length;
  // The oldest go first.
  for (const oldest of remembered.keys()) {
    if (remembered.size <= REMEMBERED_TEXTS && rememberedChars <= REMEMBERED_CHARS) break;
    remembered.delete(oldest);
    rememberedChars -= oldest.length;
  }
  return result;
}

/** The texts remembered once redacted: at most this many, of at most this many characters in all. */
const REMEMBERED_TEXTS = 4096;
const REMEMBERED_CHARS = 8 * 1024 * 1024;
/** A longer text is scanned each time: remembering it would push out most of the others. */
const REMEMBERED_MAX_CHARS = 1024 * 1024;
const remembered = new Map<string, Redacted>();
let rememberedChars = 0;
let rememberedWith: readonly string[] | undefined;

function scan(original: string, path: string | undefined): Redacted {
  // Text often arrives JSON-escaped (a sandbox result, a tool's JSON): its lines are scanned as lines too.
  const text = original.includes('\\') ? unescapedBreaks(original) : original;
  // One pass finds which rules' trigger literals the text holds; most text holds few, and only those rules run.
  const lower = text.toLowerCase();
  const present = new Set<string>();
  TRIGGER.lastIndex = 0;
  for (let match = TRIGGER.exec(lower); match; match = TRIGGER.exec(lower)) {
    // Triggers can share a start (`sk-`, `sk-ant-`): every one there counts, and the scan goes on from the next character.
    for (const literal of TRIGGER_LITERALS) if (lower.startsWith(literal, match.index)) present.add(literal);
    TRIGGER.lastIndex = match.index + 1;
  }
  const findings = keelFindings(text, lower, present);
  for (const value of knownSecrets()) {
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) findings.push({ start: at, end: at + value.length, kind: 'known secret' });
  }
  secretlintFindings(text, path, present, findings);
  return findings.length ? replace(original, findings) : { text: original, redactions: 0 };
}

/**
 * `\n`, `\r`, `\t` and `\"` escapes turned into the characters they stand for, each still two characters long
 * (a space before it) so that positions found in the result hold in the original.
 */
function unescapedBreaks(text: string): string {
  return text.replace(/\\([nrt"])/g, (_, c: string) => ` ${c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '"'}`);
}

/** `redactSecrets(text).text`, for the places that only need the text. */
export function redacted(text: string): string {
  return redactSecrets(text).text;
}

/** No rule finds a secret shorter than this, nor is one registered. */
const MIN_SECRET_CHARS = 6;

/** Which finding names a merged span: the issuer-specific kinds over the generic ones. */
const GENERIC_KINDS = new Set(['secret assignment', 'known secret', 'password in url']);

function replace(text: string, findings: SecretFinding[]): Redacted {
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let cursor = 0;
  let redactions = 0;
  for (let i = 0; i < findings.length; ) {
    let { start, end, kind } = findings[i]!;
    // Overlapping findings become one redaction covering all of them.
    for (i++; i < findings.length && findings[i]!.start < end; i++) {
      end = Math.max(end, findings[i]!.end);
      if (GENERIC_KINDS.has(kind) && !GENERIC_KINDS.has(findings[i]!.kind)) kind = findings[i]!.kind;
    }
    start = Math.max(start, cursor);
    if (end <= start) continue;
    parts.push(text.slice(cursor, start), `[REDACTED ${kind}]`, '\n'.repeat(countNewlines(text, start, end)));
    cursor = end;
    redactions++;
  }
  parts.push(text.slice(cursor));
  return { text: parts.join(''), redactions };
}

function countNewlines(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

// --- secretlint's recommended rules, driven synchronously --------------------------------------------------------

/**
 * The subset of secretlint's rule API that its recommended rules use. Rules report through `context.report` while
 * their `file` handler runs; the handlers are synchronous except the GCP rule's for `.p12` files, which Keel never
 * passes (see `extOf`).
 */
interface RuleContext {
  report(descriptor: { message: string; range: readonly [number, number] }): void;
  ignore(descriptor: unknown): void;
  createTranslator(messages: Record<string, Record<string, unknown>>): (id: string, data?: Record<string, unknown>) => string;
}
interface SourceCode {
  readonly content: string;
  readonly filePath: string | undefined;
  readonly physicalFilePath: undefined;
  readonly ext: string;
  readonly contentType: 'text';
  readonly hasBOM: boolean;
  getFilePath(): string | undefined;
  getPhysicalFilePath(): undefined;
  indexToPosition(index: number): { line: number; column: number };
  positionToIndex(position: { line: number; column: number }): number;
  locationToRange(location: { start: { line: number; column: number }; end: { line: number; column: number } }): [number, number];
  rangeToLocation(range: readonly [number, number]): { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Rule {
  readonly meta: { readonly id: string };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: SourceCode): unknown };
}

/**
 * `secretlint-disable` comments are the file's author telling the linter to look away: in text Keel redacts, that
 * author may be hostile, so the rule that honours them is left out.
 */
const EXCLUDED_RULES = new Set(['@secretlint/secretlint-rule-filter-comments']);

/**
 * Literal text (lower case) without which a rule of @secretlint/secretlint-rule-preset-recommend 13.1.0 cannot report,
 * read off each rule's patterns (`aws` looks for `SECRET_ACCESS_KEY`, and with an option for key ids and account ids;
 * `gcp`, for `private_key` in a service account's JSON; the connection-string rules, for `://`). A rule runs only on
 * text that holds one of its triggers: most text holds none, and running every rule on it cost more than all the
 * rest of redaction. A rule not listed here (a newer preset's) always runs; the preset's version is pinned, and a
 * test fails when its version or rules change, so that this table is read again.
 */
const RULE_TRIGGERS: Readonly<Record<string, readonly string[]>> = {
  aws: ['secret', 'account', 'a3t', 'akia', 'agpa', 'aida', 'aroa', 'aipa', 'anpa', 'anva', 'asia'],
  gcp: ['private_key'],
  npm: ['npm_', '_authtoken', 'x-oauth-basic'],
  slack: ['xox', 'xapp', 'hooks.slack.com'],
  basicauth: ['://'],
  openai: ['sk-'],
  anthropic: ['sk-ant-'],
  groq: ['gsk_'],
  huggingface: ['hf_'],
  linear: ['lin_api_'],
  notion: ['ntn_'],
  privatekey: ['private key'],
  sendgrid: ['sg.'],
  shopify: ['shppa_', 'shpca_', 'shpat_', 'shpss_'],
  stripe: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  github: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  gitlab: ['glpat-'],
  grafana: ['glc_', 'glsa_'],
  '1password': ['ops_'],
  'database-connection-string': ['://'],
  'hashicorp-vault': ['hvs.', 'hvb.', 'hvr.'],
  vercel: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
  databricks: ['dapi'],
  docker: ['dckr_pat_'],
  figma: ['figd_'],
  cloudflare: ['cfk_', 'cfut_', 'cfat_'],
  tailscale: ['tskey-'],
};

/** Every trigger literal, Keel's and secretlint's, and one pattern finding where any of them starts. */
const TRIGGER_LITERALS: readonly string[] = [...new Set([...SHAPE_TRIGGERS, ...Object.values(RULE_TRIGGERS).flat()])];
const TRIGGER = new RegExp(TRIGGER_LITERALS.map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');

/** Where the rule running now reports to; undefined outside a synchronous run, so late reports go nowhere. */
let reportTo: { findings: SecretFinding[]; kind: string } | undefined;

let ruleScanners: readonly { kind: string; triggers: readonly string[] | undefined; handler: ReturnType<Rule['create']> }[] | undefined;

/** Each rule's handler, made on first use and kept: the rules keep no state between files. */
const scanners = () => (ruleScanners ??= (recommendedRules as unknown as readonly Rule[])
  .filter((rule) => !EXCLUDED_RULES.has(rule.meta.id))
  .map((rule) => {
    const name = ruleName(rule.meta.id);
    const kind = KIND_NAMES[name] ?? `${name.replaceAll('-', ' ')} secret`;
    const context: RuleContext = {
      report: ({ range }) => {
        if (reportTo) reportTo.findings.push({ start: range[0], end: range[1], kind: reportTo.kind });
      },
      ignore: () => undefined,
      // Messages quote the secret; Keel never shows them, so they are not even built.
      createTranslator: () => () => '',
    };
    return { kind, triggers: RULE_TRIGGERS[name], handler: rule.create(context, {}) };
  }));

function secretlintFindings(text: string, path: string | undefined, present: ReadonlySet<string>, findings: SecretFinding[]): void {
  let source: SourceCode | undefined;
  for (const { kind, triggers, handler } of scanners()) {
    if (triggers && !triggers.some((trigger) => present.has(trigger))) continue;
    source ??= sourceCode(text, path);
    reportTo = { findings, kind };
    try {
      const result = handler.file?.(source);
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // A rule that breaks on odd input must not stop the others, nor what is being redacted.
    } finally {
      reportTo = undefined;
    }
  }
}

/** `@secretlint/secretlint-rule-database-connection-string` → `database-connection-string`. */
function ruleName(id: string): string {
  return id.replace(/^@secretlint\/secretlint-rule-/, '');
}

/** The preset's rules that Keel runs, and those the trigger table knows, by name: a test compares them. */
export function secretlintRuleNames(): { readonly running: readonly string[]; readonly withTriggers: readonly string[] } {
  return {
    running: (recommendedRules as unknown as readonly Rule[]).filter((rule) => !EXCLUDED_RULES.has(rule.meta.id)).map((rule) => ruleName(rule.meta.id)),
    withTriggers: Object.keys(RULE_TRIGGERS),
  };
}
const KIND_NAMES: Readonly<Record<string, string>> = {
  privatekey: 'private key',
  basicauth: 'basic auth credentials',
  'database-connection-string': 'database connection string',
  github: 'github token',
  gitlab: 'gitlab token',
  slack: 'slack token',
  npm: 'npm token',
  openai: 'openai key',
  anthropic: 'anthropic key',
  aws: 'aws secret',
  gcp: 'gcp secret',
};

/** The extension the rules see; `.p12` would make the GCP rule read the file from disk, asynchronously. */
function extOf(path: string | undefined): string {
  const ext = path?.match(/(\.[^./\\]+)$/)?.[1]?.toLowerCase() ?? '';
  return ext === '.p12' || ext === '.pfx' ? '' : ext;
}

function sourceCode(content: string, filePath: string | undefined): SourceCode {
  let lineStarts: number[] | undefined;
  const starts = () => (lineStarts ??= [0, ...[...content.matchAll(/\n/g)].map((m) => m.index + 1)]);
  const indexToPosition = (index: number) => {
    const lines = starts();
    let low = 0;
    let high = lines.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lines[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: index - lines[low]! };
  };
  const positionToIndex = ({ line, column }: { line: number; column: number }) => (starts()[line - 1] ?? content.length) + column;
  return {
    content,
    filePath,
    physicalFilePath: undefined,
    ext: extOf(filePath),
    contentType: 'text',
    hasBOM: false,
    getFilePath: () => filePath,
    getPhysicalFilePath: () => undefined,
    indexToPosition,
    positionToIndex,
    locationToRange: ({ start, end }) => [positionToIndex(start), positionToIndex(end)],
    rangeToLocation: ([start, end]) => ({ start: indexToPosition(start), end: indexToPosition(end) }),
  };
}
