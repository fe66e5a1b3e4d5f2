/** The audit log (`audit/…`). */
import { RequestType0 } from 'vscode-jsonrpc';
import { noParams } from '../params';

export interface AuditVerifyResult {
  readonly ok: boolean;
  /** Records checked before the first broken one, or all of them. */
  readonly records: number;
  readonly broken?: { readonly file: string; readonly line: number; readonly reason: string };
}

/** One sentence for the user: intact with how many records, or where the chain breaks and why. */
export function describeVerification(result: AuditVerifyResult): string {
  if (result.ok) return `the audit log is intact: ${result.records} record${result.records === 1 ? '' : 's'}, every one chained to the one before.`;
  const { file, line, reason } = result.broken!;
  return `the audit log is broken at ${file}, line ${line}, after ${result.records} intact records: ${reason}.`;
}

export namespace AuditVerifyRequest {
  export const params = noParams;
  /** Extension → host: check the audit log's hash chain and report the first broken record ("Keel: Verify Audit Log"). */
  export const type = new RequestType0<AuditVerifyResult, void>('audit/verify');
}
