/** The audit log (`audit/…`). */
import { RequestType0 } from 'vscode-jsonrpc';
import { noParams } from '../params';

export interface AuditVerifyResult {
  readonly ok: boolean;
  /** Records checked before the first broken one, or all of them. */
  readonly records: number;
  readonly broken?: { readonly file: string; readonly line: number; readonly reason: string };
}

export namespace AuditVerifyRequest {
  export const params = noParams;
  /** Extension → host: check the audit log's hash chain and report the first broken record ("Keel: Verify Audit Log"). */
  export const type = new RequestType0<AuditVerifyResult, void>('audit/verify');
}
