/**
 * Credentials that commonly end up in source files, by the shape their issuers give them. Indexed text is sent to
 * models as retrieved context, so these are replaced before anything is stored.
 */
const SECRET_PATTERNS: readonly { kind: string; pattern: RegExp }[] = [
  { kind: 'private key', pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END \1PRIVATE KEY\2-----|$)/g },
  { kind: 'openai key', pattern: /\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'github token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { kind: 'aws access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google api key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: 'gitlab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  // A quoted value of 16+ characters mixing letters and digits, assigned to a name that says it is secret; the
  // name is kept (`keep`) so the reader still sees what was there.
  {
    kind: 'secret assignment',
    pattern: /(?<keep>(?:api[_-]?key|secret|token|passw(?:or)?d|credential)[\w-]*["']?\s*[:=]\s*["'])(?=[^"'\s]*\d)(?=[^"'\s]*[A-Za-z])[^"'\s]{16,}(?=["'])/gi,
  },
];

/**
 * The text with every recognised secret replaced by `[REDACTED <kind>]`. Newlines inside a secret are kept, so line
 * numbers in the redacted text still match the file.
 */
export function redactSecrets(text: string): { text: string; redactions: number } {
  let redactions = 0;
  for (const { kind, pattern } of SECRET_PATTERNS) {
    text = text.replace(pattern, (match: string, ...args: unknown[]) => {
      redactions++;
      const named = args.at(-1) as Record<string, string | undefined> | undefined;
      return `${named?.keep ?? ''}[REDACTED ${kind}]${'\n'.repeat(countNewlines(match))}`;
    });
  }
  return { text, redactions };
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
