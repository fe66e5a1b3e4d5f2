/** The audit log (`audit/…`). */
import * as l10n from '@vscode/l10n';
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
  if (result.ok) {
    return result.records === 1
      ? l10n.t('the audit log is intact: 1 record, every one chained to the one before.')
      : l10n.t('the audit log is intact: {0} records, every one chained to the one before.', result.records);
  }
  const { file, line, reason } = result.broken!;
  return l10n.t('the audit log is broken at {0}, line {1}, after {2} intact records: {3}.', file, line, result.records, reason);
}

export namespace AuditVerifyRequest {
  export const params = noParams;
  /** Extension → host: check the audit log's hash chain and report the first broken record ("Keel: Verify Audit Log"). */
  export const type = new RequestType0<AuditVerifyResult, void>('audit/verify');
}
