import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describeVerification } from '../../protocol/rpc';
import { verifyAuditLog } from '../governance/auditLog';

export const AUDIT_USAGE = `Usage: keel audit verify [--dir <folder>]

Checks the audit log's SHA-256 chain and names the first record that was changed, deleted, inserted or moved,
a file cut short, or a last record torn by a crash.

Options:
  --dir <folder>   the audit folder (default: ~/.cache/keel/audit, where \`keel run\` writes; VS Code's host
                   writes to <VS Code's global storage>/<publisher>.keel/audit)
Exit codes: 0 intact, 1 broken, 2 bad usage or no audit log in the folder.`;

/** `keel audit verify`: what "Keel: Verify Audit Log" does, for a CI job or a folder copied off a machine. */
export async function auditCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let dir: string;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { dir: { type: 'string' } } });
    if (positionals.length !== 1 || positionals[0] !== 'verify') throw new Error(AUDIT_USAGE);
    dir = values.dir ?? join(homedir(), '.cache', 'keel', 'audit');
  } catch (error) {
    out(`${error instanceof Error && error.message.startsWith('Usage') ? '' : `${(error as Error).message}\n\n`}${AUDIT_USAGE}\n`);
    return 2;
  }
  const result = await verifyAuditLog(dir).catch((error: unknown) => error as Error);
  if (result instanceof Error) {
    out(`Could not read the audit log in ${dir}: ${result.message}\n`);
    return 2;
  }
  if (result.ok && result.records === 0) {
    out(`There is no audit log in ${dir}. Pass the folder that holds audit.jsonl with --dir.\n`);
    return 2;
  }
  out(`${dir}: ${describeVerification(result)}\n`);
  return result.ok ? 0 : 1;
}
