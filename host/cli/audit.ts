import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { describeVerification } from '../../protocol/rpc';
import { verifyAuditLog } from '../governance/auditLog';
import { optionTable, synopsis } from './helpText';

function auditUsage(): string {
  return [
    synopsis(['keel audit verify [--dir <folder>]']),
    '',
    l10n.t({
      message: `Checks the audit log's SHA-256 chain and names the first record that was changed, deleted, inserted or moved,
a file cut short, or a last record torn by a crash.`,
      comment: ['The help of keel audit verify; break lines at about 120 characters.'],
    }),
    '',
    l10n.t('Options:'),
    optionTable([['--dir <folder>', l10n.t({
      message: `the audit folder (default: {0}, where \`keel run\` writes; VS Code's host
writes to <VS Code's global storage>/<publisher>.keel/audit)`,
      args: ['~/.cache/keel/audit'],
      comment: ['Break the line where it fits the terminal: the second line is indented under the first.'],
    })]], 15),
    l10n.t('Exit codes: 0 intact, 1 broken, 2 bad usage or no audit log in the folder.'),
  ].join('\n');
}

/** `keel audit verify`: what "Keel: Verify Audit Log" does, for a CI job or a folder copied off a machine. */
export async function auditCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { dir: { type: 'string' } } });
  } catch (error) {
    out(`${(error as Error).message}\n\n${auditUsage()}\n`);
    return 2;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'verify') {
    out(`${auditUsage()}\n`);
    return 2;
  }
  const dir = parsed.values.dir ?? join(homedir(), '.cache', 'keel', 'audit');
  const result = await verifyAuditLog(dir).catch((error: unknown) => error as Error);
  if (result instanceof Error) {
    out(`${l10n.t('Could not read the audit log in {0}: {1}', dir, result.message)}\n`);
    return 2;
  }
  if (result.ok && result.records === 0) {
    out(`${l10n.t('There is no audit log in {0}. Pass the folder that holds audit.jsonl with --dir.', dir)}\n`);
    return 2;
  }
  out(`${dir}: ${describeVerification(result)}\n`);
  return result.ok ? 0 : 1;
}
